"""Deliveries to a real receiver on loopback (allowed for the test)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import orjson
import pytest

from ai_music.webhooks.sender import WebhookSender
from ai_music.webhooks.signing import new_secret
from tests.server_process import free_port

from .receiver import SECRET, received

JOB = {"id": "job_123", "status": "succeeded", "progress": 1.0}


class RecordedSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
def sleep() -> RecordedSleep:
    return RecordedSleep()


@pytest.fixture
def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
async def sender(sleep: RecordedSleep) -> AsyncIterator[WebhookSender]:
    webhooks = WebhookSender(allow_private_network=True, timeout_s=5, max_attempts=3, sleep=sleep)
    yield webhooks
    await webhooks.aclose()


async def test_a_delivery_is_signed_and_carries_the_job(
    sender: WebhookSender, receiver_url: str, key: str
) -> None:
    delivered = await sender.deliver(
        f"{receiver_url}/ok/{key}", secret=SECRET, event="completed", payload=JOB
    )
    assert delivered
    [delivery] = received[key]
    assert delivery.verified
    assert orjson.loads(delivery.body) == JOB
    assert delivery.headers["content-type"] == "application/json"
    assert delivery.headers["user-agent"] == "ai-music-backend"
    assert delivery.headers["webhook-id"].startswith("msg_")


async def test_the_receiver_refuses_a_delivery_signed_with_another_secret(
    sender: WebhookSender, sleep: RecordedSleep, receiver_url: str, key: str
) -> None:
    delivered = await sender.deliver(
        f"{receiver_url}/ok/{key}", secret=new_secret(), event="start", payload=JOB
    )
    assert not delivered
    assert [d.verified for d in received[key]] == [False]
    assert sleep.delays == []  # a 401 is not retried


async def test_a_failing_first_answer_is_retried_with_the_same_id(
    sender: WebhookSender, sleep: RecordedSleep, receiver_url: str, key: str
) -> None:
    delivered = await sender.deliver(
        f"{receiver_url}/flaky/{key}", secret=SECRET, event="completed", payload=JOB
    )
    assert delivered
    first, second = received[key]
    assert first.verified and second.verified
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert len(sleep.delays) == 1


@pytest.mark.parametrize("code", [400, 404, 410])
async def test_a_client_error_is_not_retried(
    sender: WebhookSender, sleep: RecordedSleep, receiver_url: str, key: str, code: int
) -> None:
    delivered = await sender.deliver(
        f"{receiver_url}/status/{code}/{key}", secret=SECRET, event="start", payload=JOB
    )
    assert not delivered
    assert len(received[key]) == 1
    assert sleep.delays == []


async def test_server_errors_back_off_exponentially_with_jitter(
    sender: WebhookSender, sleep: RecordedSleep, receiver_url: str, key: str
) -> None:
    delivered = await sender.deliver(
        f"{receiver_url}/status/503/{key}", secret=SECRET, event="start", payload=JOB
    )
    assert not delivered
    assert len(received[key]) == 3
    first, second = sleep.delays
    assert 0.5 <= first <= 1.0
    assert 1.0 <= second <= 2.0


@pytest.mark.parametrize(("retry_after", "waited"), [("7", 7.0), ("3600", 30.0)])
async def test_429_waits_for_retry_after_within_the_cap(
    receiver_url: str, key: str, retry_after: str, waited: float
) -> None:
    sleep = RecordedSleep()
    sender = WebhookSender(
        allow_private_network=True, max_attempts=2, backoff_max_s=30, sleep=sleep
    )
    try:
        delivered = await sender.deliver(
            f"{receiver_url}/status/429/{key}?retry_after={retry_after}",
            secret=SECRET,
            event="start",
            payload=JOB,
        )
    finally:
        await sender.aclose()
    assert not delivered
    assert len(received[key]) == 2
    assert sleep.delays == [waited]


async def test_a_redirect_is_not_followed(
    sender: WebhookSender, sleep: RecordedSleep, receiver_url: str, key: str
) -> None:
    delivered = await sender.deliver(
        f"{receiver_url}/redirect/{key}", secret=SECRET, event="completed", payload=JOB
    )
    assert not delivered
    assert len(received[key]) == 1
    assert received[f"{key}-redirected"] == []
    assert sleep.delays == []


async def test_a_refused_connection_is_retried(sleep: RecordedSleep) -> None:
    sender = WebhookSender(allow_private_network=True, max_attempts=3, sleep=sleep)
    try:
        url = f"http://127.0.0.1:{free_port()}/nobody-listens"
        assert not await sender.deliver(url, secret=SECRET, event="start", payload=JOB)
    finally:
        await sender.aclose()
    assert len(sleep.delays) == 2


async def test_a_receiver_slower_than_the_timeout_is_retried(
    sleep: RecordedSleep, receiver_url: str, key: str
) -> None:
    sender = WebhookSender(allow_private_network=True, timeout_s=0.2, max_attempts=2, sleep=sleep)
    try:
        delivered = await sender.deliver(
            f"{receiver_url}/slow/{key}", secret=SECRET, event="start", payload=JOB
        )
    finally:
        await sender.aclose()
    assert not delivered
    assert len(received[key]) == 2
    assert len(sleep.delays) == 1


async def test_scheduled_deliveries_finish_before_close(receiver_url: str, key: str) -> None:
    sender = WebhookSender(allow_private_network=True)
    for event in ("start", "completed"):
        sender.schedule(f"{receiver_url}/ok/{key}", secret=SECRET, event=event, payload=JOB)
    assert sender.in_flight == 2
    await sender.aclose()
    assert sender.in_flight == 0
    assert [d.verified for d in received[key]] == [True, True]
    ids = {d.headers["webhook-id"] for d in received[key]}
    assert len(ids) == 2  # each event is its own message
