"""A per-upstream circuit breaker: closed → open after N consecutive failures → half-open.

Two homes for its state: this process's memory (:class:`CircuitBreaker`, the default), or Redis
(:class:`SharedCircuitBreaker`), where every process of a deployment reads and updates the same
failure count and open time, so one process's failures open the circuit for all of them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

__all__ = [
    "Breaker",
    "CircuitBreaker",
    "CircuitSnapshot",
    "CircuitState",
    "Permit",
    "SharedCircuitBreaker",
]


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class CircuitSnapshot:
    state: CircuitState
    consecutive_failures: int


@dataclass(frozen=True)
class Permit:
    """Leave to call the upstream; ``trial`` when it is the one half-open trial call."""

    trial: bool
    token: str = ""


class Breaker(Protocol):
    """What the failover asks of a breaker: admission, the verdict of each call, its state.

    Every call admitted ends in exactly one of ``record_success``, ``record_failure`` or
    ``release`` (no verdict, e.g. cancelled); the half-open trial is then free again.
    """

    async def try_acquire(self) -> Permit | None: ...

    async def record_success(self) -> CircuitSnapshot: ...

    async def record_failure(self) -> CircuitSnapshot: ...

    async def release(self, permit: Permit) -> None: ...

    async def refresh(self) -> CircuitSnapshot:
        """The state now, read from where it lives."""

    @property
    def last(self) -> CircuitSnapshot:
        """The state as last seen by this process (no I/O)."""


class CircuitBreaker:
    """Skips a failing upstream for a cool-down, then lets exactly one trial call through.

    The trial's outcome decides: success closes the circuit, failure opens it again for
    another cool-down. State in this process's memory; used from one event loop.
    """

    def __init__(
        self,
        *,
        failure_threshold: int,
        cooldown_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._threshold = max(1, failure_threshold)
        self._cooldown_s = cooldown_s
        self._clock = clock
        self._opened_at: float | None = None
        self._trial_in_flight = False
        self.consecutive_failures = 0

    @property
    def state(self) -> CircuitState:
        if self._opened_at is None:
            return CircuitState.CLOSED
        if self._trial_in_flight or self._clock() - self._opened_at >= self._cooldown_s:
            return CircuitState.HALF_OPEN
        return CircuitState.OPEN

    @property
    def last(self) -> CircuitSnapshot:
        return CircuitSnapshot(self.state, self.consecutive_failures)

    async def refresh(self) -> CircuitSnapshot:
        return self.last

    async def try_acquire(self) -> Permit | None:
        """Leave for a call now, or None; in half-open state only one at a time."""
        state = self.state
        if state is CircuitState.CLOSED:
            return Permit(trial=False)
        if state is CircuitState.HALF_OPEN and not self._trial_in_flight:
            self._trial_in_flight = True
            return Permit(trial=True)
        return None

    async def record_success(self) -> CircuitSnapshot:
        self.consecutive_failures = 0
        self._opened_at = None
        self._trial_in_flight = False
        return self.last

    async def record_failure(self) -> CircuitSnapshot:
        self.consecutive_failures += 1
        if self._trial_in_flight or self.consecutive_failures >= self._threshold:
            self._opened_at = self._clock()
        self._trial_in_flight = False
        return self.last

    async def release(self, permit: Permit) -> None:
        """Gives back a half-open trial that ended without a verdict (e.g. cancelled)."""
        if permit.trial:
            self._trial_in_flight = False


# The scripts below keep one hash per upstream: f = consecutive failures, o = opened at,
# t / tid = the half-open trial's lease expiry and owner. Times are Redis's own clock (TIME), so
# processes on machines whose clocks differ still agree. A trial whose process died frees
# itself when its lease (the call's timeout plus a margin) runs out.
_STATE = """
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local function live_trial(key, at)
  local until_ = tonumber(redis.call('HGET', key, 't'))
  return until_ ~= nil and until_ > at
