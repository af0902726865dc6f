"""The composition: structure, voice leading, melody and the MIDI file of the same score."""

from __future__ import annotations

import itertools
import random
import struct

from ai_music.engine.composer import compose
from ai_music.engine.midi import TICKS_PER_BEAT, midi_bytes
from ai_music.engine.plan import make_plan
from ai_music.engine.score import Score


def _score(seed: int = 7, duration: float = 60.0, **fields: object) -> Score:
    plan = make_plan(
        prompt=str(fields.get("prompt", "")),
        duration=duration,
        mood=fields.get("mood", "happy"),
        tempo=None,
        instruments=fields.get("instruments"),
    )  # type: ignore[arg-type]
    return compose(plan, random.Random(seed))


def test_longer_pieces_have_intro_a_b_and_outro_sections_ending_on_the_tonic() -> None:
    score = _score(duration=60.0)
    names = [s.name for s in score.sections]
    assert names[0] == "intro" and names[-1] == "outro" and "A" in names and "B" in names
    final = score.chords[-1]
    assert final.chord.is_tonic
    assert final.start + final.duration == score.total_beats


def test_chord_voicings_move_smoothly() -> None:
    # The piano leads; the strings hold the chords under it.
    score = _score(instruments="piano, strings, bass", mood="romantic")
    starts = sorted({n.start for n in score.notes if n.voice == "strings"})
    # Humanised onsets differ by a few milliseconds; group notes per chord by rounding.
    chords: dict[int, list[int]] = {}
    for note in score.notes:
        if note.voice == "strings":
            chords.setdefault(round(note.start), []).append(note.pitch)
    voicings = [sorted(chords[k]) for k in sorted(chords)]
    assert len(starts) > 4
    for previous, current in itertools.pairwise(voicings):
        if len(previous) == len(current):
            assert max(abs(a - b) for a, b in zip(previous, current, strict=True)) <= 7


def test_melody_avoids_wild_leaps_and_stays_in_register() -> None:
    for seed in range(5):
        score = _score(seed=seed, instruments="flute, piano, bass")
        melody = [n.pitch for n in score.notes if n.voice == "flute"]
        leaps = [abs(b - a) for a, b in itertools.pairwise(melody)]
        assert max(leaps) <= 12
        assert sum(leaps) / len(leaps) <= 4.0
        assert max(melody) - min(melody) <= 24


def test_melody_repeats_its_motif() -> None:
    score = _score(instruments="flute", duration=40.0)
    bars: dict[int, list[float]] = {}
    for note in score.notes:
        bars.setdefault(int(note.start // 4), []).append(round(note.start % 4 * 2) / 2)
    rhythms = [tuple(v) for v in bars.values()]
    assert len(set(rhythms)) < len(rhythms)  # some bar rhythm recurs: a motif, not noise


def test_drums_only_where_the_style_or_request_wants_them() -> None:
    assert not [n for n in _score(mood="sad").notes if n.voice == "drums"]
    assert [
        n
        for n in _score(mood="sad", instruments="piano and soft drums").notes
        if n.voice == "drums"
    ]
    assert [n for n in _score(mood="energetic").notes if n.voice == "drums"]


def _read_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks = []
    offset = 0
    while offset < len(data):
        kind, length = (
            data[offset : offset + 4],
            struct.unpack(">I", data[offset + 4 : offset + 8])[0],
        )
        chunks.append((kind, data[offset + 8 : offset + 8 + length]))
        offset += 8 + length
    return chunks


def test_midi_file_holds_the_same_score() -> None:
    score = _score(duration=20.0, instruments="piano, bass, drums")
    chunks = _read_chunks(midi_bytes(score))
    kind, header = chunks[0]
    fmt, tracks, division = struct.unpack(">HHH", header)
    assert (kind, fmt, tracks, division) == (b"MThd", 1, 4, TICKS_PER_BEAT)
    assert all(k == b"MTrk" and body.endswith(b"\xff\x2f\x00") for k, body in chunks[1:])
    tempo_us = 60_000_000 // score.tempo
    assert b"\xff\x51\x03" + tempo_us.to_bytes(3, "big") in chunks[1][1]
    note_ons = sum(
        body.count(b"\x90") + body.count(b"\x91") + body.count(b"\x99") for _, body in chunks[2:]
    )
    assert note_ons >= len([n for n in score.notes]) * 0.9
