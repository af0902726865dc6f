"""Alembic environment: runs on a connection handed over by ai_music.core.migrate, or on its own."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from ai_music.accounts import models as _accounts_models  # noqa: F401  (registers tables)
from ai_music.core.db import Base
from ai_music.generation import models as _generation_models  # noqa: F401
from ai_music.history import models as _history_models  # noqa: F401

target_metadata = Base.metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_with_own_engine() -> None:
    from ai_music.core.config import get_settings
    from ai_music.core.db import create_engine

    engine = create_engine(get_settings())
    async with engine.begin() as connection:
        await connection.run_sync(run_on)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_on(connection)
else:
    asyncio.run(run_with_own_engine())
