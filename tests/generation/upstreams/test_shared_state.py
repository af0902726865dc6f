"""Circuit and concurrency limit kept in Redis: two routers on one Redis act as one deployment.

Each router stands for a process (its own objects, its own connection); the two-process tests
are in tests/generation/test_shared_upstreams.py.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from ai_music.generation.upstreams.base import NoUpstreamAvailable, UpstreamConnectionError
from ai_music.generation.upstreams.failover import RoutePolicy, SharedUpstreamState, UpstreamRouter
from ai_music.limits.backend import RedisSlots

from .fakes import PARAMS, ScriptedUpstream

pytestmark = pytest.mark.redis

REDIS_URL = "redis://127.0.0.1:6379/7"


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except (OSError, redis.RedisError) as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    name = f"scale2_test_{uuid.uuid4().hex}"
    yield name
    async for key in client.scan_iter(f"{name}:*"):
        await client.delete(key)
    await client.aclose()


@pytest.fixture
async def shared_states(prefix: str) -> AsyncIterator[list[SharedUpstreamState]]:
    """Two processes' worth of shared state: separate clients on the same Redis and prefix."""
    import redis.asyncio

    clients = [redis.asyncio.Redis.from_url(REDIS_URL) for _ in range(2)]
    yield [SharedUpstreamState(c, prefix, RedisSlots(c, prefix)) for c in clients]
    for client in clients:
        await client.aclose()


def fails() -> UpstreamConnectionError:
    return UpstreamConnectionError("down")


async def test_failures_in_one_process_open_the_circuit_in_the_other(
    shared_states: list[SharedUpstreamState],
) -> None:
    policy = RoutePolicy(retries=0, circuit_failures=3, circuit_cooldown_s=30)
    flaky_a = ScriptedUpstream("flaky", [fails()] * 3)
    flaky_b = ScriptedUpstream("flaky")
    a = UpstreamRouter([(flaky_a, policy)], shared=shared_states[0])
    b = UpstreamRouter([(flaky_b, policy)], shared=shared_states[1])
    for _ in range(2):
        with pytest.raises(UpstreamConnectionError):
            await a.generate(PARAMS)
    await b.refresh_states()
    assert b.states()[0]["circuit"] == "closed" and b.states()[0]["consecutive_failures"] == 2
    with pytest.raises(UpstreamConnectionError):
        await a.generate(PARAMS)
    await b.refresh_states()
    assert b.states()[0]["circuit"] == "open" and b.states()[0]["consecutive_failures"] == 3
    with pytest.raises(NoUpstreamAvailable):
        await b.generate(PARAMS)
    assert flaky_b.calls == 0


async def test_one_trial_for_the_deployment_and_its_success_closes_for_all(
    shared_states: list[SharedUpstreamState],
) -> None:
    policy = RoutePolicy(retries=0, circuit_failures=1, circuit_cooldown_s=0.3)
    slow_trial = ScriptedUpstream("flaky", [fails(), None], delay=0.0)
    other = ScriptedUpstream("flaky")
    a = UpstreamRouter([(slow_trial, policy)], shared=shared_states[0])
    b = UpstreamRouter([(other, policy)], shared=shared_states[1])
    with pytest.raises(UpstreamConnectionError):
        await a.generate(PARAMS)
    await asyncio.sleep(0.35)
    slow_trial.delay = 0.5
    trial = asyncio.create_task(a.generate(PARAMS))
    await asyncio.sleep(0.1)
    # While a's trial runs, b may not start a second one.
    with pytest.raises(NoUpstreamAvailable):
        await b.generate(PARAMS)
    assert other.calls == 0
    _, name = await trial
    assert name == "flaky"
    await b.generate(PARAMS)
    await b.refresh_states()
    assert other.calls == 1 and b.states()[0]["circuit"] == "closed"


async def test_a_trial_whose_process_vanished_frees_itself(
    shared_states: list[SharedUpstreamState],
) -> None:
    policy = RoutePolicy(retries=0, circuit_failures=1, circuit_cooldown_s=0, timeout_s=1)
    breaker = shared_states[0].breaker("gone", policy)
    await breaker.record_failure()
    abandoned = await breaker.try_acquire()
    assert abandoned is not None and abandoned.trial
    other = shared_states[1].breaker("gone", policy)
    assert await other.try_acquire() is None
    # The trial lease is the call's timeout plus 30 s; shorten it for the test.
    redis_client = shared_states[1].client
    await redis_client.hset(f"{shared_states[1].key_prefix}:circuit:gone", "t", 0)
    permit = await other.try_acquire()
    assert permit is not None and permit.trial


async def test_max_concurrency_counts_every_process(
    shared_states: list[SharedUpstreamState],
) -> None:
    peak = 0

    def entered() -> None:
        nonlocal peak
        # Called as a call enters, before the upstream counts it.
        peak = max(peak, 1 + sum(upstream.in_flight for upstream in upstreams))

    policy = RoutePolicy(retries=0, max_concurrency=2)
    upstreams = [ScriptedUpstream("slow", delay=0.3, on_call=entered) for _ in range(2)]
    routers = [
        UpstreamRouter([(upstream, policy)], shared=state)
        for upstream, state in zip(upstreams, shared_states, strict=True)
    ]

    started = time.monotonic()
    await asyncio.gather(*(routers[i % 2].generate(PARAMS) for i in range(6)))
    assert peak == 2
    # Six calls of 0.3 s, two at a time: three rounds.
    assert time.monotonic() - started >= 0.85
    await routers[0].refresh_states()
    assert routers[0].states()[0]["in_flight_deployment"] == 0


async def test_a_lease_left_by_a_killed_process_expires(
    shared_states: list[SharedUpstreamState],
) -> None:
    policy = RoutePolicy(retries=0, max_concurrency=1)
    # A process that took the only place and died: its lease is never renewed nor released.
    leases = shared_states[0].leases
    assert await leases.acquire("upstream:solo", 1, 1.0) is not None
    router = UpstreamRouter([(ScriptedUpstream("solo"), policy)], shared=shared_states[1])
    started = time.monotonic()
    await router.generate(PARAMS)
    waited = time.monotonic() - started
    assert 0.5 < waited < 3


async def test_a_long_call_keeps_its_place_past_the_lease(
    shared_states: list[SharedUpstreamState], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ai_music.generation.upstreams.concurrency import SharedLimit

    monkeypatch.setattr(SharedLimit, "LEASE_S", 0.6)
    monkeypatch.setattr(SharedLimit, "RENEW_EVERY_S", 0.2)
    policy = RoutePolicy(retries=0, max_concurrency=1)
    long_call = ScriptedUpstream("solo", delay=1.5)
    a = UpstreamRouter([(long_call, policy)], shared=shared_states[0])
    b = UpstreamRouter([(ScriptedUpstream("solo"), policy)], shared=shared_states[1])
    running = asyncio.create_task(a.generate(PARAMS))
    await asyncio.sleep(0.1)
    waiting = asyncio.create_task(b.generate(PARAMS))
    await asyncio.sleep(1.0)
    # Past the lease's 0.6 s, renewed: b still waits.
    assert not waiting.done()
    await running
    await asyncio.wait_for(waiting, 2)
