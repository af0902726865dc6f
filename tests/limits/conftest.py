"""Apps with small limits and short windows, on a SQLite file (limits do not touch the DB)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ai_music.app import create_app
from ai_music.core.config import Settings

REDIS_URL = "redis://127.0.0.1:6379/0"
PROXY = "127.0.0.1"

ServeApp = Callable[..., AbstractAsyncContextManager[tuple[FastAPI, httpx.AsyncClient]]]


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
    """Builds an app with the given settings; requests come from the trusted proxy 127.0.0.1,
    so each test picks the client address with ``X-Forwarded-For``."""

    @asynccontextmanager
    async def serve(**overrides: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "database_url": f"sqlite:///{tmp_path / 'ai_music.db'}",
            "trusted_proxies": [PROXY],
            **overrides,
        }
        settings = Settings(**values)
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, client=(PROXY, 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                yield app, c

    return serve


def from_address(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}
