"""Database access: the SQLAlchemy async engine, the request's transaction, and a fast reader.

SQLite (the embedded default) runs in WAL mode with a busy timeout, foreign keys on, and every
write transaction opened with ``BEGIN IMMEDIATE`` so concurrent writers queue on the busy
timeout instead of failing with "database is locked" on a read-to-write upgrade.

The hot queries skip the ORM: they are SQLAlchemy Core statements compiled once per dialect
(``Query``, ``RowInsert``) and executed on the raw driver, reads through ``FastReader`` and the
job runner's writes through ``execute``. Measured on this machine kind, the async ORM layer
costs 1.5–2 ms a request on SQLite, more than the query itself (../shared/docs/perf-notes.md
and bench/bench_api.py); recording a finished job (three statements) cost ~590 µs through the
ORM session and ~47 µs compiled, all of it holding the GIL the event loop needs.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

from sqlalchemy import (
    BigInteger,
    BindParameter,
    Integer,
    MetaData,
    bindparam,
    event,
    insert,
    text,
)
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from ai_music.core.config import Settings, ensure_private_dir

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # SQLite only auto-numbers an INTEGER PRIMARY KEY; its INTEGER is 64-bit anyway.
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        int: BigInteger().with_variant(Integer(), "sqlite")
    }


def now_ms() -> int:
    """Timestamps are UTC epoch milliseconds: the same on SQLite and PostgreSQL, cheap to order."""
    return time.time_ns() // 1_000_000


def format_ms(epoch_ms: int) -> str:
    """ISO 8601 in UTC with millisecond precision, e.g. ``2026-11-24T19:26:00.123Z``."""
    seconds, millis = divmod(epoch_ms, 1000)
    return f"{_utc_second(seconds)}.{millis:03d}Z"


@lru_cache(maxsize=65_536)
def _utc_second(seconds: int) -> str:
    # Cached: history lists format the same timestamps on every read (the hot path).
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def sqlite_path(url: str) -> Path:
    return Path(url.split(":///", 1)[1].split("?", 1)[0])


def _configure_sqlite(engine: Engine, busy_timeout_ms: int, *, read_only: bool) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _: Any) -> None:
        # Let SQLAlchemy's "begin" event below own transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    # Writers take the write lock up front; readers take none (WAL readers never wait).
    begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)


def _create_private_file(path: Path) -> None:
    """The database file, readable by this user only: SQLite gives its -wal and -shm files the
    database file's permissions."""
    ensure_private_dir(path.parent)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))


def create_engine(settings: Settings, *, read_only: bool = False) -> AsyncEngine:
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        _create_private_file(sqlite_path(url))
        engine = create_async_engine(url, pool_size=5, max_overflow=0, pool_timeout=60)
        _configure_sqlite(engine.sync_engine, settings.sqlite_busy_timeout_ms, read_only=read_only)
        return engine
    return create_async_engine(
        url, pool_size=settings.db_pool_size, max_overflow=10, pool_pre_ping=True
    )


class Query:
    """A statement compiled once per dialect into the driver's own SQL and positional arguments."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...], dict[str, Any]]] = {}

    @staticmethod
    def param(name: str) -> BindParameter[Any]:
        return bindparam(name)

    def sql_and_args(self, dialect: Dialect, params: dict[str, Any]) -> tuple[str, list[Any]]:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            statement = self.statement.compile(dialect=dialect)
            order = tuple(getattr(statement, "positiontup", None) or ())
            compiled = (statement.string, order, dict(statement.params))
            self._compiled[dialect.name] = compiled
        sql, order, defaults = compiled
        # Binds the statement fixed itself (e.g. SQLite's OFFSET) keep their compiled value.
        return sql, [params[name] if name in params else defaults[name] for name in order]


def execute(session: Session, query: Query, **params: Any) -> Any:
    """Runs a compiled statement on the session's driver connection, inside its transaction;
    returns the DB-API cursor (``rowcount``, ``fetchone``)."""
    return execute_many(session, query, [params])


def execute_many(session: Session, query: Query, rows: Sequence[dict[str, Any]]) -> Any:
    """``execute`` for many parameter sets at once (one ``executemany`` when there are
    several). Driver errors are raised as SQLAlchemy's (``IntegrityError`` and the rest), as
    ``session.execute`` would."""
    if not rows:
        return None
    connection = session.connection()
    dialect = connection.dialect
    compiled = [query.sql_and_args(dialect, row) for row in rows]
    sql = compiled[0][0]
    cursor = connection.connection.cursor()
    try:
        if len(compiled) == 1:
            cursor.execute(sql, compiled[0][1])
        else:
            cursor.executemany(sql, [args for _, args in compiled])
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(sql, rows, exc, dialect.loaded_dbapi.Error) from exc
    return cursor


class RowInsert:
    """An INSERT of every column of ``table`` (but ``exclude``), compiled once: a column the
    caller gives no value gets its constant Python-side default (``default="queued"``), else
    NULL. Callable defaults (``default=now_ms``) are the caller's to fill in."""

    def __init__(self, table: Any, *, exclude: Sequence[str] = (), returning: Any = None) -> None:
        self.columns = frozenset(c.key for c in table.columns if c.key not in exclude)
        self._defaults = {
            column.key: column.default.arg
            for column in table.columns
            if isinstance(column.default, ScalarElementColumnDefault)
        }
        statement = insert(table).values({key: bindparam(f"v_{key}") for key in self.columns})
        self._query = Query(statement if returning is None else statement.returning(returning))

    def run(self, session: Session, values: dict[str, Any]) -> Any:
        """Inserts one row; returns the DB-API cursor (``fetchone`` for ``returning``)."""
        unknown = values.keys() - self.columns
        if unknown:
            raise TypeError(f"not columns of this insert: {sorted(unknown)}")
        params = {
            f"v_{key}": values[key] if key in values else self._defaults.get(key)
            for key in self.columns
        }
        return execute(session, self._query, **params)


