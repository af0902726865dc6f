from __future__ import annotations

import asyncio
import random

import pytest

from ai_music.generation.upstreams.base import (
    NoUpstreamAvailable,
    UpstreamBadAnswer,
    UpstreamConnectionError,
    UpstreamHTTPError,
    UpstreamTimeout,
)
from ai_music.generation.upstreams.failover import RoutePolicy, UpstreamRouter

from .fakes import PARAMS, ScriptedUpstream


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def router(
    *routes: tuple[ScriptedUpstream, RoutePolicy], time: FakeTime | None = None
) -> UpstreamRouter:
    time = time or FakeTime()
    return UpstreamRouter(list(routes), clock=time.clock, sleep=time.sleep, rng=random.Random(7))


def conn_error() -> UpstreamConnectionError:
    return UpstreamConnectionError("down")


def http_error(status: int, retry_after: float | None = None) -> UpstreamHTTPError:
    return UpstreamHTTPError(f"HTTP {status}", http_status=status, retry_after=retry_after)


async def test_first_healthy_upstream_answers() -> None:
    first, second = ScriptedUpstream("a"), ScriptedUpstream("b")
    audio, name = await router((first, RoutePolicy()), (second, RoutePolicy())).generate(PARAMS)
    assert name == "a" and audio.container == "mp3"
    assert second.calls == 0


async def test_falls_back_to_next_after_retries() -> None:
    first = ScriptedUpstream("a", [conn_error()])
    second = ScriptedUpstream("b")
    time = FakeTime()
    _, name = await router(
        (first, RoutePolicy(retries=2)), (second, RoutePolicy()), time=time
    ).generate(PARAMS)
    assert name == "b"
    assert first.calls == 3
    assert len(time.sleeps) == 2


@pytest.mark.parametrize(
    "error",
    [http_error(400), http_error(404), http_error(422), UpstreamBadAnswer("html")],
)
async def test_never_retries_client_errors_or_bad_answers(error: Exception) -> None:
    only = ScriptedUpstream("a", [error])  # type: ignore[list-item]
    with pytest.raises(type(error)):
        await router((only, RoutePolicy(retries=3))).generate(PARAMS)
    assert only.calls == 1


@pytest.mark.parametrize("error", [http_error(500), http_error(503), http_error(429), conn_error()])
async def test_retries_retryable_errors_then_succeeds(error: Exception) -> None:
    only = ScriptedUpstream("a", [error, None])  # type: ignore[list-item]
    _, name = await router((only, RoutePolicy(retries=2))).generate(PARAMS)
    assert name == "a" and only.calls == 2


async def test_backoff_is_exponential_with_full_jitter() -> None:
    time = FakeTime()
    only = ScriptedUpstream("a", [conn_error()])
    policy = RoutePolicy(retries=4, backoff_base_s=1.0, backoff_max_s=5.0, circuit_failures=99)
    with pytest.raises(UpstreamConnectionError):
        await router((only, policy), time=time).generate(PARAMS)
    ceilings = [1.0, 2.0, 4.0, 5.0]
    assert len(time.sleeps) == 4
    assert all(0 <= slept <= ceiling for slept, ceiling in zip(time.sleeps, ceilings, strict=True))
    assert len(set(time.sleeps)) > 1  # jittered, not fixed


async def test_retry_after_is_honoured() -> None:
    time = FakeTime()
    only = ScriptedUpstream("a", [http_error(429, retry_after=7), None])
    await router((only, RoutePolicy(retries=1)), time=time).generate(PARAMS)
    assert time.sleeps == [7]


async def test_retry_after_over_the_cap_falls_back_instead_of_waiting() -> None:
    time = FakeTime()
    first = ScriptedUpstream("a", [http_error(429, retry_after=3600)])
    second = ScriptedUpstream("b")
    policy = RoutePolicy(retries=2, retry_after_cap_s=60)
    _, name = await router((first, policy), (second, RoutePolicy()), time=time).generate(PARAMS)
    assert name == "b" and time.sleeps == [] and first.calls == 1


async def test_timeout_becomes_upstream_timeout() -> None:
    slow = ScriptedUpstream("slow", delay=5)
    with pytest.raises(UpstreamTimeout) as caught:
        await router((slow, RoutePolicy(timeout_s=0.05, retries=0))).generate(PARAMS)
    assert caught.value.status_code == 504 and caught.value.retryable


