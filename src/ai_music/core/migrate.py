"""Keeping the schema at the latest Alembic revision.

The server checks the revision with one query at start-up and, only when the database is
behind, runs ``ai-music migrate`` in a child process, so that Alembic (and Mako) stay out of
the server's memory (docs/architecture.md).
"""

from __future__ import annotations

import asyncio
import os
import sys

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from ai_music.core.config import Settings

# The newest revision in migrations/versions; tests/test_migrations.py keeps the two in step.
SCHEMA_HEAD = "0008"

# Any constant works; it only has to be the same in every process of this app.
_MIGRATION_LOCK_ID = 0x41494D55


class MigrationFailed(RuntimeError):
    pass


def _upgrade(connection: Connection) -> None:
    from alembic import command
    from alembic.config import Config

    if connection.dialect.name == "postgresql":
        # Several workers may start at once; one migrates, the others wait and find it done.
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
    config = Config()
    config.set_main_option("script_location", "ai_music:migrations")
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def upgrade_to_head(engine: AsyncEngine) -> None:
    """Runs the migrations in this process (``ai-music migrate`` and the tests use this)."""
    async with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        # SQLite's table rebuild (migration 0005) drops and re-creates referenced tables; with
        # foreign keys on, dropping one would cascade-delete the rows that point at it. The
        # pragma only takes effect outside a transaction, so it is set before BEGIN.
        if sqlite:
            await connection.run_sync(_sqlite_foreign_keys, False)
        try:
            # On SQLite the transaction starts with BEGIN IMMEDIATE, which serialises workers
            # the same way as PostgreSQL's advisory lock.
            async with connection.begin():
                await connection.run_sync(_upgrade)
        finally:
            if sqlite:
                await connection.run_sync(_sqlite_foreign_keys, True)


def _sqlite_foreign_keys(connection: Connection, enabled: bool) -> None:
    cursor = connection.connection.cursor()
    cursor.execute(f"PRAGMA foreign_keys={'ON' if enabled else 'OFF'}")
    cursor.close()


async def current_revision(engine: AsyncEngine) -> str | None:
    try:
        async with engine.connect() as connection:
            result = await connection.execute(text("SELECT version_num FROM alembic_version"))
            return result.scalar_one_or_none()
    except DBAPIError:
        return None  # no alembic_version table yet: a new database


async def ensure_latest_schema(engine: AsyncEngine, settings: Settings) -> None:
    if await current_revision(engine) == SCHEMA_HEAD:
        return
    env = {
        **os.environ,
        "AI_MUSIC_DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.sqlalchemy_url,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ai_music.core.migrate", env=env
    )
    if await process.wait() != 0:
        raise MigrationFailed("database migration failed; see the log above")


def main() -> None:
    """Upgrades the database the settings name (``ai-music migrate``)."""
    from ai_music.core.config import get_settings
    from ai_music.core.db import create_engine

    async def run() -> None:
        settings = get_settings()
        settings.private_data_dir()
        engine = create_engine(settings)
        try:
            await upgrade_to_head(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print("database is at the latest schema", file=sys.stderr)


if __name__ == "__main__":
    main()
