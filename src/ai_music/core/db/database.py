"""``Database``: the one object a process opens to reach its database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ai_music.core.config import Settings
from ai_music.core.db.batching import (
    AsyncSessionCommitter,
    BatchCommitter,
    SqliteWriterThread,
    WriteBatcher,
)
from ai_music.core.db.engines import create_engine, sqlite_path
from ai_music.core.db.readers import FastReader, PostgresReader, SqliteReader


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