async def test_concurrency_is_limited_per_upstream() -> None:
    upstream = ScriptedUpstream("a", delay=0.02)
    routed = router((upstream, RoutePolicy(max_concurrency=3)))
    await asyncio.gather(*(routed.generate(PARAMS) for _ in range(20)))
    assert upstream.calls == 20
    assert upstream.max_in_flight == 3


async def test_hundreds_at_once_when_the_limit_allows() -> None:
    upstream = ScriptedUpstream("a", delay=0.05)
    routed = router((upstream, RoutePolicy(max_concurrency=256)))
    await asyncio.gather(*(routed.generate(PARAMS) for _ in range(300)))
    assert upstream.max_in_flight == 256


async def test_circuit_opens_skips_then_half_opens_and_closes() -> None:
    time = FakeTime()
    flaky = ScriptedUpstream("flaky", [http_error(503)])
    backup = ScriptedUpstream("backup")
    policy = RoutePolicy(retries=0, circuit_failures=3, circuit_cooldown_s=30)
    routed = router((flaky, policy), (backup, RoutePolicy()), time=time)
    for _ in range(3):
        await routed.generate(PARAMS)
    assert routed.states()[0]["circuit"] == "open"
    assert routed.states()[0]["consecutive_failures"] == 3

    await routed.generate(PARAMS)
    assert flaky.calls == 3  # skipped while open

    time.now += 31
    assert routed.states()[0]["circuit"] == "half_open"
    await routed.generate(PARAMS)  # the trial fails: open again
    assert flaky.calls == 4 and routed.states()[0]["circuit"] == "open"

    time.now += 31
    flaky.script = [None]
    _, name = await routed.generate(PARAMS)
    assert name == "flaky" and routed.states()[0]["circuit"] == "closed"
    assert routed.states()[0]["consecutive_failures"] == 0


async def test_half_open_lets_one_trial_through() -> None:
    time = FakeTime()
    flaky = ScriptedUpstream("flaky", [http_error(503)])
    routed = router(
        (flaky, RoutePolicy(retries=0, circuit_failures=1, circuit_cooldown_s=10)), time=time
    )
    with pytest.raises(UpstreamHTTPError):
        await routed.generate(PARAMS)
    time.now += 11
    flaky.script, flaky.delay = [None], 0.05
    results = await asyncio.gather(
        *(routed.generate(PARAMS) for _ in range(5)), return_exceptions=True
    )
    assert flaky.calls == 2
    assert sum(isinstance(result, NoUpstreamAvailable) for result in results) == 4


async def test_no_upstream_configured_is_503() -> None:
    with pytest.raises(NoUpstreamAvailable) as caught:
        await router().generate(PARAMS)
    assert caught.value.status_code == 503


async def test_cancelled_half_open_trial_is_released() -> None:
    time = FakeTime()
    flaky = ScriptedUpstream("flaky", [http_error(503)])
    routed = router(
        (flaky, RoutePolicy(retries=0, circuit_failures=1, circuit_cooldown_s=10)), time=time
    )
    with pytest.raises(UpstreamHTTPError):
        await routed.generate(PARAMS)
    time.now += 11
    flaky.script, flaky.delay = [None], 10
    task = asyncio.create_task(routed.generate(PARAMS))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    flaky.delay = 0
    _, name = await routed.generate(PARAMS)
    assert name == "flaky"


async def test_states_and_expected_duration() -> None:
    upstream = ScriptedUpstream("a", kind="gradio")
    time = FakeTime()
    upstream.on_call = lambda: setattr(time, "now", time.now + 4)
    routed = router((upstream, RoutePolicy(max_concurrency=9)), time=time)
    assert routed.expected_duration("a") is None
    await routed.generate(PARAMS)
    assert routed.expected_duration("a") == pytest.approx(4)
    assert routed.states() == [
        {
            "name": "a",
            "kind": "gradio",
            "circuit": "closed",
            "consecutive_failures": 0,
            "in_flight": 0,
            "limit": 9,
        }
    ]
    await routed.aclose()
    assert upstream.closed


def test_duplicate_names_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        router((ScriptedUpstream("a"), RoutePolicy()), (ScriptedUpstream("a"), RoutePolicy()))
