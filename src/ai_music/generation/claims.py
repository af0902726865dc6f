"""Database work of the distributed job path (generation/worker.py): each run of a job is an
attempt, numbered in the row, and only the attempt that holds the row may record its outcome.

Procrastinate may run a job twice (a worker thought dead comes back, a deploy cuts it off);
the attempt number is the fence that keeps a second run from recording a second history
entry or keeping a second audio object.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from ai_music.core.db import now_ms
from ai_music.generation.models import GenerationJob
from ai_music.generation.repository import ACTIVE_STATUSES, insert_generated_entry, spec_of
from ai_music.generation.service import JobSpec, StoredAudio

# Everything a waiter in another process needs to know that it should look at the row again.
CHANNEL = "ai_music_jobs"
# Why a run was cut off and the job went back to the queue: shown to the user on the job.
STOPPED = (
    "The worker running it was stopped (a deploy or restart) before it could finish; "
    "it went back to the queue and starts again on another worker"
)
STALLED = (
    "The worker running it stopped answering; it went back to the queue and started again "
    "on another worker"
)


@dataclass(frozen=True)
class Attempt:
    """A run this worker may make: the job and the attempt number that fences its outcome."""

    spec: JobSpec
    number: int


@dataclass(frozen=True)
class Refused:
    """No run: the job is over, gone, or has used up its attempts (then it is failed here)."""

    reason: str


def notify(session: Session, job_id: str, user_id: int, *, ended: bool = False) -> None:
    """Tells every listening process the row changed; sent when the transaction commits."""
    payload = f"{'e' if ended else 'p'}:{job_id}:{user_id}"
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:c, :p)"), {"c": CHANNEL, "p": payload})


def start_attempt(
    session: Session, *, job_id: str, runner_id: str, max_attempts: int
) -> Attempt | Refused:
    """Queued (or left running by a stopped worker) → running as a new attempt."""
    job = session.scalar(select(GenerationJob).where(GenerationJob.id == job_id).with_for_update())
    if job is None:
        return Refused("gone")
    if job.status not in ACTIVE_STATUSES:
        return Refused(job.status)
    now = now_ms()
    if job.cancel_requested:
        _end(session, job, "canceled", "Canceled by the user")
        return Refused("canceled")
    if job.deadline_ms is not None and now >= job.deadline_ms:
        if job.status == "queued":
            _end(session, job, "aborted", "The Cancel-After deadline passed before it started")
        else:
            _end(session, job, "canceled", "The Cancel-After deadline passed while generating")
        return Refused("deadline")
    if job.attempts >= max_attempts:
        _end(
            session,
            job,
            "failed",
            f"The job was interrupted {_times(job.attempts)} (a worker stopped or was "
            "restarted while generating) and was not tried again; please try again",
            503,
        )
        return Refused("attempts")
    if job.status == "running":  # its last run never handed it back: that worker died
        job.requeued_reason = STALLED
    job.status, job.runner_id, job.attempts = "running", runner_id, job.attempts + 1
    job.started_at_ms = job.started_at_ms or now
    job.progress, job.eta_seconds = 0.0, None
    session.flush()
    notify(session, job.id, job.user_id)
    return Attempt(spec_of(job), job.attempts)


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def requeue(session: Session, *, job_id: str, user_id: int, attempt: int) -> None:
    """A stopping worker hands its run back: the row waits for the next worker, marked."""
    session.execute(
        update(GenerationJob)
        .where(
            GenerationJob.id == job_id,
            GenerationJob.status == "running",
            GenerationJob.attempts == attempt,
        )
        .values(
            status="queued", runner_id=None, progress=0.0, eta_seconds=None, requeued_reason=STOPPED
        )
    )
    notify(session, job_id, user_id)


def end(
    session: Session,
    *,
    job_id: str,
    attempt: int | None,
    status: str,
    error: str | None,
    error_status: int | None = None,
    upstream: str | None = None,
    only_queued: bool = False,
) -> bool:
    """Ends an active job (a queued one only, with ``only_queued``); with ``attempt``, only
    if that run still holds it."""
    statuses = ("queued",) if only_queued else ACTIVE_STATUSES
    query = select(GenerationJob).where(
        GenerationJob.id == job_id, GenerationJob.status.in_(statuses)
    )
    if attempt is not None:
        query = query.where(GenerationJob.attempts == attempt)
    job = session.scalar(query.with_for_update())
    if job is None:
        return False
    _end(session, job, status, error, error_status, upstream)
    return True


def _end(
    session: Session,
    job: GenerationJob,
    status: str,
    error: str | None,
    error_status: int | None = None,
    upstream: str | None = None,
) -> None:
    job.status, job.error, job.error_status = status, error[:500] if error else None, error_status
    job.upstream = upstream or job.upstream
    job.finished_at_ms, job.eta_seconds = now_ms(), None
    session.flush()
    notify(session, job.id, job.user_id, ended=True)


def succeed(
    session: Session, *, spec: JobSpec, attempt: int, stored: StoredAudio, generation_ms: int
) -> int | None:
    """Records the piece and the job's success once; None (nothing recorded) when this run no
    longer holds the job: it was cancelled, its account deleted, or another run took it."""
    job = session.scalar(
        select(GenerationJob)
        .where(
            GenerationJob.id == spec.job_id,
            GenerationJob.status == "running",
            GenerationJob.attempts == attempt,
        )
        .with_for_update()
    )
    if job is None:
        return None
    entry_id = insert_generated_entry(
        session, spec=spec, stored=stored, generation_ms=generation_ms
    )
    job.history_entry_id, job.has_midi, job.progress = entry_id, stored.midi_key is not None, 1.0
    _end(session, job, "succeeded", None, None, stored.upstream)
    return entry_id


def save_progress(
    session: Session, *, spec: JobSpec, attempt: int, progress: float, eta: float | None
) -> None:
    session.execute(
        update(GenerationJob)
        .where(
            GenerationJob.id == spec.job_id,
            GenerationJob.status == "running",
            GenerationJob.attempts == attempt,
        )
        .values(progress=progress, eta_seconds=eta)
    )
    notify(session, spec.job_id, spec.user_id)


def flag_cancel(session: Session, job_id: str) -> tuple[str, int | None] | None:
    """Marks an active job to be cancelled (a later run refuses it); its status and queue
    job id, or None when it is over or gone."""
    job = session.get(GenerationJob, job_id)
    if job is None or job.status not in ACTIVE_STATUSES:
        return None
    job.cancel_requested = True
    session.flush()
    return job.status, job.queue_job_id


def overdue_queued(session: Session, *, limit: int = 200) -> list[tuple[str, int | None]]:
    """Queued jobs whose Cancel-After passed: they end now, not when a worker frees up."""
    rows = session.execute(
        select(GenerationJob.id, GenerationJob.queue_job_id)
        .where(GenerationJob.status == "queued", GenerationJob.deadline_ms <= now_ms())
        .limit(limit)
    )
    return [(job_id, queue_job_id) for job_id, queue_job_id in rows]
