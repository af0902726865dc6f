"""The distributed job queue: generation jobs moved by Procrastinate on PostgreSQL.

Our ``generation_jobs`` row stays the record users see; a Procrastinate job (its id kept in
``queue_job_id``) carries the work to whichever worker process is free. Every process that
runs jobs (``ai-music worker``, or ``ai-music serve`` with ``AI_MUSIC_RUN_WORKER=true``) runs
Procrastinate's worker on two queues, so that jobs for a client's own ``colab_url`` never wait
for the configured upstreams' capacity, and a sweep that re-queues the jobs of workers that
stopped heart-beating and ends queued jobs whose Cancel-After passed.

Fair order across users: a user's n-th pending job is deferred with priority -n, and workers
take the highest priority first, then the oldest; so every user's first job goes before any
user's second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from procrastinate import App, JobContext, PsycopgConnector, RetryStrategy
from procrastinate.worker import Worker
from sqlalchemy import func, select, text, update

from ai_music.core.config import Settings
from ai_music.core.db import Database
from ai_music.generation import claims, repository
from ai_music.generation.dispatch import Settled
from ai_music.generation.live_job import LiveJob
from ai_music.generation.models import GenerationJob
from ai_music.generation.public import Snapshot
from ai_music.generation.service import ColabRouters
from ai_music.generation.signals import JobEnded, JobSignals
from ai_music.generation.worker import GenerationRun, WorkerStopping
from ai_music.webhooks.queued import QueuedWebhooks
from ai_music.webhooks.sender import WebhookSender
from ai_music.webhooks.service import secret_for

log = logging.getLogger("ai_music.jobs")

GENERATION_QUEUE, COLAB_QUEUE, WEBHOOK_QUEUE = "generation", "colab", "webhooks"
# Procrastinate's connections per process: one LISTEN per queue's worker, the rest for its
# short queries (fetch, finish, defer); it never holds one while a job runs.
QUEUE_POOL_SIZE = 6
# Deliveries one worker sends at once (each mostly waits on the receiver).
WEBHOOK_CONCURRENCY = 8
# A Procrastinate retry is a restart after a stop; our row counts them (job_max_attempts).
_RESTARTS = RetryStrategy(max_attempts=1000, retry_exceptions={WorkerStopping})
# Fallback polls, for a notification missed while a connection was being re-made.
POLL_S = 2.0

_POSITION = text(
    "SELECT count(*) FROM procrastinate_jobs o, procrastinate_jobs j "
    "WHERE j.id = :id AND o.status = 'todo' AND o.queue_name = j.queue_name "
    "AND (o.priority > j.priority OR (o.priority = j.priority AND o.id < j.id))"
)


class DistributedQueue:
    def __init__(
        self,
        *,
        db: Database,
        settings: Settings,
        run: GenerationRun,
        max_running: int,
        on_ended: JobEnded,
        webhooks: WebhookSender,
    ) -> None:
        self.db = db
        self.settings = settings
        self.runner_id = uuid.uuid4().hex
        self._run = run
        self._limits = {
            GENERATION_QUEUE: max_running,
            COLAB_QUEUE: ColabRouters.POLICY.max_concurrency,
            WEBHOOK_QUEUE: WEBHOOK_CONCURRENCY,
        }
        self.app = App(
            connector=PsycopgConnector(
                conninfo=settings.postgres_conninfo, min_size=1, max_size=QUEUE_POOL_SIZE
            )
        )
        self.signals = JobSignals(settings.postgres_conninfo, on_ended=on_ended)
        self._workers: list[asyncio.Task[None]] = []
        self._procrastinate_workers: list[Worker] = []
        self._sweeper: asyncio.Task[None] | None = None

        @self.app.task(name="generate", pass_context=True, retry=_RESTARTS)
        async def generate(context: JobContext, job_id: str) -> None:
            await self._run.run(job_id, context)

        self._generate = generate
        self.webhooks = QueuedWebhooks(
            self.app, webhooks, self._secret_of, settings.webhook_max_attempts
        )

    async def _secret_of(self, user_id: int) -> str | None:
        async with self.db.read_sessionmaker() as session:
            return await secret_for(session, user_id)

    async def queue_webhook(
        self, url: str, *, user_id: int, event: str, payload: dict[str, Any]
    ) -> bool:
        await self.webhooks.schedule(url, user_id=user_id, event=event, payload=payload)
        return True

    # --- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        if logging.getLogger("ai_music").getEffectiveLevel() > logging.DEBUG:
            # Three INFO lines per job (deferred, started, ended): our own log says enough.
            logging.getLogger("procrastinate").setLevel(logging.WARNING)
        await self.app.open_async()
        await self.signals.start()
        if not self.settings.run_worker:
            return
        self.app.perform_import_paths()  # type: ignore[no-untyped-call]
        beat = self.settings.job_heartbeat_s
        for queue, limit in self._limits.items():
            worker = Worker(
                app=self.app,
                queues=[queue],
                name=f"{queue}-{self.runner_id[:8]}",
                concurrency=limit,
                shutdown_graceful_timeout=self.settings.worker_grace_s,
                install_signal_handlers=False,
                update_heartbeat_interval=beat,
                stalled_worker_timeout=self.stalled_after_s,
                fetch_job_polling_interval=POLL_S,
                abort_job_polling_interval=POLL_S,
                delete_jobs="successful",
            )
            self._procrastinate_workers.append(worker)
            run = worker.run()  # type: ignore[no-untyped-call]
            self._workers.append(asyncio.create_task(run, name=f"worker-{queue}"))
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="jobs-sweep")

    async def aclose(self) -> None:
        """Stops taking jobs; running ones get ``worker_grace_s`` to end, then go back."""
        if self._sweeper is not None:
            self._sweeper.cancel()
        # Asked to stop, not cancelled: a cancel that lands while a worker registers itself can
        # be lost in the driver, leaving a worker that never stops. A stop() made before the
        # worker's run began is reset by it, so it is asked again until every run has ended.
        pending = set(self._workers)
        stopped = asyncio.Event()
        beating = asyncio.create_task(self._beat_while_stopping(stopped), name="stopping-beat")
        try:
            while pending:
                for worker in self._procrastinate_workers:
                    worker.stop()  # type: ignore[no-untyped-call]
                _, pending = await asyncio.wait(pending, timeout=0.5)
            await asyncio.gather(*self._workers, return_exceptions=True)
        finally:
            # Ended, not cancelled: a beat cut off mid-query would leave its connection in a
            # transaction, holding a lock on the workers' table, when the pool closes.
            stopped.set()
            await beating
        await self.signals.aclose()
        await self.app.close_async()

    async def _beat_while_stopping(self, stopped: asyncio.Event) -> None:
        """Procrastinate stops a worker's heartbeat when its shutdown begins, then gives running
        jobs the grace period; a grace longer than ``stalled_after_s`` would let another
        worker's sweep start a second run of a job still finishing here. So we beat for it."""
        manager = self.app.job_manager
        while not stopped.is_set():
            for worker in self._procrastinate_workers:
                worker_id = worker.worker_id  # None once it has unregistered
                if worker_id is not None:
                    with contextlib.suppress(Exception):
                        await manager.update_heartbeat(worker_id)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.job_heartbeat_s):
                    await stopped.wait()

    @property
    def stalled_after_s(self) -> float:
        """A worker silent this long is taken for dead and its jobs re-queued."""
        beat = self.settings.job_heartbeat_s
        return max(self.settings.job_stale_after_s - beat, 3 * beat, 1.0)

    # --- what routes call ----------------------------------------------------------------

    async def enqueue(self, job: GenerationJob, *, on_settled: Settled) -> LiveJob | None:
        """Defers the job; its slot is freed by whoever ends it (signals.py), not here."""
        async with self.db.read_sessionmaker() as session:
            pending = await session.scalar(
                select(func.count()).where(
                    GenerationJob.user_id == job.user_id,
                    GenerationJob.status.in_(repository.ACTIVE_STATUSES),
                    GenerationJob.created_at_ms <= job.created_at_ms,
                )
            )
        queue = COLAB_QUEUE if job.colab_url else GENERATION_QUEUE
        queue_job_id = await self._generate.configure(
            queue=queue, priority=-max(0, (pending or 1) - 1), queueing_lock=job.id
        ).defer_async(job_id=job.id)
        await self.db.writes.run(
            lambda session: session.execute(
                update(GenerationJob)
                .where(GenerationJob.id == job.id)
                .values(queue_job_id=queue_job_id)
            ),
            urgent=True,
        )
        return None

    def live(self, job_id: str) -> LiveJob | None:
        return None

    async def snapshot(self, job: GenerationJob) -> Snapshot:
        return Snapshot(queue_position=await self.queue_position(job))

    def changed(self, job_id: str) -> asyncio.Event | None:
        return self.signals.changed(job_id)

    def forget(self, job_id: str, event: asyncio.Event) -> None:
        self.signals.forget(job_id, event)

    async def cancel_jobs_of(self, user_id: int) -> None:
        """Nothing to do: the rows went with the account, and a run still going records
        nothing (claims.succeed) and deletes its audio."""

    async def queue_position(self, job: GenerationJob) -> int | None:
        if job.status != "queued" or job.queue_job_id is None:
            return None
        async with self.db.read_sessionmaker() as session:
            ahead = await session.scalar(_POSITION, {"id": job.queue_job_id})
        return int(ahead or 0)

    async def cancel(self, job_id: str, reason: str = "Canceled by the user") -> None:
        """Cancels wherever the job is: a queued one ends here, a running one is aborted on
        its worker (Procrastinate notifies it), a stalled one is refused when retried."""
        flagged = await self.db.writes.run(
            lambda session: claims.flag_cancel(session, job_id), urgent=True
        )
        if flagged is None:
            return
        status, queue_job_id = flagged
        if status == "queued":
            await self.db.writes.run(
                lambda session: claims.end(
                    session,
                    job_id=job_id,
                    attempt=None,
                    status="canceled",
                    error=reason,
                    only_queued=True,
                ),
                urgent=True,
            )
        if queue_job_id is not None:
            await self.app.job_manager.cancel_job_by_id_async(queue_job_id, abort=True)

    async def wait(self, job_id: str, within_s: float | None) -> None:
        """Returns when the job ends or ``within_s`` passed."""
        loop = asyncio.get_running_loop()
        until = None if within_s is None else loop.time() + within_s
        while True:
            changed = self.signals.changed(job_id)
            try:
                async with self.db.read_sessionmaker() as session:
                    job = await repository.get(session, job_id)
                if job is None or repository.is_terminal(job.status):
                    return
                left = POLL_S if until is None else min(POLL_S, until - loop.time())
                if left <= 0:
                    return
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(left):
                        await changed.wait()
            finally:
                self.signals.forget(job_id, changed)

    # --- keeping the queue honest ---------------------------------------------------------

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.job_heartbeat_s)
            try:
                await self.sweep()
            except Exception:
                log.exception("job sweep failed; retrying next beat")

    async def sweep(self) -> None:
        manager = self.app.job_manager
        for stalled in await manager.get_stalled_jobs(seconds_since_heartbeat=self.stalled_after_s):
            try:
                await manager.retry_job(stalled)
            except Exception:  # another worker's sweep took it first
                continue
            log.warning("job %s: its worker stopped heart-beating; re-queued", stalled.task_kwargs)
        overdue = await self.db.writes.run(claims.overdue_queued)
        for job_id, queue_job_id in overdue:
            if await self._abort_queued(job_id) and queue_job_id is not None:
                await manager.cancel_job_by_id_async(queue_job_id)

    async def _abort_queued(self, job_id: str) -> bool:
        ended: bool = await self.db.writes.run(
            lambda session: claims.end(
                session,
                job_id=job_id,
                attempt=None,
                status="aborted",
                error="The Cancel-After deadline passed before it started",
                only_queued=True,
            )
        )
        return ended
