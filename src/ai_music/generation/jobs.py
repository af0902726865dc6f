"""The job runner: works the queue of generation jobs inside the server process.

Jobs are rows (generation/models.py); this runner holds the ones it owns in memory, starts
them in fair order (generation/fairqueue.py) up to its upstreams' capacity, reports progress,
honours cancels and deadlines, and heart-beats its jobs so that another process (or this one
after a restart) can adopt them if it dies:

    queued ──start──▶ running ──▶ succeeded | failed | canceled
      │                  ▲
      ├─ deadline passed ─┼──▶ aborted
      └─ cancel ──────────┴──▶ canceled

A job found ``running`` with a dead owner is retried once, if its deadline allows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from ai_music.core.config import Settings
from ai_music.core.db import Database, now_ms, seconds_until
from ai_music.generation import claims, orphans, repository
from ai_music.generation.fairqueue import FairQueue
from ai_music.generation.live_job import DEFAULT_EXPECTED_SECONDS, LiveJob
from ai_music.generation.models import GenerationJob
from ai_music.generation.service import ColabRouters, GenerationService, JobSpec
from ai_music.generation.upstreams.base import UpstreamError
from ai_music.observability import metrics

log = logging.getLogger("ai_music.jobs")

DEADLINE_BEFORE_START = "The Cancel-After deadline passed before it started"
OWNER_DELETED = "The account was deleted"

# Called for jobs with a webhook URL that asked for the event ("start" or "completed").
JobEventHook = Callable[[str, GenerationJob], Awaitable[None]]


@dataclass
class Lane:
    """Jobs that share one bound on how many run at once, started in fair order."""

    limit: int
    queue: FairQueue = field(default_factory=FairQueue)
    running: int = 0


class JobRunner:
    """Two lanes: jobs for the configured upstreams run up to the first one's limit, and jobs
    for a client's own ``colab_url`` up to the colab policy's limit, so that neither waits for
    the other's capacity (the default engine runs only as many as it has workers)."""

    def __init__(
        self,
        *,
        db: Database,
        service: GenerationService,
        settings: Settings,
        max_running: int,
        on_event: JobEventHook | None = None,
        release_slot: orphans.SlotRelease | None = None,
    ) -> None:
        self.db = db
        self._release_slot = release_slot
        self.service = service
        self.settings = settings
        self.runner_id = uuid.uuid4().hex
        self._on_event = on_event
        self._configured = Lane(max_running)
        self._colab = Lane(ColabRouters.POLICY.max_concurrency)
        self._live: dict[str, LiveJob] = {}
        self._wakeup = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        await self.db.writes.run(lambda session: repository.beat(session, runner_id=self.runner_id))
        await self.adopt_orphans()
        self._tasks = [
            asyncio.create_task(self._dispatch_forever(), name="jobs-dispatch"),
            asyncio.create_task(self._maintain_forever(), name="jobs-maintain"),
        ]

    async def aclose(self) -> None:
        """Stops starting jobs; running ones get ``worker_grace_s`` to end, then go back to the
        queue (marked as stopped) for the next start."""
        self._closing = True
        running = [live.task for live in self._live.values() if live.task is not None]
        if running:
            await asyncio.wait(running, timeout=self.settings.worker_grace_s)
        for task in self._tasks:
            task.cancel()
        stopped = [job_id for job_id, live in self._live.items() if self._stop(live)]
        tasks = [live.task for live in self._live.values() if live.task is not None]
        await asyncio.gather(*tasks, return_exceptions=True)
        active = repository.ACTIVE_STATUSES
        held = [job_id for job_id, live in self._live.items() if live.status in active]
        if held:
            await self.db.writes.run(
                lambda session: repository.release(
                    session, held, stopped=stopped, reason=claims.STOPPED
                )
            )
        await self.db.writes.run(
            lambda session: repository.retire(session, runner_id=self.runner_id)
        )

    @staticmethod
    def _stop(live: LiveJob) -> bool:
        """Cancels a job's run unless it is recording its result; True if it was stopped."""
        if live.task is None or live.finishing:
            return False
        return live.task.cancel()

    # --- what routes call ----------------------------------------------------------------

    def enqueue(
        self, spec: JobSpec, *, on_settled: Callable[[], Awaitable[None]] | None = None
    ) -> LiveJob:
        live = LiveJob(spec=spec, on_settled=on_settled)
        self._live[spec.job_id] = live
        self._lane_of(spec).queue.push(spec.user_id, spec.job_id)
        metrics.set_queue_depth(self._queued())
        self._wakeup.set()
        return live

    def live(self, job_id: str) -> LiveJob | None:
        return self._live.get(job_id)

    def queue_position(self, job_id: str) -> int | None:
        live = self._live.get(job_id)
        if live is None or live.status != "queued":
            return None
        return self._lane_of(live.spec).queue.position(live.spec.user_id, job_id)

    def snapshot(self, job_id: str) -> tuple[float, float | None] | None:
        live = self._live.get(job_id)
        if live is None:
            return None
        return live.estimate(self.service.expected_seconds() or DEFAULT_EXPECTED_SECONDS)

    async def cancel(self, job_id: str, reason: str = "Canceled by the user") -> bool:
        """Cancels a job this process owns; False when it is not ours (or already over)."""
        live = self._live.get(job_id)
        if live is None or live.done.is_set():
            return False
        queue = self._lane_of(live.spec).queue
        if live.status == "queued" and queue.remove(live.spec.user_id, job_id):
            await self._finish(live, "canceled", reason)
            return True
        if live.task is not None and not live.finishing:
            live.cancel_reason = reason
            live.task.cancel()
            return True
        return False

    async def cancel_jobs_of(self, user_id: int) -> None:
        """Cancels the jobs this process holds for a deleted account."""
        for live in [live for live in self._live.values() if live.spec.user_id == user_id]:
            await self.cancel(live.spec.job_id, OWNER_DELETED)

    async def wait(self, job_id: str, within_s: float | None) -> None:
        """Returns when the job ends or the timeout passes, whichever is first."""
        live = self._live.get(job_id)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within_s):
                if live is not None:
                    await live.done.wait()
                    return
                while True:  # owned by another process: watch the row
                    async with self.db.read_sessionmaker() as session:
                        job = await repository.get(session, job_id)
                    if job is None or repository.is_terminal(job.status):
                        return
                    await asyncio.sleep(0.5)

    # --- the work ------------------------------------------------------------------------

    async def _dispatch_forever(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            for lane in (self._configured, self._colab):
                while lane.running < lane.limit and not self._closing:
                    job_id = lane.queue.pop()
                    if job_id is None:
                        break
                    live = self._live[job_id]
                    lane.running += 1
                    live.task = asyncio.create_task(self._run(live), name=f"job-{job_id}")
            metrics.set_queue_depth(self._queued())

    def _lane_of(self, spec: JobSpec) -> Lane:
        return self._colab if spec.colab_url else self._configured

    def _queued(self) -> int:
        return len(self._configured.queue) + len(self._colab.queue)

    async def _run(self, live: LiveJob) -> None:
        spec = live.spec
        try:
            if spec.deadline_ms is not None and now_ms() >= spec.deadline_ms:
                await self._finish(live, "aborted", DEADLINE_BEFORE_START)
                return
            started = await self.db.writes.run(
                lambda session: repository.mark_running(
                    session, job_id=spec.job_id, runner_id=self.runner_id
                )
            )
            if not started:  # canceled through another process meanwhile
                await self._finish(live, "canceled", "Canceled by the user")
                return
            live.status, live.started_at = "running", time.monotonic()
            live.notify()
            await self._emit("start", spec)
            await self._produce_and_record(live)
        except asyncio.CancelledError:
            if live.cancel_reason is None:
                raise  # shutting down: aclose() puts the job back in the queue
            await self._finish(live, "canceled", live.cancel_reason)
        except Exception:
            # Recording the outcome failed (the database, most likely): whoever waits on the
            # job must still get an answer. The row stays active and held by this runner; a
            # restart adopts it (adopt_orphans).
            log.exception("job %s: could not record its outcome", spec.job_id)
            if not live.done.is_set():
                live.error, live.error_status = "Internal error; please try again", 500
                await self._settle(live, "failed")
        finally:
            self._lane_of(spec).running -= 1
            self._wakeup.set()

    async def _produce_and_record(self, live: LiveJob) -> None:
        spec = live.spec
        began = time.monotonic()
        try:
            async with asyncio.timeout(seconds_until(spec.deadline_ms)):
                stored = await self.service.produce(spec, progress=live.on_progress)
        except TimeoutError:
            await self._finish(
                live, "canceled", "The Cancel-After deadline passed while generating"
            )
            return
        except UpstreamError as exc:
            live.upstream = exc.upstream
            await self._finish(live, "failed", exc.message, exc.status_code)
            return
        except Exception:
            log.exception("job %s failed unexpectedly", spec.job_id)
            await self._finish(
                live, "failed", "Internal error while generating; please try again", 500
            )
            return
        live.finishing = True
        generation_ms = int((time.monotonic() - began) * 1000)
        try:
            entry_id = await self.db.writes.run(
                lambda session: repository.finish_succeeded(
                    session, spec=spec, stored=stored, generation_ms=generation_ms
                )
            )
        except Exception:
            log.exception("job %s: could not record its result", spec.job_id)
            await self.service.storage.delete_many(stored.keys)
            live.finishing = False
            await self._finish(live, "failed", "Could not save the result; please try again", 500)
            return
        if entry_id is None:
            # The job's row is gone with its owner's account: nothing is recorded, and the
            # audio goes too.
            await self.service.storage.delete_many([stored.key])
            live.finishing = False
            await self._finish(live, "canceled", OWNER_DELETED)
            return
        live.stored, live.history_entry_id, live.upstream = stored, entry_id, stored.upstream
        live.progress, live.eta_seconds = 1.0, 0.0
        await self._settle(live, "succeeded")
        await self._emit("completed", spec)

    async def _finish(
        self, live: LiveJob, status: str, error: str, error_status: int | None = None
    ) -> None:
        await self.db.writes.run(
            lambda session: repository.finish(
                session,
                job_id=live.spec.job_id,
                status=status,
                error=error,
                error_status=error_status,
            )
        )
        live.error, live.error_status = error, error_status
        await self._settle(live, status)
        await self._emit("completed", live.spec)

    async def _settle(self, live: LiveJob, status: str) -> None:
        live.status = status
        live.done.set()
        live.notify()
        self._live.pop(live.spec.job_id, None)
        metrics.observe_job(time.monotonic() - live.enqueued_at, status)
        if live.started_at is not None:
            run_seconds = time.monotonic() - live.started_at
            metrics.record_generation(live.upstream or "none", status, run_seconds)
        if live.on_settled is not None:
            try:
                await live.on_settled()
            except Exception:  # a limits backend hiccup must not fail a finished job
                log.exception("job %s: releasing its quota slot failed", live.spec.job_id)

    async def _emit(self, event: str, spec: JobSpec) -> None:
        # Only jobs whose webhook asked for this event: the hook needs the row, and reading
        # it for every job cost ~10% of the server's CPU at 1,000 concurrent generations.
        if self._on_event is None or not spec.webhook_url or event not in spec.webhook_events:
            return
        job_id = spec.job_id
        try:
            async with self.db.read_sessionmaker() as session:
                job = await repository.get(session, job_id)
            if job is not None:
                await self._on_event(event, job)
        except Exception:  # a webhook problem must never fail the job
            log.exception("job %s: %s event hook failed", job_id, event)

    # --- keeping the rows honest -----------------------------------------------------------

    async def _maintain_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.job_heartbeat_s)
            try:
                await self._heartbeat()
                await self._abort_overdue()
                await self._cancel_requested_elsewhere()
                await self.adopt_orphans()
            except Exception:
                log.exception("job maintenance failed; retrying next beat")

    async def _heartbeat(self) -> None:
        expected = self.service.expected_seconds() or DEFAULT_EXPECTED_SECONDS
        progress = {
            job_id: live.estimate(expected)
            for job_id, live in list(self._live.items())
            if live.status == "running"
        }

        def write(session: Session) -> None:
            repository.beat(session, runner_id=self.runner_id)
            repository.save_progress(session, progress=progress)

        await self.db.writes.run(write)

    async def _abort_overdue(self) -> None:
        """Queued jobs whose Cancel-After passed end now, not when a slot frees up."""
        now = now_ms()
        overdue = [
            live
            for live in list(self._live.values())
            if live.status == "queued"
            and live.spec.deadline_ms is not None
            and now >= live.spec.deadline_ms
        ]
        for live in overdue:
            if self._lane_of(live.spec).queue.remove(live.spec.user_id, live.spec.job_id):
                await self._finish(live, "aborted", DEADLINE_BEFORE_START)

    async def _cancel_requested_elsewhere(self) -> None:
        if not self._live:
            return
        async with self.db.read_sessionmaker() as session:
            requested = await repository.cancel_requested_of(session, self.runner_id)
        for job_id in requested:
            await self.cancel(job_id)

    async def adopt_orphans(self) -> None:
        stale_before = now_ms() - int(self.settings.job_stale_after_s * 1000)
        adopted: list[GenerationJob] = await self.db.writes.run(
            lambda session: repository.adopt_orphans(
                session, runner_id=self.runner_id, stale_before_ms=stale_before
            )
        )
        for job in adopted:
            if job.id in self._live:
                continue
            await self._take_over(job)

    async def _take_over(self, job: GenerationJob) -> None:
        release = orphans.slot_releaser(self._release_slot, job)
        spec = await orphans.settle_or_requeue(self.db, job, release)
        if spec is not None:
            self.enqueue(spec, on_settled=release)
