"""Jobs survive a crash: a real `ai-music serve` process is killed (SIGKILL) with jobs queued
and running; a new process on the same data finishes or fails every one of them, once."""

from __future__ import annotations

import json
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from ai_music.generation.claims import STALLED, STOPPED
from ai_music.generation.orphans import RESTARTED
from tests.factories import SignedInUser, signed_in_user
from tests.generation.job_support import counting, eventually, get_job, job_body, poll_job, unique
from tests.generation.support import counting_upstream
from tests.server_process import SERVE, server

SERVE_LOOPBACK = [*SERVE, "--host", "127.0.0.1"]


def server_env(database_url: str, upstream_url: str) -> dict[str, str]:
    return {
        "AI_MUSIC_DATABASE_URL": database_url,
        "AI_MUSIC_UPSTREAMS": json.dumps([counting(upstream_url, max_concurrency=1)]),
        "AI_MUSIC_JOB_HEARTBEAT_S": "0.2",
        "AI_MUSIC_JOB_STALE_AFTER_S": "1",
        "AI_MUSIC_MAX_ACTIVE_JOBS_PER_USER": "10",
        "AI_MUSIC_LOG_LEVEL": "WARNING",
        "NO_PROXY": "127.0.0.1,localhost",
    }


async def test_a_killed_server_comes_back_and_finishes_or_fails_each_job_once(
    tmp_path: Path, database_url: str, upstream_url: str
) -> None:
    env = server_env(database_url, upstream_url)
    tag = unique("restart")
    running_prompt = f"{tag} running sleep=1"
    queued_prompts = [f"{tag} queued{n} sleep=0.1" for n in range(3)]
    with server(SERVE_LOOPBACK, tmp_path / "data", env) as (_, base, _):
        async with httpx.AsyncClient(base_url=base, trust_env=False, timeout=10) as client:
            user = await signed_in_user(client)
            running = (
                await client.post(
                    "/generations", json=job_body(running_prompt), headers=user.headers
                )
            ).json()
            await eventually(lambda: counting_upstream.calls[running_prompt] == 1, "the first call")
            queued = [
                (
                    await client.post("/generations", json=job_body(prompt), headers=user.headers)
                ).json()
                for prompt in queued_prompts
            ]
            # Its Cancel-After passes while no server is up.
            deadline_job = (
                await client.post(
                    "/generations",
                    json=job_body(f"{tag} deadline"),
                    headers={**user.headers, "Cancel-After": "1s"},
                )
            ).json()
            assert (await get_job(client, user, running["id"]))["status"] == "running"
            for job in queued:
                assert (await get_job(client, user, job["id"]))["status"] == "queued"
    # Leaving server() killed the process (SIGKILL), mid-job.
    assert counting_upstream.completed[running_prompt] == 0

    with server(SERVE_LOOPBACK, tmp_path / "data", env) as (_, base, _):
        async with httpx.AsyncClient(base_url=base, trust_env=False, timeout=10) as client:
            finished = {
                job["id"]: await poll_job(client, user, job["id"], timeout_s=20)
                for job in [running, *queued, deadline_job]
            }
            history = (
                await client.get("/history", params={"limit": 100}, headers=user.headers)
            ).json()["items"]
            listed = (
                await client.get("/generations", params={"limit": 100}, headers=user.headers)
            ).json()["items"]

    # The one that was running was retried once; the queued ones ran once each.
    assert finished[running["id"]]["status"] == "succeeded", finished[running["id"]]
    assert counting_upstream.calls[running_prompt] == 2
    for job, prompt in zip(queued, queued_prompts, strict=True):
        assert finished[job["id"]]["status"] == "succeeded", finished[job["id"]]
        assert counting_upstream.calls[prompt] == 1
    assert finished[deadline_job["id"]]["status"] == "aborted"
    # The retried one says so (its second attempt, and why); the others ran once, unmarked.
    retried = finished[running["id"]]
    assert (retried["attempts"], retried["requeued"]) == (2, True), retried
    assert retried["requeued_reason"] in (STALLED, RESTARTED)  # Procrastinate's, in-process
    assert [
        (finished[job["id"]]["attempts"], finished[job["id"]]["requeued"]) for job in queued
    ] == [(1, False)] * 3
    assert counting_upstream.calls[f"{tag} deadline"] == 0

    # None lost, none duplicated: one history row per succeeded job, linked from it.
    assert len(listed) == 5
    rows = Counter(entry["prompt"] for entry in history)
    assert rows == Counter([running_prompt, *queued_prompts])
    linked = {job["history_entry_id"] for job in finished.values() if job["history_entry_id"]}
    assert linked == {entry["id"] for entry in history}


async def stop_gracefully(
    tmp_path: Path, env: dict[str, str], prompt: str
) -> tuple[httpx.Response, SignedInUser]:
    """Starts a server, sends one job, and stops the server with SIGTERM while the upstream
    call runs; returns the job's first answer and its owner."""
    with server(SERVE_LOOPBACK, tmp_path / "data", env) as (process, base, _):
        async with httpx.AsyncClient(base_url=base, trust_env=False, timeout=10) as client:
            user = await signed_in_user(client)
            job = await client.post("/generations", json=job_body(prompt), headers=user.headers)
            await eventually(lambda: counting_upstream.calls[prompt] == 1, "the upstream call")
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
    return job, user


async def next_start_finishes(
    tmp_path: Path, env: dict[str, str], user: SignedInUser, job_id: str
) -> dict[str, Any]:
    with server(SERVE_LOOPBACK, tmp_path / "data", env) as (_, base, _):
        async with httpx.AsyncClient(base_url=base, trust_env=False, timeout=10) as client:
            return await poll_job(client, user, job_id, timeout_s=20)


@pytest.mark.parametrize(
    ("grace_s", "call_s", "runs", "requeued_reason"),
    [
        pytest.param(20, 1, 1, None, id="finished-within-the-grace"),
        pytest.param(0.5, 4, 2, STOPPED, id="cut-off-and-requeued"),
    ],
)
async def test_a_stopped_server_gives_a_running_job_its_grace(
    tmp_path: Path,
    database_url: str,
    upstream_url: str,
    grace_s: float,
    call_s: float,
    runs: int,
    requeued_reason: str | None,
) -> None:
    env = {**server_env(database_url, upstream_url), "AI_MUSIC_WORKER_GRACE_S": str(grace_s)}
    prompt = f"{unique('stopped')} sleep={call_s}"
    job, user = await stop_gracefully(tmp_path, env, prompt)
    # Before the process exited, the call ended within the grace or was cut off.
    assert counting_upstream.completed[prompt] == (1 if runs == 1 else 0)

    finished = await next_start_finishes(tmp_path, env, user, job.json()["id"])
    assert finished["status"] == "succeeded", finished
    assert (finished["attempts"], finished["requeued"]) == (runs, runs > 1), finished
    assert finished["requeued_reason"] == requeued_reason
    assert counting_upstream.calls[prompt] == runs
