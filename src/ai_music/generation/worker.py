"""One run of one generation job in the distributed mode: the body of Procrastinate's task.

The worker that fetched the job calls ``GenerationRun.run(job_id, context)``. The run claims
the job's row as a new attempt (generation/claims.py), produces the piece, records it once,
and reports progress as it goes (each report a row update and a NOTIFY). Three ways out
besides the outcome:

- the user cancels: Procrastinate's abort cancels the task; the row ends ``canceled``;
- the worker stops (a deploy): after its grace period the task is cancelled; the row goes
  back to ``queued`` and ``WorkerStopping`` asks Procrastinate to retry the job elsewhere;
- the worker dies: its heartbeat stops, and another worker's sweep retries the job
  (queue.py). Each run counts as an attempt; past ``job_max_attempts`` the job fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from procrastinate import JobContext
from procrastinate.job_context import AbortReason

from ai_music.core.config import Settings
from ai_music.core.db import Database, seconds_until
from ai_music.generation import claims
from ai_music.generation.live_job import DEFAULT_EXPECTED_SECONDS, LiveJob
from ai_music.generation.service import GenerationService, JobSpec, StoredAudio
from ai_music.generation.upstreams.base import UpstreamError
from ai_music.observability import metrics

log = logging.getLogger("ai_music.jobs")

# (event, job_id): a webhook event ("start", "completed") for a job whose webhook asked for it.
JobEvent = Callable[[str, str], Awaitable[None]]
# Progress reports closer together than this are merged into one row update.
PROGRESS_EVERY_S = 0.2


class WorkerStopping(Exception):
    """The worker stopped before this run ended; the job goes back to the queue."""


@dataclass(kw_only=True, eq=False)
class GenerationRun:
    db: Database
    service: GenerationService
    settings: Settings
    runner_id: str
    on_event: JobEvent

    async def run(self, job_id: str, context: JobContext) -> None:
        claim = await self.db.writes.run(
            lambda session: claims.start_attempt(
                session,
                job_id=job_id,
                runner_id=self.runner_id,
                max_attempts=self.settings.job_max_attempts,
            )
        )
        if isinstance(claim, claims.Refused):
            if claim.reason in ("canceled", "deadline", "attempts"):
                await self._emit("completed", job_id, None)
            return
        if claim.number > 1:
            log.info("job %s: attempt %d (an earlier run was interrupted)", job_id, claim.number)
        live = LiveJob(spec=claim.spec, status="running", started_at=time.monotonic())
        reporter = asyncio.create_task(self._report_progress(live, claim), name=f"report-{job_id}")
        try:
            await self._emit("start", job_id, claim.spec)
            await self._produce_and_record(live, claim, context)
        finally:
            reporter.cancel()
            metrics.record_generation(
                live.upstream or "none", live.status, time.monotonic() - (live.started_at or 0)
            )

    async def _produce_and_record(
        self, live: LiveJob, claim: claims.Attempt, context: JobContext
    ) -> None:
        spec = claim.spec
        began = time.monotonic()
        try:
            async with asyncio.timeout(seconds_until(spec.deadline_ms)):
                stored = await self.service.produce(spec, progress=live.on_progress)
        except asyncio.CancelledError:
            reason = context.abort_reason()
            if reason is AbortReason.USER_REQUEST:
                await self._end(live, claim, "canceled", "Canceled by the user")
                return
            if reason is AbortReason.SHUTDOWN:
                await self.db.writes.run(
                    lambda session: claims.requeue(
                        session, job_id=spec.job_id, user_id=spec.user_id, attempt=claim.number
                    )
                )
                log.warning("job %s: its worker stopped; back in the queue", spec.job_id)
                raise WorkerStopping(spec.job_id) from None
            raise
        except TimeoutError:
            await self._end(
                live, claim, "canceled", "The Cancel-After deadline passed while generating"
            )
            return
        except UpstreamError as exc:
            live.upstream = exc.upstream
            await self._end(live, claim, "failed", exc.message, exc.status_code)
            return
        except Exception:
            log.exception("job %s failed unexpectedly", spec.job_id)
            await self._end(
                live, claim, "failed", "Internal error while generating; please try again", 500
            )
            return
        # From here the outcome is recorded even if an abort arrives meanwhile.
        await asyncio.shield(self._record(live, claim, stored, began))

    async def _record(
        self, live: LiveJob, claim: claims.Attempt, stored: StoredAudio, began: float
    ) -> None:
        spec = claim.spec
        generation_ms = int((time.monotonic() - began) * 1000)
        live.finishing, live.upstream = True, stored.upstream
        try:
            entry_id = await self.db.writes.run(
                lambda session: claims.succeed(
                    session,
                    spec=spec,
                    attempt=claim.number,
                    stored=stored,
                    generation_ms=generation_ms,
                )
            )
        except Exception:
            log.exception("job %s: could not record its result", spec.job_id)
            entry_id = None
        if entry_id is None:
            # Not ours to record (cancelled, account deleted, another run holds the job) or
            # the database failed: the audio goes, so no job keeps two objects.
            await self.service.storage.delete_many(stored.keys)
            await self._end(
                live, claim, "failed", "Could not save the result; please try again", 500
            )
            return
        live.status = "succeeded"
        await self._emit("completed", spec.job_id, spec)

    async def _end(
        self,
        live: LiveJob,
        claim: claims.Attempt,
        status: str,
        error: str,
        error_status: int | None = None,
    ) -> None:
        ended = await self.db.writes.run(
            lambda session: claims.end(
                session,
                job_id=claim.spec.job_id,
                attempt=claim.number,
                status=status,
                error=error,
                error_status=error_status,
                upstream=live.upstream,
            )
        )
        live.status = status
        if ended:
            await self._emit("completed", claim.spec.job_id, claim.spec)

    async def _emit(self, event: str, job_id: str, spec: JobSpec | None) -> None:
        # Only for a webhook that asked for the event: the hook reads the row.
        if spec is not None and (not spec.webhook_url or event not in spec.webhook_events):
            return
        try:
            await self.on_event(event, job_id)
        except Exception:  # a webhook problem must never fail the job
            log.exception("job %s: %s event hook failed", job_id, event)

    async def _save_progress(
        self, claim: claims.Attempt, progress: float, eta: float | None
    ) -> None:
        await self.db.writes.run(
            lambda session: claims.save_progress(
                session, spec=claim.spec, attempt=claim.number, progress=progress, eta=eta
            )
        )

    async def _report_progress(self, live: LiveJob, claim: claims.Attempt) -> None:
        """Writes the run's progress when it changes (and its estimate once a beat)."""
        expected = self.service.expected_seconds() or DEFAULT_EXPECTED_SECONDS
        sent: tuple[float, float | None] | None = None
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.job_heartbeat_s):
                    await live.changed.wait()
            progress, eta = live.estimate(expected)
            now = (round(progress, 3), None if eta is None else round(eta, 1))
            if now != sent and not live.finishing:
                sent = now
                try:
                    await self._save_progress(claim, *now)
                except Exception:
                    log.exception("job %s: saving its progress failed", claim.spec.job_id)
            await asyncio.sleep(PROGRESS_EVERY_S)
