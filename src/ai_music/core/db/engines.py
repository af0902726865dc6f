"""The SQLAlchemy engines: SQLite (the embedded default) tuned for concurrent use, or PostgreSQL.

SQLite runs in WAL mode with a busy timeout, foreign keys on, and every write transaction opened
with ``BEGIN IMMEDIATE`` so concurrent writers queue on the busy timeout instead of failing with
"database is locked" on a read-to-write upgrade.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ai_music.core.config import Settings, ensure_private_dir


def sqlite_path(url: str) -> Path:
    return Path(url.split(":///", 1)[1].split("?", 1)[0])


def configure_sqlite(engine: Engine, busy_timeout_ms: int, *, read_only: bool) -> None:
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
        configure_sqlite(engine.sync_engine, settings.sqlite_busy_timeout_ms, read_only=read_only)
        return engine
    return create_async_engine(
        url, pool_size=settings.db_pool_size, max_overflow=10, pool_pre_ping=True
    )
