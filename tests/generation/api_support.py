"""Building the whole app against chosen upstreams, for the HTTP-level generation tests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from ai_music.app import create_app
from ai_music.core.config import Settings


def loopback_upstream(name: str, url: str, **options: Any) -> dict[str, Any]:
    return {"name": name, "kind": "http", "url": url, "allow_private_network": True, **options}


@asynccontextmanager
async def running_app(
    tmp_path: Path,
    database_url: str,
    upstreams: list[dict[str, Any]] | None = None,
    **settings: Any,
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    options: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "database_url": database_url,
        "job_heartbeat_s": 0.2,
    }
    if upstreams is not None:
        options["upstreams"] = json.dumps(upstreams)
    options.update(settings)
    app = create_app(Settings(**options))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", timeout=60
        ) as client:
            yield client, app


def gradio_received(apps_url: str, app: str, marker: str) -> list[dict[str, Any]]:
    """The calls a support/gradio_apps.py app's function received with ``marker`` in a value."""
    calls: list[dict[str, Any]] = httpx.get(f"{apps_url}/received/{app}", timeout=5).json()
    return [call for call in calls if any(marker in str(value) for value in call.values())]
