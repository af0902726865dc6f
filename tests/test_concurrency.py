"""Concurrent writes against the embedded SQLite default: no "database is locked", no lost rows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.factories import history_body, signed_in_user, signup_body
from tests.support.app import running_app


@pytest.fixture
async def sqlite_api(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    # One test client is one address: lift the per-address signup throttle for this load.
    async with running_app(tmp_path, signup_limit_per_ip="1000 per minute") as (client, _):
        yield client


async def test_100_concurrent_signups_all_succeed(sqlite_api: httpx.AsyncClient) -> None:
    bodies = [signup_body() for _ in range(100)]
    responses = await asyncio.gather(*(sqlite_api.post("/signup", json=b) for b in bodies))
    assert [r.status_code for r in responses] == [201] * 100

    signins = await asyncio.gather(
        *(
            sqlite_api.post("/signin", json={"username": b["username"], "password": b["password"]})
            for b in bodies[::10]
        )
    )
    assert all(r.status_code == 200 for r in signins)


async def test_1000_concurrent_history_writes_are_all_stored(
    sqlite_api: httpx.AsyncClient,
) -> None:
    users = [await signed_in_user(sqlite_api) for _ in range(4)]

    async def save(n: int) -> int:
        user = users[n % len(users)]
        response = await sqlite_api.post(
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
            page = (await sqlite_api.get("/history", params=params, headers=user.headers)).json()
            stored |= {item["prompt"] for item in page["items"]}
            cursor = page["next_cursor"]
            if not cursor:
                break
    assert stored == {f"piece {n}" for n in range(1000)}
