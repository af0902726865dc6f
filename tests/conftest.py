"""Shared fixtures: the app on a real database (SQLite file, and PostgreSQL when reachable)."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from ai_music.app import create_app
from ai_music.core.config import Settings
from ai_music.core.db import create_engine
from ai_music.core.migrate import upgrade_to_head

POSTGRES_ADMIN_URL = os.environ.get(
    "AI_MUSIC_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


async def _postgres_reason_unavailable() -> str | None:
    import asyncpg

    try:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {exc}"
    await connection.close()
    return None


@pytest.fixture(scope="session")
async def postgres_database() -> AsyncIterator[str]:
    """A database of its own for this test session, dropped at the end."""
    import asyncpg

    reason = await _postgres_reason_unavailable()
    if reason:
        pytest.skip(reason)
    name = f"ai_music_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    try:
        await _migrated(f"{base}/{name}", Path(tempfile.gettempdir()))
        yield f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _truncate_all(url: str) -> None:
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


async def _migrated(url: str, data_dir: Path) -> None:
    engine = create_engine(Settings(data_dir=data_dir, database_url=url))
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
async def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test: migrating once is much faster."""
    directory = tmp_path_factory.mktemp("template")
    path = directory / "ai_music.db"
    await _migrated(f"sqlite:///{path}", directory)
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, tmp_path / "ai_music.db")
        yield f"sqlite:///{tmp_path / 'ai_music.db'}"
        return
    url: str = request.getfixturevalue("postgres_database")
    yield url
    asyncio.run(_truncate_all(url))


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _clean_settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests build Settings explicitly; a developer's own AI_MUSIC_* variables must not leak in."""
    for name in list(os.environ):
        if name.startswith("AI_MUSIC_") and name != "AI_MUSIC_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    for name in ("DATABASE_URL", "PORT", "HF_API_URL", "HF_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    yield
