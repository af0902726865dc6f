"""The public JSON of a job (JobPublic): what the routes answer, and, without ``events_url``,
what the event stream and webhooks carry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ai_music.core.db import format_ms
from ai_music.generation.models import GenerationJob
from ai_music.generation.schemas import JobInput, JobPublic, JobUrls
from ai_music.history.repository import audio_url, midi_url
from ai_music.storage.media import MediaLinks


@dataclass(frozen=True)
class Snapshot:
    """What the queue knows of a job beyond its row (None: the row's figures stand)."""

    progress: float | None = None
    eta_seconds: float | None = None
    queue_position: int | None = None


def public_job(
    job: GenerationJob, *, media_links: MediaLinks, live: Snapshot = Snapshot()
) -> JobPublic:
    """The job as clients see it, without ``events_url`` (only the job's own answers carry one)."""
    base = f"/generations/{job.id}"
    entry_id = job.history_entry_id if job.status == "succeeded" else None
    audio = audio_url(entry_id) if entry_id else None
    return JobPublic(
        id=job.id,
        status=job.status,  # type: ignore[arg-type]  # a str column holding a JobStatus
        input=JobInput.model_validate(job, from_attributes=True),
        progress=job.progress if live.progress is None else live.progress,
        eta_seconds=job.eta_seconds if live.eta_seconds is None else live.eta_seconds,
        queue_position=live.queue_position if job.status == "queued" else None,
        error=job.error,
        upstream=job.upstream,
        created_at=format_ms(job.created_at_ms),
        started_at=format_ms(job.started_at_ms) if job.started_at_ms else None,
        finished_at=format_ms(job.finished_at_ms) if job.finished_at_ms else None,
        queued_seconds=_seconds_between(job.created_at_ms, job.started_at_ms),
        run_seconds=_seconds_between(job.started_at_ms, job.finished_at_ms),
        history_entry_id=job.history_entry_id,
        audio_url=audio,
        midi_url=midi_url(entry_id) if entry_id and job.has_midi else None,
        urls=JobUrls(self=base, cancel=f"{base}/cancel", events=f"{base}/events", audio=audio),
        **media_links.fields_for(job.history_entry_id if audio else None),
        attempts=job.attempts,
        requeued=job.requeued_reason is not None,
        requeued_reason=job.requeued_reason,
    )


def job_json(public: JobPublic) -> dict[str, Any]:
    """The JSON of a job for the event stream and webhooks, which carry no ``events_url``."""
    return public.model_dump(mode="json", exclude={"events_url"})


def _seconds_between(start_ms: int | None, end_ms: int | None) -> float | None:
    if start_ms is None or end_ms is None:
        return None
    return round((end_ms - start_ms) / 1000, 3)
