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
from datetime import datetime
from typing import Any

import httpx
from tests.cluster.conftest import Cluster
from tests.factories import SignedInUser, signed_in_user
from tests.generation.job_support import eventually, job_body, poll_job, unique
from tests.generation.support import counting_upstream
from tests.generation.support.job_webhook_receiver import deliveries


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
    # Every re-run job says so (cut off by the SIGTERM, or its worker killed); no other does.
    assert all(job["requeued"] == (job["attempts"] > 1) for job in finished.values()), finished
    assert any(job["requeued"] for job in finished.values())
    # A job's upstream call completes once per attempt at most: a worker killed after the answer
    # but before recording it runs the job again; a job run once generated once.
    completed = {job_id: counting_upstream.completed[prompt] for job_id, prompt in jobs.items()}
    assert all(1 <= completed[job_id] <= job["attempts"] for job_id, job in finished.items()), (
        completed,
        finished,
    )
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
        events = await read_events(b, user, job_id)
        statuses = [status for status, _ in events]
        assert statuses[-1] == "succeeded"
        assert "running" in statuses
        # Each change reached the stream soon after the worker wrote it (NOTIFY, not a poll).
        delays = dict(events)
        print(f"SSE delay after the worker's write: {delays}")
        assert delays["running"] < 1.0 and delays["succeeded"] < 1.0, delays

        canceled_prompt = f"{tag} canceled sleep=30"
        job_id = await submit(b, user, canceled_prompt)
        await poll_job(a, user, job_id, lambda job: job["status"] == "running")
        await eventually(lambda: counting_upstream.calls[canceled_prompt] == 1, "the call")
        asked = time.monotonic()
        canceled = await a.post(f"/generations/{job_id}/cancel", headers=user.headers)
        assert canceled.json()["status"] == "canceled"
        # The worker closed its upstream call: the cancel reached it.
        await eventually(lambda: counting_upstream.closed[canceled_prompt] == 1, "the close", 2)
        print(f"cancel reached the worker's upstream call in {time.monotonic() - asked:.3f} s")
        assert time.monotonic() - asked < 1.0
        await eventually_async(lambda: slots_in_use(b, user), 0, "the slots to be freed")


async def read_events(
    client: httpx.AsyncClient, user: SignedInUser, job_id: str
) -> list[tuple[str, float]]:
    """Each status the stream showed, with how long after the row's change it arrived."""
    seen: list[tuple[str, float]] = []
    async with client.stream(
        "GET", f"/generations/{job_id}/events", headers=user.headers
    ) as response:
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                event: dict[str, Any] = json.loads(line[len("data: ") :])
                if seen and seen[-1][0] == event["status"]:
                    continue
                changed_at = {"running": event["started_at"], "succeeded": event["finished_at"]}
                stamp = changed_at.get(event["status"])
                delay = time.time() - _epoch(stamp) if stamp else 0.0
                seen.append((event["status"], round(delay, 3)))
    return seen


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


async def test_a_gunicorn_worker_recycled_during_a_long_job_does_not_restart_it(
    cluster: Cluster,
) -> None:
    base = cluster.gunicorn(
        WEB_CONCURRENCY="1",
        GUNICORN_MAX_REQUESTS="20",
        GUNICORN_MAX_REQUESTS_JITTER="0",
        AI_MUSIC_WORKER_GRACE_S="20",
    )
    prompt = unique("recycled sleep=4")
    async with client_for(base) as client:
        user = await signed_in_user(client)
        job_id = await submit(client, user, prompt)
        await poll_job(client, user, job_id, lambda job: job["status"] == "running")
        for _ in range(30):  # past max_requests: gunicorn replaces its web worker
            await health_on_a_new_connection(base)
        finished = await poll_job(client, user, job_id, timeout_s=30)
    assert finished["status"] == "succeeded", finished
    assert counting_upstream.calls[prompt] == 1
    assert "Maximum request limit of 20 exceeded" in cluster.log_text()


async def test_a_job_cut_off_more_often_than_allowed_fails_with_a_clear_error(
    cluster: Cluster,
) -> None:
    api = cluster.api()
    stopping = await cluster.worker(AI_MUSIC_JOB_MAX_ATTEMPTS="1", AI_MUSIC_WORKER_GRACE_S="0")
    prompt = unique("cut off sleep=30")
    async with client_for(api) as client:
        user = await signed_in_user(client)
        job_id = await submit(client, user, prompt)
        await poll_job(client, user, job_id, lambda job: job["status"] == "running")
        stopping.send_signal(signal.SIGTERM)
        await asyncio.to_thread(stopping.wait, 15)
        back = await poll_job(client, user, job_id, lambda job: job["status"] == "queued")
        assert back["started_at"] is not None  # it had run: back in the queue, not new
        await cluster.worker(AI_MUSIC_JOB_MAX_ATTEMPTS="1")
        failed = await poll_job(client, user, job_id, timeout_s=30)
        await eventually_async(lambda: slots_in_use(client, user), 0, "the slot to be freed")
    assert failed["status"] == "failed"
    assert failed["error"].startswith("The job was interrupted once"), failed
    assert counting_upstream.calls[prompt] == 1


