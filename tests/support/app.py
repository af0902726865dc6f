"""The one way tests build the app under test: ``create_app`` on explicit Settings, its lifespan
run, and an httpx client that speaks ASGI to it in this process (no socket).

``running_app(tmp_path, database_url, upstreams, **overrides)`` is the short form most tests
use; ``started_app(settings)`` runs Settings a test already has (the ``settings`` fixture,
or a ``model_copy`` of it). Both yield ``(api, app)``: the client, and the FastAPI app for
tests that look at its state. The root conftest's ``app`` and ``api`` fixtures are these on
the ``database_url`` fixture. A real server process is tests/server_process.py.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from ai_music.app import create_app
from ai_music.core.config import Settings

BASE_URL = "http://testserver"
# Generation tests wait for whole jobs through this client; a hung request still fails.
TIMEOUT_S = 60.0


def app_settings(
    tmp_path: Path,
    database_url: str | None = None,
    upstreams: list[dict[str, Any]] | None = None,
    **overrides: Any,
) -> Settings:
    """Settings with the data dir under ``tmp_path`` (the database too, unless ``database_url``
    names one) and a short job heartbeat, so that a stale job is noticed in a test's time."""
    options: dict[str, Any] = {"data_dir": tmp_path / "data", "job_heartbeat_s": 0.2}
    if database_url is not None:
        options["database_url"] = database_url
    if upstreams is not None:
        options["upstreams"] = json.dumps(upstreams)
    return Settings(**{**options, **overrides})


def loopback_upstream(name: str, url: str, *, kind: str = "http", **options: Any) -> dict[str, Any]:
    """An upstream config (for ``upstreams``, or JSON in AI_MUSIC_UPSTREAMS) naming a test
    service on loopback, which the app refuses unless told it may."""
    return {"name": name, "kind": kind, "url": url, "allow_private_network": True, **options}


def asgi_client(app: FastAPI, *, peer: tuple[str, int] | None = None) -> httpx.AsyncClient:
    """A client for ``app`` in this process; ``peer`` is the client address the app sees."""
    transport = httpx.ASGITransport(app=app, client=peer or ("127.0.0.1", 123))
    return httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=TIMEOUT_S)


@asynccontextmanager
async def started_app(
    settings: Settings, *, peer: tuple[str, int] | None = None, lifespan: bool = True
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    """The app on ``settings``, started (``lifespan=False``: not started, no database or
    store opened, for routes that need neither), and a client for it."""
    app = create_app(settings)
    if not lifespan:
        async with asgi_client(app, peer=peer) as api:
            yield api, app
        return
    async with app.router.lifespan_context(app), asgi_client(app, peer=peer) as api:
        yield api, app


@asynccontextmanager
async def running_app(
    tmp_path: Path,
    database_url: str | None = None,
    upstreams: list[dict[str, Any]] | None = None,
    *,
    peer: tuple[str, int] | None = None,
    **overrides: Any,
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    """``started_app`` on ``app_settings(tmp_path, database_url, upstreams, **overrides)``."""
    settings = app_settings(tmp_path, database_url, upstreams, **overrides)
    async with started_app(settings, peer=peer) as running:
        yield running
