"""Two API instances that run no jobs, workers that run them, one database, Redis, a bucket.

Jobs sent to either instance all succeed exactly once, through a worker killed (SIGKILL) and
another stopped (SIGTERM) mid-run; any instance answers /studio-generate, streams a job's
events and cancels it on whichever worker runs it; the users' slots end at zero.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from collections import Counter
from typing import Any

import httpx
from tests.cluster.conftest import Cluster
from tests.factories import SignedInUser, signed_in_user
from tests.generation.job_support import eventually, job_body, poll_job, unique
from tests.generation.support import counting_upstream


def client_for(base: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base, trust_env=False, timeout=30)


async def submit(client: httpx.AsyncClient, user: SignedInUser, prompt: str) -> str:
    response = await client.post("/generations", json=job_body(prompt), headers=user.headers)
    assert response.status_code == 202, response.text
    job_id: str = response.json()["id"]
    return job_id


async def slots_in_use(client: httpx.AsyncClient, user: SignedInUser) -> int:
    limits = (await client.get("/me/limits", headers=user.headers)).json()
    used: int = limits["concurrent_generations"]["used"]
    return used


async def test_jobs_on_either_instance_succeed_once_through_a_killed_and_a_stopped_worker(
    cluster: Cluster,
) -> None:
    api_a, api_b = cluster.api(), cluster.api()
    first = await cluster.worker()
    second = await cluster.worker()
    tag = unique("cluster")
    async with client_for(api_a) as a, client_for(api_b) as b:
        user = await signed_in_user(a)
        prompts = [f"{tag} job{n} sleep=3" for n in range(8)]
        jobs = {
            await submit(a if n % 2 else b, user, prompt): prompt
            for n, prompt in enumerate(prompts)
        }
        # Both workers busy (two jobs each), then one dies and the other is stopped.
        await eventually(lambda: sum(counting_upstream.calls[p] for p in prompts) >= 4, "4 runs")
        first.kill()
        second.send_signal(signal.SIGTERM)
        await asyncio.to_thread(second.wait, 15)
        assert second.returncode == 0, cluster.log_text()
        await cluster.worker()

        finished = {
            job_id: await poll_job(a if n % 2 else b, user, job_id, timeout_s=60)
            for n, job_id in enumerate(jobs)
        }
        history = (await b.get("/history", params={"limit": 100}, headers=user.headers)).json()
        await eventually_async(lambda: slots_in_use(a, user), 0, "the slots to be freed")

    assert [job["status"] for job in finished.values()] == ["succeeded"] * 8, finished
    # Each prompt finished generating once, whatever was cut off on the way.
    assert all(counting_upstream.completed[p] == 1 for p in prompts), counting_upstream.completed
    assert sum(counting_upstream.calls[p] for p in prompts) > 8  # some were cut and re-run
    rows = Counter(entry["prompt"] for entry in history["items"])
    assert rows == Counter(prompts)
    linked = {job["history_entry_id"] for job in finished.values()}
    assert linked == {entry["id"] for entry in history["items"]}
    assert len(cluster.bucket.object_keys()) == 8  # one audio object per job, none orphaned


async def eventually_async(read: Any, expected: Any, what: str, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while (value := await read()) != expected:
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {value}"
        await asyncio.sleep(0.1)


async def test_an_instance_without_a_worker_answers_streams_and_cancels_any_job(
    cluster: Cluster,
) -> None:
    api_a, api_b = cluster.api(), cluster.api()
    await cluster.worker()
    tag = unique("anywhere")
    async with client_for(api_a) as a, client_for(api_b) as b:
        user = await signed_in_user(a)

        studio = await b.post(
            "/studio-generate", json=job_body(f"{tag} studio"), headers=user.headers
        )
        assert studio.status_code == 200, studio.text
        assert studio.headers["content-type"] == "audio/wav"
        assert studio.content[:4] == b"RIFF"
        assert len(studio.content) == int(studio.headers["content-length"])

        streamed = f"{tag} streamed sleep=1"
        job_id = await submit(a, user, streamed)
        statuses = await read_events(b, user, job_id)
        assert statuses[-1] == "succeeded"
        assert "running" in statuses

        canceled_prompt = f"{tag} canceled sleep=30"
        job_id = await submit(b, user, canceled_prompt)
        await poll_job(a, user, job_id, lambda job: job["status"] == "running")
        await eventually(lambda: counting_upstream.calls[canceled_prompt] == 1, "the call")
        asked = time.monotonic()
        canceled = await a.post(f"/generations/{job_id}/cancel", headers=user.headers)
        assert canceled.json()["status"] == "canceled"
        # The worker closed its upstream call: the cancel reached it.
        await eventually(lambda: counting_upstream.closed[canceled_prompt] == 1, "the close", 2)
        assert time.monotonic() - asked < 2
        await eventually_async(lambda: slots_in_use(b, user), 0, "the slots to be freed")


async def read_events(client: httpx.AsyncClient, user: SignedInUser, job_id: str) -> list[str]:
    statuses: list[str] = []
    async with client.stream(
        "GET", f"/generations/{job_id}/events", headers=user.headers
    ) as response:
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                event: dict[str, Any] = json.loads(line[len("data: ") :])
                if not statuses or statuses[-1] != event["status"]:
                    statuses.append(event["status"])
    return statuses
