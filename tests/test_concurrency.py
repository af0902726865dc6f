"""Concurrent writes against the embedded SQLite default: no "database is locked", no lost rows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from ai_music.app import create_app
from ai_music.core.config import Settings
from tests.factories import history_body, signed_in_user, signup_body


@pytest.fixture
async def sqlite_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    # One test client is one address: lift the per-address signup throttle for this load.
    settings = Settings(data_dir=tmp_path / "data", signup_limit_per_ip="1000 per minute")
    app: FastAPI = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield client


async def test_100_concurrent_signups_all_succeed(sqlite_client: httpx.AsyncClient) -> None:
    bodies = [signup_body() for _ in range(100)]
    responses = await asyncio.gather(*(sqlite_client.post("/signup", json=b) for b in bodies))
    assert [r.status_code for r in responses] == [201] * 100

    signins = await asyncio.gather(
        *(
            sqlite_client.post(
                "/signin", json={"username": b["username"], "password": b["password"]}
            )
            for b in bodies[::10]
        )
    )
    assert all(r.status_code == 200 for r in signins)


async def test_1000_concurrent_history_writes_are_all_stored(
    sqlite_client: httpx.AsyncClient,
) -> None:
    users = [await signed_in_user(sqlite_client) for _ in range(4)]

    async def save(n: int) -> int:
        user = users[n % len(users)]
        response = await sqlite_client.post(
            "/save-history", json=history_body(prompt=f"piece {n}"), headers=user.headers
        )
        return response.status_code

    statuses = await asyncio.gather(*(save(n) for n in range(1000)))
    assert statuses == [201] * 1000

    stored: set[str] = set()
    for user in users:
        cursor = None
        while True:
            params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = (await sqlite_client.get("/history", params=params, headers=user.headers)).json()
            stored |= {item["prompt"] for item in page["items"]}
            cursor = page["next_cursor"]
            if not cursor:
                break
    assert stored == {f"piece {n}" for n in range(1000)}
