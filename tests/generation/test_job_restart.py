"""Jobs survive a crash: a real `ai-music serve` process is killed (SIGKILL) with jobs queued
and running; a new process on the same data finishes or fails every one of them, once."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

from tests.factories import signed_in_user
from tests.generation.job_support import counting, eventually, get_job, job_body, poll_job, unique
from tests.generation.support import counting_upstream
from tests.server_process import free_port
from tests.support.servers import serve_in_thread

AI_MUSIC = Path(sys.executable).with_name("ai-music")
START_TIMEOUT_S = 30


@pytest.fixture(scope="session")
def upstream_url() -> Iterator[str]:
    with serve_in_thread(counting_upstream.app) as url:
        yield url


def server_env(tmp_path: Path, database_url: str, upstream_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AI_MUSIC_")}
    env.update(
        {
            "AI_MUSIC_DATA_DIR": str(tmp_path / "data"),
            "AI_MUSIC_DATABASE_URL": database_url,
            "AI_MUSIC_UPSTREAMS": json.dumps([counting(upstream_url, max_concurrency=1)]),
            "AI_MUSIC_JOB_HEARTBEAT_S": "0.2",
            "AI_MUSIC_JOB_STALE_AFTER_S": "1",
            "AI_MUSIC_MAX_ACTIVE_JOBS_PER_USER": "10",
            "AI_MUSIC_LOG_LEVEL": "WARNING",
            "NO_PROXY": "127.0.0.1,localhost",
        }
    )
    return env


def start_server(env: dict[str, str], port: int, log: IO[bytes]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(AI_MUSIC), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


async def wait_until_serving(client: httpx.AsyncClient, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        assert process.poll() is None, f"the server exited with {process.returncode}"
        try:
            if (await client.get("/health")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the server did not start"
        await asyncio.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def test_a_killed_server_comes_back_and_finishes_or_fails_each_job_once(
    tmp_path: Path, database_url: str, upstream_url: str
) -> None:
    env = server_env(tmp_path, database_url, upstream_url)
    tag = unique("restart")
    running_prompt = f"{tag} running sleep=1"
    queued_prompts = [f"{tag} queued{n} sleep=0.1" for n in range(3)]
    log_path = tmp_path / "server.log"

    with log_path.open("wb") as log:
        port = free_port()
        first = start_server(env, port, log)
        try:
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=10
            ) as client:
                await wait_until_serving(client, first)
                user = await signed_in_user(client)
                running = (
                    await client.post(
                        "/generations", json=job_body(running_prompt), headers=user.headers
                    )
                ).json()
                await eventually(
                    lambda: counting_upstream.calls[running_prompt] == 1, "the first call"
                )
                queued = [
                    (
                        await client.post(
                            "/generations", json=job_body(prompt), headers=user.headers
                        )
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
        finally:
            first.kill()
            first.wait()
        assert counting_upstream.completed[running_prompt] == 0

        port = free_port()
        second = start_server(env, port, log)
        try:
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=10
            ) as client:
                await wait_until_serving(client, second)
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
        finally:
            stop(second)

    # The one that was running was retried once; the queued ones ran once each.
    assert finished[running["id"]]["status"] == "succeeded", finished[running["id"]]
    assert counting_upstream.calls[running_prompt] == 2
    for job, prompt in zip(queued, queued_prompts, strict=True):
        assert finished[job["id"]]["status"] == "succeeded", finished[job["id"]]
        assert counting_upstream.calls[prompt] == 1
    assert finished[deadline_job["id"]]["status"] == "aborted"
    assert counting_upstream.calls[f"{tag} deadline"] == 0

    # None lost, none duplicated: one history row per succeeded job, linked from it.
    assert len(listed) == 5
    rows = Counter(entry["prompt"] for entry in history)
    assert rows == Counter([running_prompt, *queued_prompts])
    linked = {job["history_entry_id"] for job in finished.values() if job["history_entry_id"]}
    assert linked == {entry["id"] for entry in history}
