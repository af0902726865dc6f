"""Routing generations over an ordered list of upstreams with the resilience around them.

For each upstream in order: skip it while its circuit is open; otherwise call it under its
concurrency limit and timeout, retrying retryable failures (connection errors, timeouts,
429, 5xx) with exponential backoff and full jitter; on final failure fall back to the next.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ai_music.egress.backoff import jittered_backoff
from ai_music.observability import metrics

from .base import (
    GenerationParams,
    NoUpstreamAvailable,
    ProgressSink,
    ReceivedAudio,
    Upstream,
    UpstreamError,
    UpstreamTimeout,
)
from .circuit import Breaker, CircuitBreaker, Permit, SharedCircuitBreaker
from .concurrency import ConcurrencyLimit, LeaseStore, LocalLimit, SharedLimit

__all__ = ["RoutePolicy", "SharedUpstreamState", "UpstreamRouter"]

_RECENT_DURATIONS = 20


@dataclass(frozen=True)
class RoutePolicy:
    """How the router treats one upstream."""

    timeout_s: float = 180.0
    retries: int = 2
    backoff_base_s: float = 1.0
    backoff_max_s: float = 30.0
    # A Retry-After longer than this is not waited for: we fall back to the next upstream.
    retry_after_cap_s: float = 60.0
    max_concurrency: int = 256
    circuit_failures: int = 5
    circuit_cooldown_s: float = 30.0


@dataclass(frozen=True)
class SharedUpstreamState:
    """Redis, when configured: each upstream's circuit and concurrency places live there, so
    every process of the deployment sees the same circuit and counts against one limit."""

    client: Any  # redis.asyncio.Redis
    key_prefix: str
    leases: LeaseStore
    # Only the circuit shared: each upstream's max_concurrency stays a limit per process.
    circuits_only: bool = False

    def breaker(self, name: str, policy: RoutePolicy) -> SharedCircuitBreaker:
        return SharedCircuitBreaker(
            self.client,
            f"{self.key_prefix}:circuit:{name}",
            failure_threshold=policy.circuit_failures,
            cooldown_s=policy.circuit_cooldown_s,
            # A trial lasts at most one call; a process that dies mid-trial frees it after this.
            trial_lease_s=policy.timeout_s + 30,
        )

    def limit(self, name: str, policy: RoutePolicy) -> ConcurrencyLimit:
        if self.circuits_only:
            return LocalLimit(policy.max_concurrency)
        return SharedLimit(self.leases, f"upstream:{name}", policy.max_concurrency)


class _Route:
    def __init__(
        self,
        upstream: Upstream,
        policy: RoutePolicy,
        clock: Callable[[], float],
        shared: SharedUpstreamState | None,
    ):
        self.upstream = upstream
        self.policy = policy
        self.breaker: Breaker
        self.limit: ConcurrencyLimit
        if shared is None:
            self.breaker = CircuitBreaker(
                failure_threshold=policy.circuit_failures,
                cooldown_s=policy.circuit_cooldown_s,
                clock=clock,
            )
            self.limit = LocalLimit(policy.max_concurrency)
        else:
            self.breaker = shared.breaker(upstream.name, policy)
            self.limit = shared.limit(upstream.name, policy)
        self.deployment_in_flight: int | None = None
        self.in_flight = 0
        self.durations: deque[float] = deque(maxlen=_RECENT_DURATIONS)


class UpstreamRouter:
    def __init__(
        self,
        routes: Sequence[tuple[Upstream, RoutePolicy]],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        shared: SharedUpstreamState | None = None,
    ) -> None:
        names = [upstream.name for upstream, _ in routes]
        if len(set(names)) != len(names):
            raise ValueError(f"upstream names must be unique, got {names}")
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._routes = [_Route(upstream, policy, clock, shared) for upstream, policy in routes]

    @property
    def upstreams(self) -> list[Upstream]:
        return [route.upstream for route in self._routes]

    async def generate(
        self, params: GenerationParams, *, progress: ProgressSink | None = None
    ) -> tuple[ReceivedAudio, str]:
        """Audio from the first upstream that delivers it, and that upstream's name.

        Raises the last upstream's error when every one tried failed, or
        :class:`NoUpstreamAvailable` when none is configured or every circuit is open.
        """
        last_error: UpstreamError | None = None
        for route in self._routes:
            permit = await route.breaker.try_acquire()
            if permit is None:
                continue
            try:
                audio = await self._call_with_retries(route, permit, params, progress)
            except UpstreamError as exc:
                last_error = exc
                continue
            return audio, route.upstream.name
        if last_error is not None:
            raise last_error
        raise NoUpstreamAvailable(
            "No music service is available right now (none configured or all failing); "
            "try again in a minute."
        )

    async def _call_with_retries(
        self,
        route: _Route,
        permit: Permit,
        params: GenerationParams,
        progress: ProgressSink | None,
    ) -> ReceivedAudio:
        attempt = 0
        settled = False
        try:
            while True:
                try:
                    audio = await self._call_once(route, params, progress)
                except UpstreamError as exc:
                    seen = await route.breaker.record_failure()
                    metrics.set_circuit_state(route.upstream.name, seen.state.value)
                    settled = True
                    delay = self._retry_delay(route, exc, attempt)
                    if delay is None:
                        raise
                    await self._sleep(delay)
                    again = await route.breaker.try_acquire()
                    if again is None:
                        raise
                    permit, settled = again, False
                    attempt += 1
                else:
                    seen = await route.breaker.record_success()
                    metrics.set_circuit_state(route.upstream.name, seen.state.value)
                    settled = True
                    return audio
        finally:
            if not settled:
                await route.breaker.release(permit)

    async def _call_once(
        self, route: _Route, params: GenerationParams, progress: ProgressSink | None
    ) -> ReceivedAudio:
        async with route.limit.hold():
            route.in_flight += 1
            started = self._clock()
            outcome = "error"
            try:
                async with asyncio.timeout(route.policy.timeout_s):
                    audio = await route.upstream.generate(params, progress=progress)
                outcome = "ok"
            except TimeoutError as exc:
                outcome = "timeout"
                raise UpstreamTimeout(
                    f"The music service '{route.upstream.name}' did not finish within "
                    f"{route.policy.timeout_s:g} s; try again later.",
                    upstream=route.upstream.name,
                ) from exc
            finally:
                route.in_flight -= 1
                metrics.observe_upstream(route.upstream.name, outcome, self._clock() - started)
            route.durations.append(self._clock() - started)
            return audio

    def _retry_delay(self, route: _Route, error: UpstreamError, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None when not to retry."""
        policy = route.policy
        if not error.retryable or attempt >= policy.retries:
            return None
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return retry_after if retry_after <= policy.retry_after_cap_s else None
        return jittered_backoff(
            attempt, base_s=policy.backoff_base_s, max_s=policy.backoff_max_s, rng=self._rng
        )

    def states(self) -> list[dict[str, Any]]:
        """Each upstream's health (and what it found out about its service), for ``/ready``."""
        states = []
        for route in self._routes:
            seen = route.breaker.last
            state: dict[str, Any] = {
                "name": route.upstream.name,
                "kind": route.upstream.kind,
                "circuit": seen.state.value,
                "consecutive_failures": seen.consecutive_failures,
                "in_flight": route.in_flight,
                "limit": route.policy.max_concurrency,
            }
            if route.deployment_in_flight is not None:
                state["in_flight_deployment"] = route.deployment_in_flight
            status = route.upstream.status()
            if status is not None:
                state["api"] = status
            states.append(state)
        return states

    async def refresh_states(self) -> None:
        """Reads shared circuit states and place counts, so ``states()`` shows the deployment's."""
        for route in self._routes:
            await route.breaker.refresh()
            route.deployment_in_flight = await route.limit.deployment_count()

    def expected_duration(self, name: str) -> float | None:
        """Median of the upstream's recent successful call durations (s); None if none yet."""
        for route in self._routes:
            if route.upstream.name == name and route.durations:
                return statistics.median(route.durations)
        return None

    async def aclose(self) -> None:
        for route in self._routes:
            await route.upstream.aclose()
