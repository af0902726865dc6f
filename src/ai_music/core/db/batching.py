"""Group commit: many small writes from concurrent requests share one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from ai_music.core.config import Settings
from ai_music.core.db.engines import configure_sqlite

T = TypeVar("T")

SyncWrite = Callable[[Session], Any]
_PendingWrite = tuple[SyncWrite, "asyncio.Future[Any]"]
_Outcome = tuple[Any, BaseException | None]


def _apply_all(session: Session, writes: list[SyncWrite]) -> list[_Outcome]:
    return [(write(session), None) for write in writes]


def _apply_each_in_a_savepoint(session: Session, writes: list[SyncWrite]) -> list[_Outcome]:
    outcomes: list[_Outcome] = []
    for write in writes:
        try:
            with session.begin_nested():
                outcomes.append((write(session), None))
        except Exception as exc:  # that caller's own error, raised to it alone
            outcomes.append((None, exc))
    return outcomes


_Apply = Callable[[Session, list[SyncWrite]], list[_Outcome]]


async def _commit_batch(
    in_transaction: Callable[[_Apply], Awaitable[list[_Outcome]]], writes: list[SyncWrite]
) -> list[_Outcome]:
    """All writes in one transaction; if one fails, again each in a savepoint, so that only
    the failing caller gets its error. ``in_transaction(apply)`` runs ``apply`` in a fresh
    transaction and commits it."""
    try:
        return await in_transaction(_apply_all)
    except Exception:  # some write failed: find whose, and keep everyone else's
        pass
    try:
        return await in_transaction(_apply_each_in_a_savepoint)
    except Exception as exc:  # the commit itself failed: nobody's write is stored
        return [(None, exc) for _ in writes]


class BatchCommitter(Protocol):
    async def commit(self, writes: list[SyncWrite]) -> list[_Outcome]: ...
    async def aclose(self) -> None: ...


class SqliteWriterThread:
    """Commits batches on a synchronous SQLite connection, in a thread of its own.

    Through the async driver every statement of a batch is a hop to aiosqlite's thread and
    back, each waiting for a turn of a busy event loop; here a whole batch is one hop
    (figures in docs/architecture.md, "Database").
    """

    def __init__(self, settings: Settings) -> None:
        url = settings.sqlalchemy_url.replace("sqlite+aiosqlite://", "sqlite://", 1)
        self._engine = sa_create_engine(url, pool_size=1, max_overflow=0)
        configure_sqlite(self._engine, settings.sqlite_busy_timeout_ms, read_only=False)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")

    async def commit(self, writes: list[SyncWrite]) -> list[_Outcome]:
        loop = asyncio.get_running_loop()

        def in_transaction(apply: _Apply) -> Awaitable[list[_Outcome]]:
            return loop.run_in_executor(self._thread, self._in_transaction, apply, writes)

        return await _commit_batch(in_transaction, writes)

    def _in_transaction(self, apply: _Apply, writes: list[SyncWrite]) -> list[_Outcome]:
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            return apply(session, writes)

    async def aclose(self) -> None:
        self._thread.shutdown(wait=True)
        self._engine.dispose()


class AsyncSessionCommitter:
    """Commits batches through the async engine (PostgreSQL, where asyncpg is native)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker

    async def commit(self, writes: list[SyncWrite]) -> list[_Outcome]:
        async def in_transaction(apply: _Apply) -> list[_Outcome]:
            async with self._sessionmaker() as session, session.begin():
                return await session.run_sync(apply, writes)

        return await _commit_batch(in_transaction, writes)

    async def aclose(self) -> None:
        return None


class WriteBatcher:
    """Group commit: many small writes from concurrent requests share one transaction.

    SQLite has one writer at a time and each commit costs a sync; a thousand concurrent
    generations each writing their own job rows would queue for seconds. Callers hand in a
    synchronous function of a session; the batcher runs every pending one in one transaction.
    Failures are rare, so a batch first runs without savepoints and is replayed write by write,
    each in a SAVEPOINT, only when something in it fails: one caller's error (say, a unique-key
    conflict) is raised to that caller alone.

    ``urgent`` writes (a client waiting on its answer, as on job submission) go into the next
    batch, without background ones (heartbeats, job state), and batches are kept small, so an
    urgent write waits for at most the batch already committing.
    """

    def __init__(self, committer: BatchCommitter, max_batch: int = 25) -> None:
        self._committer = committer
        self._max_batch = max_batch
        self._urgent: list[_PendingWrite] = []
        self._pending: list[_PendingWrite] = []
        self._task: asyncio.Task[None] | None = None

    async def run(self, write: Callable[[Session], T], *, urgent: bool = False) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        (self._urgent if urgent else self._pending).append((write, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain(), name="write-batcher")
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        while self._urgent or self._pending:
            # Urgent writes go alone: background writes padding their batch would add their
            # commit time to a submission's answer.
            queue = self._urgent or self._pending
            batch = queue[: self._max_batch]
            del queue[: self._max_batch]
            outcomes = await self._committer.commit([write for write, _ in batch])
            for (_, future), (value, error) in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if error is None:
                    future.set_result(value)
                else:
                    future.set_exception(error)

    async def aclose(self) -> None:
        if self._task is not None:
            await self._task
        await self._committer.aclose()
