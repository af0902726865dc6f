"""Shared fixtures: the app on a real database (SQLite file, and PostgreSQL when reachable), and
an S3 protocol server for the tests that keep audio in a bucket."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from ai_music.core.config import Settings
from tests.server_process import helper_process
from tests.support.app import app_settings, asgi_client, started_app
from tests.support.databases import (
    POSTGRES_ADMIN_URL,
    migrate,
    postgres_reason_unavailable,
    truncate_all,
)


@pytest.fixture(scope="session")
async def postgres_database() -> AsyncIterator[str]:
    """A database of its own for this test session, dropped at the end."""
    import asyncpg

    reason = await postgres_reason_unavailable()
    if reason:
        pytest.skip(reason)
    name = f"ai_music_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    try:
        await migrate(f"{base}/{name}", Path(tempfile.gettempdir()))
        yield f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(scope="session")
async def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test: migrating once is much faster."""
    directory = tmp_path_factory.mktemp("template")
    path = directory / "ai_music.db"
    await migrate(f"sqlite:///{path}", directory)
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
    asyncio.run(truncate_all(url))


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return app_settings(tmp_path, database_url)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app under test, started (tests/support/app.py)."""
    async with started_app(settings) as (_, application):
        yield application


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app under test, through ASGI (for a real server: tests/server_process.py)."""
    async with asgi_client(app) as api:
        yield api


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """An S3 protocol server on loopback (moto's server mode, standing in for S3, R2 or MinIO),
    in a subprocess; for the storage and cluster tests."""
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "{port}"]
    with helper_process(argv, "/", what="moto_server", timeout_s=30) as url:
        yield url


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
