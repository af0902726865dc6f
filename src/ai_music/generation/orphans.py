"""Jobs adopted from a runner that stopped heart-beating: ended here when they cannot go on,
else handed back to be run again (a job found ``running`` is retried once, if its deadline
allows)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from ai_music.core.db import Database, now_ms
from ai_music.generation import repository
from ai_music.generation.models import GenerationJob
from ai_music.generation.service import JobSpec

log = logging.getLogger("ai_music.jobs")

MAX_ATTEMPTS_AFTER_CRASH = 2
# Shown to the user on the job (requeued_reason).
RESTARTED = "The server running it stopped before it could finish; it was started again"

# Frees the concurrency slot named after a job (user_id, job_id): for jobs adopted here.
SlotRelease = Callable[[int, str], Awaitable[None]]


async def settle_or_requeue(
    db: Database, job: GenerationJob, release: Callable[[], Awaitable[None]] | None
) -> JobSpec | None:
    """Ends an adopted job that cannot go on (freeing its slot), else returns its spec to run."""
    if job.cancel_requested:
        await db.writes.run(
            lambda session: repository.finish(
                session, job_id=job.id, status="canceled", error="Canceled by the user"
            )
        )
        if release is not None:
            await release()
        return None
    past_deadline = job.deadline_ms is not None and now_ms() >= job.deadline_ms
    if job.status == "running" and (job.attempts >= MAX_ATTEMPTS_AFTER_CRASH or past_deadline):
        await db.writes.run(
            lambda session: repository.finish(
                session,
                job_id=job.id,
                status="failed",
                error="The server restarted while generating and could not finish; "
                "please try again",
                error_status=503,
            )
        )
        if release is not None:
            await release()
        return None
    if job.status == "running":
        await db.writes.run(lambda session: repository.requeue(session, job.id, RESTARTED))
        log.info("job %s was running when its server stopped; retrying it", job.id)
    return repository.spec_of(job)


def slot_releaser(
    release: SlotRelease | None, job: GenerationJob
) -> Callable[[], Awaitable[None]] | None:
    """The slot the accepting process took, named after the job, freed by this one."""
    user_id, job_id = job.user_id, job.id
    if release is None:
        return None
    return lambda: release(user_id, job_id)
