"""Job changes heard across processes: the process that runs a job NOTIFYs on every change
(claims.notify, sent with the write's commit); every process LISTENs on one connection and
wakes whoever waits on that job here (an event stream, /studio-generate, a cancel).

A job's end also frees its user's concurrency slot in each process that hears it: the slot is
named after the job (limits/quota.py), so with Redis the first release does it and in memory
the process that took the slot frees its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import psycopg

from ai_music.generation.claims import CHANNEL

log = logging.getLogger("ai_music.jobs")

JobEnded = Callable[[int, str], Awaitable[None]]  # (user_id, job_id)
RECONNECT_DELAY_S = 1.0


class JobSignals:
    def __init__(self, conninfo: str, *, on_ended: JobEnded | None = None) -> None:
        self._conninfo = conninfo
        self._on_ended = on_ended
        self._waiters: dict[str, list[asyncio.Event]] = {}
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self._background: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen_forever(), name="job-signals")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                await self._listening.wait()

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for task in list(self._background):
            task.cancel()

    def changed(self, job_id: str) -> asyncio.Event:
        """An event set on the job's next change; take it before reading the row, so that a
        change between the read and the wait is not missed."""
        event = asyncio.Event()
        self._waiters.setdefault(job_id, []).append(event)
        return event

    def forget(self, job_id: str, event: asyncio.Event) -> None:
        waiters = self._waiters.get(job_id)
        if waiters and event in waiters:
            waiters.remove(event)
            if not waiters:
                del self._waiters[job_id]

    async def _listen_forever(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True
                ) as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    # Whatever changed while we were not listening: wake every waiter to look.
                    self._wake_all()
                    async for notice in connection.notifies():
                        self._dispatch(notice.payload)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("listening for job changes failed; reconnecting")
                await asyncio.sleep(RECONNECT_DELAY_S)

    def _wake_all(self) -> None:
        for waiters in self._waiters.values():
            for event in waiters:
                event.set()
        self._waiters.clear()

    def _dispatch(self, payload: str) -> None:
        kind, job_id, user_id = payload.split(":", 2)
        for event in self._waiters.pop(job_id, []):
            event.set()
        if kind == "e" and self._on_ended is not None:
            task = asyncio.create_task(self._ended(int(user_id), job_id))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _ended(self, user_id: int, job_id: str) -> None:
        assert self._on_ended is not None
        try:
            await self._on_ended(user_id, job_id)
        except Exception:
            log.exception("job %s: releasing its slot failed", job_id)