class FastReader(Protocol):
    async def fetch_all(self, query: Query, **params: Any) -> Sequence[Sequence[Any]]: ...
    async def fetch_one(self, query: Query, **params: Any) -> Sequence[Any] | None: ...
    async def aclose(self) -> None: ...


class SqliteReader:
    """Runs indexed, LIMITed reads on one read-only sqlite3 connection, on the event loop.

    Such a read takes tens of microseconds; handing it to a thread (aiosqlite) costs more than
    the read. WAL means readers never wait for the writer, so nothing here blocks for long.
    """

    def __init__(self, path: Path, dialect: Dialect) -> None:
        self._path = path
        self._dialect = dialect
        self._connection: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
            connection.execute("PRAGMA query_only=ON")
            connection.execute("PRAGMA busy_timeout=2000")
            self._connection = connection
        return self._connection

    def _execute(self, query: Query, params: dict[str, Any]) -> sqlite3.Cursor:
        sql, args = query.sql_and_args(self._dialect, params)
        return self._connect().execute(sql, args)

    async def fetch_all(self, query: Query, **params: Any) -> Sequence[Sequence[Any]]:
        return self._execute(query, params).fetchall()

    async def fetch_one(self, query: Query, **params: Any) -> Sequence[Any] | None:
        row: Sequence[Any] | None = self._execute(query, params).fetchone()
        return row

    async def aclose(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class PostgresReader:
    """Runs the same compiled reads on a small asyncpg pool of its own."""

    def __init__(self, dsn: str, dialect: Dialect, max_size: int) -> None:
        self._dsn = dsn
        self._dialect = dialect
        self._max_size = max_size
        self._pool: Any = None
        self._creating = asyncio.Lock()

    async def _acquire_pool(self) -> Any:
        if self._pool is None:
            # The first burst of requests must share one pool, not each open their own.
            async with self._creating:
                if self._pool is None:
                    import asyncpg

                    self._pool = await asyncpg.create_pool(
                        self._dsn, min_size=1, max_size=self._max_size
                    )
        return self._pool

    async def fetch_all(self, query: Query, **params: Any) -> Sequence[Sequence[Any]]:
        sql, args = query.sql_and_args(self._dialect, params)
        pool = await self._acquire_pool()
        rows: Sequence[Sequence[Any]] = await pool.fetch(sql, *args)
        return rows

    async def fetch_one(self, query: Query, **params: Any) -> Sequence[Any] | None:
        sql, args = query.sql_and_args(self._dialect, params)
        pool = await self._acquire_pool()
        row: Sequence[Any] | None = await pool.fetchrow(sql, *args)
        return row

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


class Database:
    """Owns the engine, the session factory and the fast reader for one process."""

    def __init__(self, settings: Settings) -> None:
        self.engine = create_engine(settings)
        url = self.engine.url
        is_sqlite = url.get_backend_name() == "sqlite"
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        # On SQLite, every transaction of ``sessionmaker`` holds the one write lock; reads
        # that need the ORM go through this one instead, so they never queue behind writers.
        self._read_engine = create_engine(settings, read_only=True) if is_sqlite else self.engine
        self.read_sessionmaker = async_sessionmaker(self._read_engine, expire_on_commit=False)
        committer: BatchCommitter = (
            SqliteWriterThread(settings) if is_sqlite else AsyncSessionCommitter(self.sessionmaker)
        )
        self.writes = WriteBatcher(committer)
        self.reader: FastReader
        if is_sqlite:
            self.reader = SqliteReader(sqlite_path(str(url)), self.engine.dialect)
        else:
            dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
            self.reader = PostgresReader(dsn, self.engine.dialect, settings.db_pool_size)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits when the block succeeds, rolls back when it raises."""
        async with self.sessionmaker() as session, session.begin():
            yield session

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def aclose(self) -> None:
        await self.writes.aclose()
        await self.reader.aclose()
        if self._read_engine is not self.engine:
            await self._read_engine.dispose()
        await self.engine.dispose()


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
    back, each waiting for a turn of a busy event loop: a batch of 25 job writes took 35–200 ms
    that way under load (bench/bench_jobs.py). Here a whole batch is one hop.
    """

    def __init__(self, settings: Settings) -> None:
        url = settings.sqlalchemy_url.replace("sqlite+aiosqlite://", "sqlite://", 1)
        self._engine = sa_create_engine(url, pool_size=1, max_overflow=0)
        _configure_sqlite(self._engine, settings.sqlite_busy_timeout_ms, read_only=False)
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
            # Urgent writes go alone: padded with up to 24 background writes, a batch took
            # 13–25 ms under bench/bench_jobs.py's load, all of it added to a submission.
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
