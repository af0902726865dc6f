"""The fast reader: compiled reads on the raw driver, for the hottest indexed, LIMITed reads."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.engine import Dialect

from ai_music.core.db.compiled import Query


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
