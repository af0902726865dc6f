"""What routes ask of the job queue, whichever moves the work.

- ``InProcessQueue``: the embedded default (SQLite): jobs run in the process that accepted
  them, in fair order, from memory (generation/jobs.py); nothing to install or run beside it.
- ``DistributedQueue`` (generation/queue.py): Procrastinate on PostgreSQL; any process with a
  worker runs any job, and any API instance answers for any job.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from ai_music.core.db import Database
from ai_music.generation import repository
from ai_music.generation.jobs import JobRunner
from ai_music.generation.live_job import LiveJob
from ai_music.generation.models import GenerationJob
from ai_music.generation.public import Snapshot

Settled = Callable[[], Awaitable[None]]


class JobQueue(Protocol):
    runner_id: str

    async def start(self) -> None: ...
    async def aclose(self) -> None: ...

    async def enqueue(self, job: GenerationJob, *, on_settled: Settled) -> LiveJob | None:
        """Queues an inserted row; the runner's handle when this process runs it."""

    def live(self, job_id: str) -> LiveJob | None: ...
    async def snapshot(self, job: GenerationJob) -> Snapshot: ...
    async def cancel(self, job_id: str, reason: str = "Canceled by the user") -> None: ...
    async def wait(self, job_id: str, within_s: float | None) -> None: ...

    def changed(self, job_id: str) -> asyncio.Event | None:
        """Set on the job's next change (None: poll)."""

    def forget(self, job_id: str, event: asyncio.Event) -> None: ...
    async def cancel_jobs_of(self, user_id: int) -> None: ...

    async def queue_webhook(
        self, url: str, *, user_id: int, event: str, payload: dict[str, Any]
    ) -> bool:
        """Queues a webhook delivery that survives restarts; False: this queue has none
        (the caller sends it from memory)."""


class InProcessQueue:
    def __init__(self, runner: JobRunner, db: Database) -> None:
        self.runner = runner
        self.runner_id = runner.runner_id
        self._db = db

    async def start(self) -> None:
        await self.runner.start()

    async def aclose(self) -> None:
        await self.runner.aclose()

    async def enqueue(self, job: GenerationJob, *, on_settled: Settled) -> LiveJob | None:
        return self.runner.enqueue(repository.spec_of(job), on_settled=on_settled)

    def live(self, job_id: str) -> LiveJob | None:
        return self.runner.live(job_id)

    async def snapshot(self, job: GenerationJob) -> Snapshot:
        found = self.runner.snapshot(job.id)
        if found is None:
            return Snapshot()
        return Snapshot(found[0], found[1], self.runner.queue_position(job.id))

    async def cancel(self, job_id: str, reason: str = "Canceled by the user") -> None:
        if not await self.runner.cancel(job_id, reason):
            # Owned by another server process: it sees the flag on its next heartbeat.
            await self._db.writes.run(lambda session: repository.request_cancel(session, job_id))

    async def wait(self, job_id: str, within_s: float | None) -> None:
        await self.runner.wait(job_id, within_s)

    def changed(self, job_id: str) -> asyncio.Event | None:
        live = self.runner.live(job_id)
        return live.changed if live is not None else None

    def forget(self, job_id: str, event: asyncio.Event) -> None:
        return None

    async def cancel_jobs_of(self, user_id: int) -> None:
        await self.runner.cancel_jobs_of(user_id)

    async def queue_webhook(
        self, url: str, *, user_id: int, event: str, payload: dict[str, Any]
    ) -> bool:
        return False
