"""The PostgreSQL and Redis the tests use when they are reachable, and how a test leaves them."""

from __future__ import annotations

import os
from pathlib import Path

from ai_music.core.config import Settings
from ai_music.core.db import create_engine
from ai_music.core.migrate import upgrade_to_head

POSTGRES_ADMIN_URL = os.environ.get(
    "AI_MUSIC_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = "redis://127.0.0.1:6379/0"


async def postgres_reason_unavailable() -> str | None:
    import asyncpg

    try:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {exc}"
    await connection.close()
    return None


async def redis_reason_unavailable() -> str | None:
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except (OSError, redis.RedisError) as exc:
        return f"Redis not reachable at {REDIS_URL}: {exc}"
    finally:
        await client.aclose()
    return None


async def truncate_all(url: str) -> None:
    """Empties every table but the schema version, for the next test on the same database."""
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"
        )
        if tables:
            names = ", ".join(f'"{row["tablename"]}"' for row in tables)
            await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()


async def migrate(url: str, data_dir: Path) -> None:
    engine = create_engine(Settings(data_dir=data_dir, database_url=url))
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()
