"""Apps with small limits and short windows, on a SQLite file (limits do not touch the DB)."""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.app import running_app
from tests.support.databases import REDIS_URL, redis_reason_unavailable
from tests.support.limits import PROXY, ServeApp


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def limits_backend(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Settings that select the counters' home: this process, or Redis with a fresh prefix."""
    if request.param == "memory":
        return {}
    reason = await redis_reason_unavailable()
    if reason:
        pytest.skip(reason)
    return {"redis_url": REDIS_URL, "limits_key_prefix": f"ai_music_test_{uuid.uuid4().hex}"}


@pytest.fixture
def serve_app(tmp_path: Path) -> ServeApp:
    """``running_app`` with the given settings; requests come from the trusted proxy 127.0.0.1,
    so each test picks the client address with ``X-Forwarded-For``."""
    database_url = f"sqlite:///{tmp_path / 'ai_music.db'}"

    def serve(**overrides: Any) -> AbstractAsyncContextManager[tuple[httpx.AsyncClient, FastAPI]]:
        settings = {"trusted_proxies": [PROXY], **overrides}
        return running_app(tmp_path, database_url, peer=(PROXY, 50000), **settings)

    return serve
