"""The answer of ``/studio-generate`` for a job run elsewhere: read from its row, its history
entry and the shared audio store, so any API instance answers for any job."""

from __future__ import annotations

import json

from starlette.responses import Response

from ai_music.core.errors import error_response
from ai_music.core.responses import StoredAudioResponse
from ai_music.engine.formats import media_type_of
from ai_music.generation import repository
from ai_music.generation.components import generation_components
from ai_music.generation.dependencies import GenerationState
from ai_music.history.models import HistoryEntry
from ai_music.history.repository import midi_url

TOO_LONG = "The music service took too long; please try again"


def audio_headers(job_id: str, entry_id: int, extension: str, upstream: str) -> dict[str, str]:
    return {
        "Content-Disposition": f'attachment; filename="music-{entry_id}.{extension}"',
        "Cache-Control": "no-cache",
        "X-Job-Id": job_id,
        "X-History-Id": str(entry_id),
        "X-Upstream": upstream,
    }


async def studio_answer_from_row(
    context: GenerationState, job_id: str, rate_limit_headers: dict[str, str]
) -> Response:
    async with context.db.read_sessionmaker() as session:
        job = await repository.get(session, job_id)
        entry = (
            await session.get(HistoryEntry, job.history_entry_id)
            if job is not None and job.history_entry_id is not None
            else None
        )
    if job is None:
        return error_response(502, "Music generation failed", rate_limit_headers)
    if not repository.is_terminal(job.status):
        await generation_components(context).queue.cancel(job.id, TOO_LONG)
        return error_response(504, TOO_LONG, rate_limit_headers)
    if job.status != "succeeded" or entry is None or entry.audio_key is None:
        return error_response(
            job.error_status or 502, job.error or "Music generation failed", rate_limit_headers
        )
    extension = entry.audio_format or "mp3"
    size = entry.audio_size or 0
    headers = audio_headers(job.id, entry.id, extension, entry.upstream or "")
    headers.update(rate_limit_headers)
    headers["Content-Length"] = str(size)
    details: dict[str, str] = json.loads(entry.details) if entry.details else {}
    headers.update({f"X-Upstream-{k.title()}": v for k, v in details.items() if v.isascii()})
    if entry.midi_key:
        headers["X-Midi-Url"] = midi_url(entry.id)
    return StoredAudioResponse(
        context.storage.iter_range(entry.audio_key, 0, size - 1),
        size=size,
        media_type=media_type_of(extension),
        headers=headers,
    )