async def test_a_job_its_stopped_worker_cannot_finish_goes_back_marked_and_ends_elsewhere(
    cluster: Cluster,
) -> None:
    api = cluster.api()
    stopping = await cluster.worker()  # AI_MUSIC_WORKER_GRACE_S=1: a 4 s call cannot finish
    prompt = unique("requeued sleep=4")
    async with client_for(api) as client:
        user = await signed_in_user(client)
        job_id = await submit(client, user, prompt)
        running = await poll_job(client, user, job_id, lambda job: job["status"] == "running")
        assert (running["attempts"], running["requeued"], running["requeued_reason"]) == (
            1,
            False,
            None,
        )
        await eventually(lambda: counting_upstream.calls[prompt] == 1, "the call")
        stopping.send_signal(signal.SIGTERM)
        await asyncio.to_thread(stopping.wait, 15)
        assert stopping.returncode == 0, cluster.log_text()
        back = await poll_job(client, user, job_id, lambda job: job["status"] == "queued")
        listed = (await client.get("/generations", headers=user.headers)).json()["items"]
        await cluster.worker()
        finished = await poll_job(client, user, job_id, timeout_s=30)
    assert (back["attempts"], back["requeued"]) == (1, True), back
    assert back["requeued_reason"].startswith("The worker running it was stopped"), back
    assert [(job["id"], job["requeued"]) for job in listed] == [(job_id, True)]
    assert finished["status"] == "succeeded", finished
    assert (finished["attempts"], finished["requeued"]) == (2, True), finished
    assert finished["requeued_reason"] == back["requeued_reason"]
    assert (counting_upstream.calls[prompt], counting_upstream.completed[prompt]) == (2, 1)


async def test_a_stopping_worker_finishes_a_job_within_a_grace_longer_than_the_stall_limit(
    cluster: Cluster,
) -> None:
    """The grace (25 s) outlasts the time after which a silent worker counts as dead (2.5 s
    here): the job still ends on the stopping worker, and the idle one never starts it."""
    api = cluster.api()
    stopping = await cluster.worker(AI_MUSIC_WORKER_GRACE_S="25")
    prompt = unique("graceful sleep=15")
    async with client_for(api) as client:
        user = await signed_in_user(client)
        job_id = await submit(client, user, prompt)
        await poll_job(client, user, job_id, lambda job: job["status"] == "running")
        await eventually(lambda: counting_upstream.calls[prompt] == 1, "the call")
        await cluster.worker()  # idle, its sweep looking for stalled workers every 0.5 s
        stopping.send_signal(signal.SIGTERM)
        await asyncio.to_thread(stopping.wait, 30)
        finished = await poll_job(client, user, job_id, timeout_s=30)
    assert stopping.returncode == 0, cluster.log_text()
    assert finished["status"] == "succeeded", finished
    assert (finished["attempts"], finished["requeued"]) == (1, False), finished
    assert counting_upstream.calls[prompt] == 1


async def health_on_a_new_connection(base: str) -> None:
    """One request; a connection the recycled worker closes as it stops is tried again."""
    deadline = time.monotonic() + 30
    while True:
        try:
            async with client_for(base) as client:
                if (await client.get("/health")).status_code == 200:
                    return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "no web worker answered"
        await asyncio.sleep(0.1)


async def test_a_webhook_retry_survives_its_worker_being_killed(
    cluster: Cluster, hook_url: str
) -> None:
    api = cluster.api()
    doomed = await cluster.worker()
    key = unique("hook")
    async with client_for(api) as client:
        user = await signed_in_user(client)
        body = job_body(
            unique("hooked"), webhook=f"{hook_url}/flaky/{key}", webhook_events_filter=["completed"]
        )
        created = await client.post("/generations", json=body, headers=user.headers)
        assert created.status_code == 202, created.text
        # The first delivery is refused (500); its retry is due a second later.
        await eventually(lambda: len(deliveries(key)) == 1, "the first delivery")
        doomed.kill()
        await cluster.worker()
        await eventually(lambda: len(deliveries(key)) == 2, "the retry", 30)
    first, retry = deliveries(key)
    assert (first.answered, retry.answered) == (500, 204)
    assert first.headers["webhook-id"] == retry.headers["webhook-id"]
    assert json.loads(retry.body)["status"] == "succeeded"
