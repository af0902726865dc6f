"""Helpers for the generation tests: upstream configs, request bodies, polling with a deadline."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.factories import SignedInUser
from tests.support.app import loopback_upstream

TERMINAL = {"succeeded", "failed", "canceled", "aborted"}


def gradio_received(apps_url: str, app: str, marker: str) -> list[dict[str, Any]]:
    """The calls a support/gradio_apps.py app's function received with ``marker`` in a value."""
    calls: list[dict[str, Any]] = httpx.get(f"{apps_url}/received/{app}", timeout=5).json()
    return [call for call in calls if any(marker in str(value) for value in call.values())]


def counting(url: str, **options: Any) -> dict[str, Any]:
    """The counting upstream (support/counting_upstream.py), without retries by default."""
    return loopback_upstream("counting", url, **{"retries": 0, **options})


def unique(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}"


def job_body(prompt: str, **extra: Any) -> dict[str, Any]:
    return {"prompt": prompt, "duration": 5, "format": "wav", **extra}


def is_over(job: dict[str, Any]) -> bool:
    return job["status"] in TERMINAL


async def get_job(client: httpx.AsyncClient, user: SignedInUser, job_id: str) -> dict[str, Any]:
    response = await client.get(f"/generations/{job_id}", headers=user.headers)
    assert response.status_code == 200, response.text
    job: dict[str, Any] = response.json()
    return job


async def poll_job(
    client: httpx.AsyncClient,
    user: SignedInUser,
    job_id: str,
    until: Callable[[dict[str, Any]], bool] = is_over,
    timeout_s: float = 15,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        job = await get_job(client, user, job_id)
        if until(job):
            return job
        assert time.monotonic() < deadline, f"job {job_id} did not get there in time: {job}"
        await asyncio.sleep(0.05)


async def eventually(condition: Callable[[], bool], what: str, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def audio_files(tmp_path: Path) -> list[Path]:
    root = tmp_path / "data" / "audio"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def running_blocker(client: httpx.AsyncClient, user: SignedInUser) -> dict[str, Any]:
    """A job that holds the counting upstream for 30 s, once it is running (cancel it after)."""
    response = await client.post(
        "/generations", json=job_body(unique("blocker sleep=30")), headers=user.headers
    )
    blocker: dict[str, Any] = response.json()
    await poll_job(client, user, blocker["id"], lambda job: job["status"] == "running")
    return blocker
