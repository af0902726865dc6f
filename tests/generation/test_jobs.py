"""Generation jobs through the HTTP API (issue 5): life, progress, cancel, deadlines,
Prefer: wait, idempotency, limits, webhooks, ownership and fairness.

Upstreams are real services on loopback: the Gradio app that reports progress, and a
counting HTTP service (support/counting_upstream.py) that records every call it receives
and whether the caller closed it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ai_music.webhooks.signing import verify
from tests.factories import signed_in_user
from tests.generation.api_support import running_app
from tests.generation.conftest import _serve_in_thread
from tests.generation.job_support import (
    audio_files,
    counting,
    eventually,
    get_job,
    is_over,
    job_body,
    poll_job,
    running_blocker,
    unique,
)
from tests.generation.support import counting_upstream, job_webhook_receiver
from tests.generation.support.job_webhook_receiver import deliveries


@pytest.fixture(scope="session")
def upstream_url() -> Iterator[str]:
    yield from _serve_in_thread(counting_upstream.app)


@pytest.fixture(scope="session")
def hook_url() -> Iterator[str]:
    yield from _serve_in_thread(job_webhook_receiver.app)


def rising(values: list[float]) -> bool:
    return all(a <= b for a, b in itertools.pairwise(values))


# --- the whole life of a job, against a real Gradio app that reports progress ---------------------


async def test_gradio_job_progress_rises_to_1_by_polling_and_by_events(
    tmp_path: Path, database_url: str, gradio_app_url: str
) -> None:
    gradio = {
        "name": "gradio",
        "kind": "gradio",
        "url": gradio_app_url,
        "protocol": "queue",
        "allow_private_network": True,
        "retries": 0,
    }
    async with running_app(tmp_path, database_url, [gradio]) as (client, _):
        user = await signed_in_user(client)
        # "brisk": the app's four gr.Progress steps take 0.4 s each.
        created = await client.post(
            "/generations", json=job_body("brisk waltz"), headers=user.headers
        )
        assert created.status_code == 202, created.text
        job_id = created.json()["id"]

        async def stream() -> list[dict[str, Any]]:
            events = []
            url = f"/generations/{job_id}/events"
            async with client.stream("GET", url, headers=user.headers) as response:
                assert response.status_code == 200
                assert response.headers["content-type"].startswith("text/event-stream")
                async for line in response.aiter_lines():
                    if line.startswith("data: "):
                        events.append(json.loads(line.removeprefix("data: ")))
            return events

        async def poll() -> list[dict[str, Any]]:
            seen = []
            deadline = time.monotonic() + 40
            while not seen or not is_over(seen[-1]):
                assert time.monotonic() < deadline, seen[-1]
                await asyncio.sleep(0.05)
                seen.append(await get_job(client, user, job_id))
            return seen

        events, polled = await asyncio.wait_for(asyncio.gather(stream(), poll()), 60)

        for name, seen in (("polling", polled), ("events", events)):
            progress = [job["progress"] for job in seen]
            assert rising(progress), (name, progress)
            assert len({p for p in progress if 0 < p < 1}) >= 2, (name, progress)
            assert "running" in [job["status"] for job in seen], name
            assert seen[-1]["status"] == "succeeded", (name, seen[-1])
            assert seen[-1]["progress"] == 1
        # The stream ends with the job: its last event is the finished job, nothing after it.
        assert [job["id"] for job in events] == [job_id] * len(events)
        assert [is_over(job) for job in events].count(True) == 1

        done = polled[-1]
        assert done["upstream"] == "gradio"
        assert done["error"] is None
        assert done["started_at"] and done["finished_at"]
        assert done["run_seconds"] >= 1.6  # four 0.4 s steps
        entry = await client.get(f"/history/{done['history_entry_id']}", headers=user.headers)
        assert entry.status_code == 200
        assert entry.json()["prompt"] == "brisk waltz"
        assert done["audio_url"] == done["urls"]["audio"] == entry.json()["audio"]["url"]
        audio = await client.get(done["audio_url"], headers=user.headers)
        assert audio.status_code == 200
        assert audio.content[:4] == b"RIFF"


# --- creating, listing, fetching ------------------------------------------------------------------


async def test_created_jobs_are_listed_newest_first_and_link_their_audio(
    tmp_path: Path, database_url: str, upstream_url: str
) -> None:
    async with running_app(tmp_path, database_url, [counting(upstream_url)]) as (client, _):
        user = await signed_in_user(client)
        ids = []
        for n in range(3):
            response = await client.post(
                "/generations", json=job_body(unique(f"list{n}")), headers=user.headers
            )
            assert response.status_code == 202, response.text
            job = response.json()
            assert response.headers["location"] == f"/generations/{job['id']}"
            assert job["status"] in ("queued", "running", "succeeded")
            assert job["created_at"]
            assert set(job["urls"]) == {"self", "cancel", "audio", "events"}
            assert job["urls"]["self"] == response.headers["location"]
            assert job["urls"]["cancel"] == f"/generations/{job['id']}/cancel"
            assert job["urls"]["events"] == f"/generations/{job['id']}/events"
            ids.append(job["id"])
            await asyncio.sleep(0.002)  # created_at has millisecond resolution
        finished = [await poll_job(client, user, job_id) for job_id in ids]
        assert [job["status"] for job in finished] == ["succeeded"] * 3

        first = await client.get("/generations", params={"limit": 2}, headers=user.headers)
        assert first.status_code == 200
        page = first.json()
        assert [job["id"] for job in page["items"]] == ids[::-1][:2]
        assert page["next_cursor"]
        rest = await client.get(
            "/generations", params={"limit": 2, "cursor": page["next_cursor"]}, headers=user.headers
        )
        assert [job["id"] for job in rest.json()["items"]] == ids[:1]
        assert rest.json()["next_cursor"] is None

        job = finished[0]
        assert (
            job["audio_url"] == job["urls"]["audio"] == f"/history/{job['history_entry_id']}/audio"
        )
        audio = await client.get(job["audio_url"], headers=user.headers)
        assert audio.status_code == 200
        assert audio.content == counting_upstream.WAV
        history = (await client.get("/history", headers=user.headers)).json()["items"]
        assert sorted(entry["id"] for entry in history) == sorted(
            job["history_entry_id"] for job in finished
        )


# --- cancel ---------------------------------------------------------------------------------------


async def test_a_job_canceled_while_queued_never_starts(
    tmp_path: Path, database_url: str, upstream_url: str
) -> None:
    upstreams = [counting(upstream_url, max_concurrency=1)]
    async with running_app(tmp_path, database_url, upstreams, max_active_jobs_per_user=10) as (
        client,
        _,
    ):
        user = await signed_in_user(client)
        queued_prompt = unique("waiting")
        blocker = await running_blocker(client, user)
        waiting = (
            await client.post("/generations", json=job_body(queued_prompt), headers=user.headers)
        ).json()
        queued = await get_job(client, user, waiting["id"])
        assert queued["status"] == "queued"
        assert queued["queue_position"] == 0

        canceled = await client.post(waiting["urls"]["cancel"], headers=user.headers)
        assert canceled.status_code == 200
        assert canceled.json()["status"] == "canceled"
        assert canceled.json()["started_at"] is None

        # Free the upstream, then run one more job: were the canceled one still queued, it
        # would have gone first.
        await client.post(blocker["urls"]["cancel"], headers=user.headers)
        after = (
            await client.post("/generations", json=job_body(unique("after")), headers=user.headers)
        ).json()
        assert (await poll_job(client, user, after["id"]))["status"] == "succeeded"
        assert counting_upstream.calls[queued_prompt] == 0
        assert (await get_job(client, user, waiting["id"]))["status"] == "canceled"


async def test_a_job_canceled_while_running_closes_its_upstream_call_and_keeps_nothing(
    tmp_path: Path, database_url: str, upstream_url: str
) -> None:
    async with running_app(tmp_path, database_url, [counting(upstream_url)]) as (client, _):
        user = await signed_in_user(client)
        prompt = unique("running sleep=30")
        job = (
            await client.post("/generations", json=job_body(prompt), headers=user.headers)
        ).json()
        await eventually(lambda: counting_upstream.calls[prompt] == 1, "the upstream call")
        assert (await get_job(client, user, job["id"]))["status"] == "running"

        response = await client.post(job["urls"]["cancel"], headers=user.headers)
        assert response.status_code == 200
        canceled = response.json()
        assert canceled["status"] == "canceled"
        assert canceled["error"]
        assert canceled["history_entry_id"] is None and canceled["audio_url"] is None

        await eventually(lambda: counting_upstream.closed[prompt] == 1, "the call to be closed")
        assert counting_upstream.completed[prompt] == 0
        assert (await client.get("/history", headers=user.headers)).json()["items"] == []
        assert audio_files(tmp_path) == []
        # Canceling again changes nothing; the events of an ended job are that job, then the end.
        again = await client.post(job["urls"]["cancel"], headers=user.headers)
        assert again.json()["status"] == "canceled"
        events = await client.get(job["urls"]["events"], headers=user.headers)
        [line] = [line for line in events.text.splitlines() if line.startswith("data: ")]
        assert json.loads(line.removeprefix("data: "))["status"] == "canceled"


# --- Cancel-After ---------------------------------------------------------------------------------


async def test_cancel_after_passing_before_the_start_aborts_the_job(
    tmp_path: Path, database_url: str, upstream_url: str
) -> None:
    upstreams = [counting(upstream_url, max_concurrency=1)]
    async with running_app(tmp_path, database_url, upstreams, max_active_jobs_per_user=10) as (
        client,
        _,
    ):
        user = await signed_in_user(client)
        blocker = await running_blocker(client, user)
        prompt = unique("deadline")
        response = await client.post(
            "/generations",
            json=job_body(prompt),
            headers={**user.headers, "Cancel-After": "1s"},
        )
        assert response.status_code == 202
        # Aborted when its deadline passes, even though the upstream is still busy.
        aborted = await poll_job(client, user, response.json()["id"], timeout_s=5)
        assert aborted["status"] == "aborted", aborted
        assert "Cancel-After" in aborted["error"]
        assert aborted["started_at"] is None
        assert (await get_job(client, user, blocker["id"]))["status"] == "running"
        assert counting_upstream.calls[prompt] == 0
        await client.post(blocker["urls"]["cancel"], headers=user.headers)


async def test_cancel_after_passing_while_running_cancels_the_job(
    tmp_path: Path, database_url: str, upstream_url: str
) -> None:
    async with running_app(tmp_path, database_url, [counting(upstream_url)]) as (client, _):
        user = await signed_in_user(client)
        prompt = unique("overrun sleep=30")
        response = await client.post(
            "/generations", json=job_body(prompt), headers={**user.headers, "Cancel-After": "1s"}
        )
        job = await poll_job(client, user, response.json()["id"], timeout_s=5)
        assert job["status"] == "canceled", job
        assert "Cancel-After" in job["error"]
        assert job["started_at"] is not None
        await eventually(lambda: counting_upstream.closed[prompt] == 1, "the call to be closed")
        assert (await client.get("/history", headers=user.headers)).json()["items"] == []


async def test_a_malformed_cancel_after_is_a_400_and_creates_nothing(
    tmp_path: Path, database_url: str, upstream_url: str
) -> None:
    async with running_app(tmp_path, database_url, [counting(upstream_url)]) as (client, _):
        user = await signed_in_user(client)
        for value in ("soon", "10 parsecs", "0s", "-5s", "1.5m", "s"):
            response = await client.post(
                "/generations",
                json=job_body(unique("bad")),
                headers={**user.headers, "Cancel-After": value},
            )
            assert response.status_code == 400, (value, response.text)
            assert "Cancel-After" in response.json()["error"]
        assert (await client.get("/generations", headers=user.headers)).json()["items"] == []


# --- Prefer: wait ---------------------------------------------------------------------------------


async def test_prefer_wait_returns_the_finished_job_or_the_unfinished_one_in_time(
    tmp_path: Path, database_url: str, upstream_url: str
) -> None:
    async with running_app(tmp_path, database_url, [counting(upstream_url)]) as (client, _):
        user = await signed_in_user(client)
        fast = await client.post(
            "/generations",
            json=job_body(unique("fast")),
            headers={**user.headers, "Prefer": "wait=10"},
        )
        assert fast.status_code == 201, fast.text
        assert fast.json()["status"] == "succeeded"
        assert fast.json()["audio_url"]
        assert fast.headers["location"] == f"/generations/{fast.json()['id']}"

        began = time.monotonic()
        slow = await client.post(
            "/generations",
            json=job_body(unique("slow sleep=30")),
            headers={**user.headers, "Prefer": "respond-async, wait=1"},
        )
        waited = time.monotonic() - began
        assert slow.status_code == 202
        assert slow.json()["status"] in ("queued", "running")
        assert 0.9 <= waited < 5, waited
        await client.post(slow.json()["urls"]["cancel"], headers=user.headers)


# --- Idempotency-Key ------------------------------------------------------------------------------


async def test_the_same_idempotency_key_returns_the_same_job_and_calls_the_upstream_once(
    tmp_path: Path, database_url: str, upstream_url: str
) -> None:
    async with running_app(tmp_path, database_url, [counting(upstream_url)]) as (client, _):
        user = await signed_in_user(client)
        other = await signed_in_user(client)
        prompt = unique("once sleep=0.3")
        keyed = {**user.headers, "Idempotency-Key": "key-1"}
        first = await client.post("/generations", json=job_body(prompt), headers=keyed)
        second = await client.post("/generations", json=job_body(prompt), headers=keyed)
        assert first.status_code == second.status_code == 202
        assert first.json()["id"] == second.json()["id"]
        assert (await poll_job(client, user, first.json()["id"]))["status"] == "succeeded"
        # Once it finished, the key still names it (and starts nothing).
        third = await client.post("/generations", json=job_body(prompt), headers=keyed)
        assert third.status_code == 202
        assert third.json()["id"] == first.json()["id"]
        assert third.json()["status"] == "succeeded"

        # Two at the same moment with a new key: still one job.
        racing_prompt = unique("race sleep=0.3")
        racing = {**user.headers, "Idempotency-Key": "key-2"}
        both = await asyncio.gather(
            *(
                client.post("/generations", json=job_body(racing_prompt), headers=racing)
                for _ in range(2)
            )
        )
        assert [r.status_code for r in both] == [202, 202], [r.text for r in both]
        assert both[0].json()["id"] == both[1].json()["id"]
        await poll_job(client, user, both[0].json()["id"])

        # Keys are per user: another user's same key is their own job.
        theirs = await client.post(
            "/generations",
            json=job_body(prompt),
            headers={**other.headers, "Idempotency-Key": "key-1"},
        )
        assert theirs.status_code == 202
        assert theirs.json()["id"] != first.json()["id"]
        await poll_job(client, other, theirs.json()["id"])

        assert counting_upstream.calls[prompt] == 2  # one per user
        assert counting_upstream.calls[racing_prompt] == 1
        listed = (await client.get("/generations", headers=user.headers)).json()["items"]
        assert len(listed) == 2


async def test_the_same_idempotency_key_with_other_parameters_is_a_409(
    tmp_path: Path, database_url: str, upstream_url: str
) -> None:
    async with running_app(tmp_path, database_url, [counting(upstream_url)]) as (client, _):
        user = await signed_in_user(client)
        keyed = {**user.headers, "Idempotency-Key": "same"}
        prompt = unique("first")
        created = await client.post("/generations", json=job_body(prompt), headers=keyed)
        assert created.status_code == 202
        for changed in (job_body(unique("second")), job_body(prompt, tempo=90)):
            conflict = await client.post("/generations", json=changed, headers=keyed)
            assert conflict.status_code == 409, conflict.text
            assert "Idempotency-Key" in conflict.json()["error"]
        await poll_job(client, user, created.json()["id"])
        listed = (await client.get("/generations", headers=user.headers)).json()["items"]
        assert [job["id"] for job in listed] == [created.json()["id"]]


# --- the per-user limit ---------------------------------------------------------------------------


async def test_past_the_active_job_limit_is_a_429_with_retry_after(
    tmp_path: Path, database_url: str, upstream_url: str
) -> None:
    async with running_app(
        tmp_path, database_url, [counting(upstream_url)], max_active_jobs_per_user=2
    ) as (client, _):
        user = await signed_in_user(client)
        other = await signed_in_user(client)
        active = []
        for _ in range(2):
            response = await client.post(
                "/generations", json=job_body(unique("busy sleep=30")), headers=user.headers
            )
            assert response.status_code == 202
            active.append(response.json())
        refused = await client.post(
            "/generations", json=job_body(unique("third")), headers=user.headers
        )
        assert refused.status_code == 429, refused.text
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.json()["error"]
        # The limit is per user, and ending a job frees a place.
        theirs = await client.post(
            "/generations", json=job_body(unique("x")), headers=other.headers
        )
        assert theirs.status_code == 202
        await client.post(active[0]["urls"]["cancel"], headers=user.headers)
        again = await client.post(
            "/generations", json=job_body(unique("again")), headers=user.headers
        )
        assert again.status_code == 202, again.text
        for job in (active[1], again.json()):
            await client.post(job["urls"]["cancel"], headers=user.headers)


# --- webhooks -------------------------------------------------------------------------------------


async def test_webhooks_for_start_and_completed_arrive_signed(
    tmp_path: Path, database_url: str, upstream_url: str, hook_url: str
) -> None:
    async with running_app(
        tmp_path, database_url, [counting(upstream_url)], webhook_allow_private_network=True
    ) as (client, _):
        user = await signed_in_user(client)
        key = unique("hook")
        body = job_body(unique("hooked sleep=0.2"), webhook=f"{hook_url}/ok/{key}")
        job = (await client.post("/generations", json=body, headers=user.headers)).json()
        assert (await poll_job(client, user, job["id"]))["status"] == "succeeded"
        await eventually(lambda: len(deliveries(key)) == 2, "two webhook deliveries")

        secret = (await client.get("/me/webhook-secret", headers=user.headers)).json()["secret"]
        got = deliveries(key)
        for delivery in got:
            assert verify(secret, delivery.headers, delivery.body)
            assert not verify(secret, delivery.headers, delivery.body + b" ")
        payloads = [json.loads(delivery.body) for delivery in got]
        assert {payload["id"] for payload in payloads} == {job["id"]}
        assert sorted(payload["status"] for payload in payloads) == ["running", "succeeded"]
        [completed] = [payload for payload in payloads if payload["status"] == "succeeded"]
        assert completed["audio_url"]
        assert len({delivery.headers["webhook-id"] for delivery in got}) == 2


async def test_a_failing_webhook_is_retried_and_the_filter_is_honoured(
    tmp_path: Path, database_url: str, upstream_url: str, hook_url: str
) -> None:
    async with running_app(
        tmp_path, database_url, [counting(upstream_url)], webhook_allow_private_network=True
    ) as (client, _):
        user = await signed_in_user(client)
        key = unique("flaky")
        body = job_body(
            unique("filtered"),
            webhook=f"{hook_url}/flaky/{key}",
            webhook_events_filter=["completed"],
        )
        job = (await client.post("/generations", json=body, headers=user.headers)).json()
        await poll_job(client, user, job["id"])
        await eventually(lambda: len(deliveries(key)) == 2, "a retried delivery")
        first, retry = deliveries(key)
        assert (first.answered, retry.answered) == (500, 204)
        assert first.headers["webhook-id"] == retry.headers["webhook-id"]
        secret = (await client.get("/me/webhook-secret", headers=user.headers)).json()["secret"]
        assert verify(secret, retry.headers, retry.body)
        assert json.loads(retry.body)["status"] == "succeeded"  # "start" was filtered out
        await asyncio.sleep(0.3)
        assert len(deliveries(key)) == 2


async def test_a_webhook_at_a_private_address_is_refused_unless_allowed(
    tmp_path: Path, database_url: str, upstream_url: str
) -> None:
    async with running_app(tmp_path, database_url, [counting(upstream_url)]) as (client, _):
        user = await signed_in_user(client)
        for target in ("http://127.0.0.1:9/hook", "http://10.0.0.1/hook", "http://localhost/x"):
            response = await client.post(
                "/generations", json=job_body(unique("p"), webhook=target), headers=user.headers
            )
            assert response.status_code == 400, (target, response.text)
            assert "webhook" in response.json()["error"]
        assert (await client.get("/generations", headers=user.headers)).json()["items"] == []


# --- ownership ------------------------------------------------------------------------------------


async def test_only_the_owner_sees_cancels_or_streams_a_job(
    tmp_path: Path, database_url: str, upstream_url: str
) -> None:
    async with running_app(tmp_path, database_url, [counting(upstream_url)]) as (client, _):
        owner = await signed_in_user(client)
        stranger = await signed_in_user(client)
        job = (
            await client.post(
                "/generations", json=job_body(unique("mine sleep=30")), headers=owner.headers
            )
        ).json()
        for method, url in (
            ("GET", job["urls"]["self"]),
            ("POST", job["urls"]["cancel"]),
            ("GET", job["urls"]["events"]),
        ):
            response = await client.request(method, url, headers=stranger.headers)
            assert response.status_code == 404, (method, url, response.text)
        assert (await client.get("/generations", headers=stranger.headers)).json()["items"] == []
        assert (await client.get(job["urls"]["self"])).status_code == 401
        mine = await get_job(client, owner, job["id"])
        assert mine["status"] in ("queued", "running")
        await client.post(job["urls"]["cancel"], headers=owner.headers)


# --- fairness -------------------------------------------------------------------------------------


async def test_one_users_many_jobs_do_not_starve_anothers_one(
    tmp_path: Path, database_url: str, upstream_url: str
) -> None:
    upstreams = [counting(upstream_url, max_concurrency=1)]
    async with running_app(tmp_path, database_url, upstreams, max_active_jobs_per_user=10) as (
        client,
        _,
    ):
        alice = await signed_in_user(client)
        bob = await signed_in_user(client)
        tag = unique("fair")
        alices = []
        for n in range(6):
            # Alice's first job holds the upstream while everything else is queued.
            sleep = "sleep=0.6" if n == 0 else "sleep=0.05"
            response = await client.post(
                "/generations", json=job_body(f"{tag} alice{n} {sleep}"), headers=alice.headers
            )
            alices.append(response.json()["id"])
        bobs = (
            await client.post("/generations", json=job_body(f"{tag} bob"), headers=bob.headers)
        ).json()["id"]
        waiting = await get_job(client, bob, bobs)
        assert waiting["status"] == "queued"
        assert waiting["queue_position"] <= 1, waiting
        last = await get_job(client, alice, alices[-1])
        assert last["queue_position"] > waiting["queue_position"]

        for job_id in alices:
            assert (await poll_job(client, alice, job_id))["status"] == "succeeded"
        assert (await poll_job(client, bob, bobs))["status"] == "succeeded"
        order = counting_upstream.arrival_order(tag)
        assert len(order) == 7
        bob_started = order.index(f"{tag} bob")
        assert bob_started <= 2, order  # before at least four of Alice's six


async def test_a_job_whose_outcome_cannot_be_recorded_still_answers_its_waiter(
    tmp_path: Path, database_url: str, upstream_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ai_music.generation import repository

    if database_url.startswith("postgresql"):
        pytest.skip(
            "jobs go through Procrastinate on PostgreSQL: the waiter may be another process, "
            "and the row is its only news of the outcome"
        )

    def database_down(*_: Any, **__: Any) -> None:
        raise OSError("disk I/O error")

    monkeypatch.setattr(repository, "finish_succeeded", database_down)
    monkeypatch.setattr(repository, "finish", database_down)
    async with running_app(tmp_path, database_url, [counting(upstream_url)]) as (client, _):
        user = await signed_in_user(client)
        started = time.monotonic()
        response = await client.post(
            "/studio-generate", json=job_body(unique("unrecordable")), headers=user.headers
        )
        assert response.status_code == 500
        assert response.json() == {"error": "Internal error; please try again"}
        assert time.monotonic() - started < 10
        assert audio_files(tmp_path) == []


async def test_a_colab_job_does_not_wait_for_the_configured_upstreams_capacity(
    tmp_path: Path, database_url: str, upstream_url: str
) -> None:
    upstreams = [counting(upstream_url, max_concurrency=1)]
    async with running_app(
        tmp_path,
        database_url,
        upstreams,
        max_active_jobs_per_user=10,
        colab_url_allowlist=[upstream_url],
        colab_allow_private_network=True,
    ) as (client, _):
        user = await signed_in_user(client)
        blocker = await running_blocker(client, user)
        colab_prompt = unique("own colab")
        body = job_body(colab_prompt, use_colab=True, colab_url=upstream_url)
        colab = (await client.post("/generations", json=body, headers=user.headers)).json()
        finished = await poll_job(client, user, colab["id"], timeout_s=5)
        assert finished["status"] == "succeeded"
        assert finished["upstream"] == "colab"
        assert (await get_job(client, user, blocker["id"]))["status"] == "running"
        assert counting_upstream.calls[colab_prompt] == 1
        await client.post(blocker["urls"]["cancel"], headers=user.headers)
