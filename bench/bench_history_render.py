"""The Python cost of rendering one uncached history page: 50 rows to the JSON bytes the
routes answer, for `GET /get-history/<username>` and `GET /history`, entries without audio
(as bench_api.py saves them) and with audio (each entry then carries a signed media link).

No server and no database: this is the part of an uncached request that the history page
cache saves. Run: `.venv/bin/python bench/bench_history_render.py`. Prints a Markdown table
and writes it to bench/results/history_render.md.
"""

from __future__ import annotations

import timeit
from collections.abc import Callable
from dataclasses import asdict
from functools import partial

from _servers import ROOT, machine_note

from ai_music.history import repository
from ai_music.history.repository import HistoryRow, LegacyRow
from ai_music.storage.media import MediaLinks

ROWS = 50
CREATED_AT_MS = 1_796_000_000_000
LINKS = MediaLinks.for_secret("bench-secret-" * 3, 3600)
EXPIRES = LINKS.current_expiry()


def legacy_row(i: int, audio: bool) -> LegacyRow:
    return LegacyRow(
        id=i,
        prompt="Calm ambient music",
        mood="Happy",
        instruments="piano",
        tempo=120,
        duration=20.0,
        created_at_ms=CREATED_AT_MS - i,
        audio_format="mp3" if audio else None,
        midi_key=None,
    )


def history_row(i: int, audio: bool) -> HistoryRow:
    return HistoryRow(
        **asdict(legacy_row(i, audio)),
        source="generated",
        upstream="engine",
        generation_ms=900,
        audio_size=200_000 if audio else None,
        audio_duration_s=12.0 if audio else None,
    )


def best_us(render: Callable[[], bytes], number: int = 2000, repeat: int = 5) -> float:
    return min(timeit.repeat(render, number=number, repeat=repeat)) / number * 1e6


def main() -> None:
    legacy = {audio: [legacy_row(i, audio) for i in range(ROWS)] for audio in (False, True)}
    full = {audio: [history_row(i, audio) for i in range(ROWS)] for audio in (False, True)}

    def legacy_page(audio: bool) -> bytes:
        return repository.legacy_json(legacy[audio], LINKS, EXPIRES)

    def history_page(audio: bool) -> bytes:
        page = repository.history_page(full[audio], ROWS, LINKS, EXPIRES)
        return page.__pydantic_serializer__.to_json(page)

    lines = [
        machine_note(load_generator=False),
        "",
        f"| page, {ROWS} rows | no audio (µs) | with audio (µs) |",
        "|---|---|---|",
    ]
    for name, render in (("GET /get-history", legacy_page), ("GET /history", history_page)):
        plain, with_audio = (best_us(partial(render, audio)) for audio in (False, True))
        lines.append(f"| {name} | {plain:,.0f} | {with_audio:,.0f} |")
    text = "\n".join(lines)
    print(text)
    (ROOT / "bench" / "results" / "history_render.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
