"""Database work for generation jobs. Functions take the session they write in; the job
runner hands them to the write batcher, the routes to the request's transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from ai_music.core.db import Query, RowInsert, execute, execute_many, now_ms
from ai_music.core.pagination import decode_cursor, encode_cursor
from ai_music.generation.models import GenerationJob, JobRunnerRow
from ai_music.generation.schemas import TERMINAL_STATUSES, JobCreate
from ai_music.generation.service import JobSpec, StoredAudio
from ai_music.generation.upstreams.base import GenerationParams
from ai_music.history.repository import insert_history_entry
from ai_music.webhooks.events import wanted_events

ACTIVE_STATUSES = ("queued", "running")
IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000
# A dead runner's row is kept a while after its jobs were adopted, then removed.
DEAD_RUNNER_KEPT_MS = 24 * 3600 * 1000


# The statements the job runner and the submission path run for every job, compiled once
# (db.Query): through the ORM session they cost ~10x more, all of it holding the GIL.
_INSERT_JOB = RowInsert(GenerationJob.__table__)
_MARK_RUNNING = Query(
    update(GenerationJob)
    .where(GenerationJob.id == bindparam("job_id"), GenerationJob.status == "queued")
    .values(
        status="running",
        started_at_ms=bindparam("now"),
        attempts=GenerationJob.attempts + 1,
        runner_id=bindparam("runner_id"),
    )
)
_FINISH = Query(
    update(GenerationJob)
    .where(
        GenerationJob.id == bindparam("job_id"),
        # Not IN (...): a compiled Query takes no expanding list.
        or_(*(GenerationJob.status == active for active in ACTIVE_STATUSES)),
    )
    .values(
        status=bindparam("status"),
        error=bindparam("error"),
        error_status=bindparam("error_status"),
        upstream=bindparam("upstream"),
        finished_at_ms=bindparam("now"),
        eta_seconds=None,
    )
)
_SUCCEEDED = Query(
    update(GenerationJob)
    # Only a job still running: a job whose row went with its owner's account records nothing.
    .where(GenerationJob.id == bindparam("job_id"), GenerationJob.status == "running")
    .values(
        status="succeeded",
        progress=1.0,
        eta_seconds=None,
        upstream=bindparam("upstream"),
        history_entry_id=bindparam("entry_id"),
        has_midi=bindparam("has_midi"),
        finished_at_ms=bindparam("now"),
    )
)
_STILL_RUNNING = Query(
    select(GenerationJob.id).where(
        GenerationJob.id == bindparam("job_id"), GenerationJob.status == "running"
    )
)
_BEAT = Query(
    update(JobRunnerRow)
    .where(JobRunnerRow.id == bindparam("runner_id"))
    .values(heartbeat_ms=bindparam("now"))
)
_NEW_RUNNER = Query(
    insert(JobRunnerRow).values(
        id=bindparam("runner_id"), started_at_ms=bindparam("now"), heartbeat_ms=bindparam("now")
    )
)
_SAVE_PROGRESS = Query(
    update(GenerationJob)
    .where(GenerationJob.id == bindparam("job_id"))
    .values(progress=bindparam("fraction"), eta_seconds=bindparam("eta"))
)


def insert_job(session: Session, job: GenerationJob) -> None:
    """Inserts the job's set attributes, each other column at its constant default (the
    submission sets the rest, ``created_at_ms`` among them)."""
    values = {key: getattr(job, key) for key in _INSERT_JOB.columns}
    _INSERT_JOB.run(session, {key: value for key, value in values.items() if value is not None})


def params_hash(body: JobCreate) -> str:
    """What makes two requests 'the same' for an Idempotency-Key."""
    relevant = body.model_dump(exclude={"username", "use_colab"})
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()


def spec_of(job: GenerationJob) -> JobSpec:
    return JobSpec(
        job_id=job.id,
        user_id=job.user_id,
        params=GenerationParams.of(job),
        format=job.format,
        colab_url=job.colab_url,
        deadline_ms=job.deadline_ms,
        webhook_url=job.webhook_url,
        webhook_events=wanted_events(job.webhook_events),
        attempts=job.attempts,
    )


async def find_by_idempotency_key(
    session: AsyncSession, *, user_id: int, key: str
) -> GenerationJob | None:
    job = await session.scalar(
        select(GenerationJob).where(
            GenerationJob.user_id == user_id, GenerationJob.idempotency_key == key
        )
    )
    if job is not None and job.created_at_ms < now_ms() - IDEMPOTENCY_WINDOW_MS:
        # Past the window the key may be used again: release it from the old job.
        job.idempotency_key = None
        await session.flush()
        return None
    return job


async def get_owned(session: AsyncSession, job_id: str, user_id: int) -> GenerationJob | None:
    return await session.scalar(
        select(GenerationJob).where(GenerationJob.id == job_id, GenerationJob.user_id == user_id)
    )


async def get(session: AsyncSession, job_id: str) -> GenerationJob | None:
    return await session.get(GenerationJob, job_id, populate_existing=True)


async def list_page(
    session: AsyncSession, *, user_id: int, limit: int, cursor: str | None
) -> tuple[Sequence[GenerationJob], str | None]:
    query = select(GenerationJob).where(GenerationJob.user_id == user_id)
    if cursor:
        before_ms, before_id = decode_cursor(cursor)
        query = query.where(
            or_(
                GenerationJob.created_at_ms < before_ms,
                (GenerationJob.created_at_ms == before_ms) & (GenerationJob.id < before_id),
            )
        )
    query = query.order_by(GenerationJob.created_at_ms.desc(), GenerationJob.id.desc()).limit(limit)
    jobs = (await session.scalars(query)).all()
    next_cursor = None
    if len(jobs) == limit:
        next_cursor = encode_cursor(jobs[-1].created_at_ms, jobs[-1].id)
    return jobs, next_cursor


def mark_running(session: Session, *, job_id: str, runner_id: str) -> bool:
    """Queued → running, unless it was cancelled meanwhile (then False)."""
    cursor = execute(session, _MARK_RUNNING, job_id=job_id, runner_id=runner_id, now=now_ms())
    return bool(cursor.rowcount)


def finish(
    session: Session,
    *,
    job_id: str,
    status: str,
    error: str | None = None,
    error_status: int | None = None,
    upstream: str | None = None,
) -> None:
    execute(
        session,
        _FINISH,
        job_id=job_id,
        status=status,
        error=error[:500] if error else None,
        error_status=error_status,
        upstream=upstream,
        now=now_ms(),
    )


def insert_generated_entry(
    session: Session, *, spec: JobSpec, stored: StoredAudio, generation_ms: int
) -> int:
    return insert_history_entry(
        session,
        user_id=spec.user_id,
        prompt=spec.params.prompt,
        mood=spec.params.mood,
        instruments=spec.params.instruments,
        tempo=spec.params.tempo,
        duration=spec.params.duration,
        source="generated",
        audio_key=stored.key,
        audio_format=stored.format,
        audio_size=stored.size,
        audio_duration_s=stored.duration_s,
        midi_key=stored.midi_key,
        upstream=stored.upstream,
        generation_ms=generation_ms,
        details=json.dumps(stored.details) if stored.details else None,
    )


def finish_succeeded(
    session: Session, *, spec: JobSpec, stored: StoredAudio, generation_ms: int
) -> int | None:
    """Records the piece in history and the job as succeeded, in one transaction; None, with
    nothing recorded, when the job is no longer running (its owner deleted the account)."""
    if not execute(session, _STILL_RUNNING, job_id=spec.job_id).fetchone():
        return None
    entry_id = insert_generated_entry(
        session, spec=spec, stored=stored, generation_ms=generation_ms
    )
    execute(
        session,
        _SUCCEEDED,
        job_id=spec.job_id,
        upstream=stored.upstream,
        entry_id=entry_id,
        has_midi=stored.midi_key is not None,
        now=now_ms(),
    )
    return entry_id


def beat(session: Session, *, runner_id: str) -> None:
    """This runner is alive (one row per process, not one per job it holds)."""
    now = now_ms()
    if not execute(session, _BEAT, runner_id=runner_id, now=now).rowcount:
        execute(session, _NEW_RUNNER, runner_id=runner_id, now=now)


def retire(session: Session, *, runner_id: str) -> None:
    session.execute(delete(JobRunnerRow).where(JobRunnerRow.id == runner_id))


def save_progress(session: Session, *, progress: dict[str, tuple[float, float | None]]) -> None:
    """Progress of the running jobs, for readers in other processes (ours read memory)."""
    execute_many(
        session,
        _SAVE_PROGRESS,
        [
            {"job_id": job_id, "fraction": fraction, "eta": eta}
            for job_id, (fraction, eta) in progress.items()
        ],
    )


def request_cancel(session: Session, job_id: str) -> None:
    session.execute(
        update(GenerationJob).where(GenerationJob.id == job_id).values(cancel_requested=True)
    )


async def cancel_requested_of(session: AsyncSession, runner_id: str) -> list[str]:
    """Active jobs of this runner that a request in another process asked to cancel."""
    rows = await session.scalars(
        select(GenerationJob.id).where(
            GenerationJob.runner_id == runner_id,
            GenerationJob.status.in_(ACTIVE_STATUSES),
            GenerationJob.cancel_requested.is_(True),
        )
    )
    return list(rows)


def adopt_orphans(
    session: Session, *, runner_id: str, stale_before_ms: int, limit: int = 500
) -> list[GenerationJob]:
    """Claims active jobs whose runner stopped heart-beating (a crashed or stopped process)."""
    live_runners = select(JobRunnerRow.id).where(JobRunnerRow.heartbeat_ms >= stale_before_ms)
    candidates = (
        session.scalars(
            select(GenerationJob)
            .where(
                GenerationJob.status.in_(ACTIVE_STATUSES),
                GenerationJob.runner_id.is_distinct_from(runner_id),
                or_(
                    GenerationJob.runner_id.is_(None),
                    GenerationJob.runner_id.not_in(live_runners),
                ),
            )
            .order_by(GenerationJob.created_at_ms)
            .limit(limit)
        )
    ).all()
    adopted = []
    for job in candidates:
        claimed = session.execute(
            update(GenerationJob)
            .where(
                GenerationJob.id == job.id,
                GenerationJob.runner_id.is_not_distinct_from(job.runner_id),
            )
            .values(runner_id=runner_id)
        )
        if getattr(claimed, "rowcount", 0):
            adopted.append(job)
    long_dead = JobRunnerRow.heartbeat_ms < stale_before_ms - DEAD_RUNNER_KEPT_MS
    session.execute(delete(JobRunnerRow).where(long_dead))
    return adopted


def release(
    session: Session, job_ids: Sequence[str], *, stopped: Sequence[str], reason: str
) -> None:
    """On shutdown: held jobs go back to the queue, free for the next process to adopt; the
    ``stopped`` ones (cut off mid-run) start again from nothing, saying why."""
    session.execute(
        update(GenerationJob)
        .where(GenerationJob.id.in_(job_ids), GenerationJob.status.in_(ACTIVE_STATUSES))
        .values(status="queued", runner_id=None)
    )
    if stopped:
        session.execute(
            update(GenerationJob)
            .where(GenerationJob.id.in_(stopped), GenerationJob.status == "queued")
            .values(progress=0.0, eta_seconds=None, requeued_reason=reason)
        )


def requeue(session: Session, job_id: str, reason: str) -> None:
    session.execute(
        update(GenerationJob)
        .where(GenerationJob.id == job_id)
        .values(status="queued", progress=0.0, eta_seconds=None, requeued_reason=reason)
    )


def is_terminal(status: str) -> bool:
    return status in TERMINAL_STATUSES