end
local function state(key, at, cooldown)
  local opened = tonumber(redis.call('HGET', key, 'o'))
  local failures = tonumber(redis.call('HGET', key, 'f')) or 0
  if opened == nil then return {0, failures} end
  if live_trial(key, at) or at - opened >= cooldown then return {1, failures} end
  return {2, failures}
end
"""

# ARGV: cooldown, trial lease seconds, trial token, key TTL. Returns 0 refused, 1 closed, 2 trial.
_ACQUIRE = (
    _STATE
    + """
local at = now()
local current = state(KEYS[1], at, tonumber(ARGV[1]))[1]
if current == 0 then return 1 end
if current == 2 or live_trial(KEYS[1], at) then return 0 end
redis.call('HSET', KEYS[1], 't', at + tonumber(ARGV[2]), 'tid', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 2
"""
)

# ARGV: cooldown, failure threshold, key TTL.
_FAILURE = (
    _STATE
    + """
local at = now()
local failures = redis.call('HINCRBY', KEYS[1], 'f', 1)
if live_trial(KEYS[1], at) or failures >= tonumber(ARGV[2]) then
  redis.call('HSET', KEYS[1], 'o', at)
end
redis.call('HDEL', KEYS[1], 't', 'tid')
redis.call('EXPIRE', KEYS[1], ARGV[3])
return state(KEYS[1], at, tonumber(ARGV[1]))
"""
)

# ARGV: trial token.
_RELEASE = """
if redis.call('HGET', KEYS[1], 'tid') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 't', 'tid')
end
return 1
"""

# ARGV: cooldown.
_READ = _STATE + "return state(KEYS[1], now(), tonumber(ARGV[1]))\n"

_CODES = (CircuitState.CLOSED, CircuitState.HALF_OPEN, CircuitState.OPEN)
# Long enough to outlive any cool-down; short enough that a removed upstream's state goes.
_KEY_TTL_S = 24 * 3600


@dataclass(eq=False)
class SharedCircuitBreaker:
    """The same breaker with its state in Redis, shared by every process on that Redis.

    Each decision is one Lua script, so it is atomic across processes.
    """

    client: Any
    key: str
    failure_threshold: int
    cooldown_s: float
    trial_lease_s: float
    last: CircuitSnapshot = field(default=CircuitSnapshot(CircuitState.CLOSED, 0), init=False)

    def __post_init__(self) -> None:
        self.failure_threshold = max(1, self.failure_threshold)
        self._acquire = self.client.register_script(_ACQUIRE)
        self._failure = self.client.register_script(_FAILURE)
        self._release = self.client.register_script(_RELEASE)
        self._read = self.client.register_script(_READ)

    def _seen(self, answer: Any) -> CircuitSnapshot:
        code, failures = answer
        self.last = CircuitSnapshot(_CODES[int(code)], int(failures))
        return self.last

    async def refresh(self) -> CircuitSnapshot:
        return self._seen(await self._read(keys=[self.key], args=[self.cooldown_s]))

    async def try_acquire(self) -> Permit | None:
        token = uuid.uuid4().hex
        args = [self.cooldown_s, self.trial_lease_s, token, _KEY_TTL_S]
        admitted = int(await self._acquire(keys=[self.key], args=args))
        if admitted == 0:
            return None
        return Permit(trial=admitted == 2, token=token)

    async def record_success(self) -> CircuitSnapshot:
        await self.client.delete(self.key)
        self.last = CircuitSnapshot(CircuitState.CLOSED, 0)
        return self.last

    async def record_failure(self) -> CircuitSnapshot:
        args = [self.cooldown_s, self.failure_threshold, _KEY_TTL_S]
        return self._seen(await self._failure(keys=[self.key], args=args))

    async def release(self, permit: Permit) -> None:
        if permit.trial:
            await self._release(keys=[self.key], args=[permit.token])
