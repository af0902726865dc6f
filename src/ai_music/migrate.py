"""Applying Alembic migrations: at start-up (from the lifespan) and by ``ai-music migrate``."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

# Any constant works; it only has to be the same in every process of this app.
_MIGRATION_LOCK_ID = 0x41494D55


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", "ai_music:migrations")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Several workers may start at once; one migrates, the others wait and find it done.
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
    command.upgrade(alembic_config(connection), "head")


async def upgrade_to_head(engine: AsyncEngine) -> None:
    # On SQLite the transaction starts with BEGIN IMMEDIATE, which serialises workers the same way.
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)
