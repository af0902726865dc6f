"""Generation quotas per user: so many a day, so many at once.

The generation routes call ``acquire`` before generating and ``release`` when done::

    lease = await quota.acquire(current.id)   # raises QuotaExceeded (429) when over a limit
    try:
        ...generate...
    finally:
        await lease.release()                  # frees the concurrent slot; the day's count stays
    apply_rate_limit_headers(response, lease.headers)

The daily count is a fixed window that starts with the user's first generation and resets a day
later (``limits``' fixed window), so the reset time reported is exact. Every accepted attempt
counts, whatever its outcome: quotas bound the upstream work a user can cause.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from limits.aio.strategies import FixedWindowRateLimiter
from starlette.responses import Response

import limits
from ai_music.core.config import Settings
from ai_music.limits.backend import ConcurrencySlots
from ai_music.limits.errors import TooManyRequests
from ai_music.observability import metrics

DAILY_EXHAUSTED = "Daily generation limit reached. Try again after the reset time."
TOO_MANY_AT_ONCE = "Too many generations in progress. Wait for one to finish."
DAILY = "generation_daily"


@dataclass(frozen=True)
class DailyUsage:
    limit: int
    used: int
    remaining: int
    reset_at: float  # epoch seconds

    def reset_in(self) -> int:
        return max(0, math.ceil(self.reset_at - time.time()))

    def headers(self) -> dict[str, str]:
        """The RateLimit-* headers (IETF draft): limit, remaining, seconds until reset."""
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_in()),
        }


@dataclass(frozen=True)
class QuotaStatus:
    daily: DailyUsage
    concurrent_limit: int
    concurrent_used: int

    @property
    def headers(self) -> dict[str, str]:
        return self.daily.headers()


class QuotaExceeded(TooManyRequests):
    def __init__(self, message: str, *, retry_after: float, usage: DailyUsage) -> None:
        super().__init__(message, retry_after=retry_after, headers=usage.headers())
        self.usage = usage


@dataclass
class QuotaLease:
    """One accepted generation: holds a concurrent slot until ``release`` (idempotent)."""

    user_id: int
    usage: DailyUsage
    _slots: ConcurrencySlots
    _slot_key: str
    _lease_id: str
    _released: bool = field(default=False)

    @property
    def headers(self) -> dict[str, str]:
        return self.usage.headers()

    async def release(self) -> None:
        if self._released:
            return
        self._released = True
        await self._slots.release(self._slot_key, self._lease_id)


class GenerationQuota:
    def __init__(
        self, settings: Settings, limiter: FixedWindowRateLimiter, slots: ConcurrencySlots
    ) -> None:
        self._limiter = limiter
        self._slots = slots
        self._daily = limits.parse(settings.generation_daily_limit)
        self._concurrent = settings.max_active_jobs_per_user
        self._lease_seconds = settings.generation_lease_seconds

    async def acquire(self, user_id: int, job_id: str | None = None) -> QuotaLease:
        """A lease for one generation; raises QuotaExceeded (429) when over either limit.
        Named after ``job_id`` when given, so whichever process ends the job frees the slot
        (``release_job``)."""
        slot_key = _slot_key(user_id)
        lease_id = await self._slots.acquire(
            slot_key, self._concurrent, self._lease_seconds, job_id
        )
        if lease_id is None:
            metrics.record_rate_limited("generation_concurrent")
            # A slot frees when a running generation ends; a few seconds is a fair guess.
            raise QuotaExceeded(TOO_MANY_AT_ONCE, retry_after=5, usage=await self._usage(user_id))
        if not await self._limiter.hit(self._daily, DAILY, str(user_id)):
            await self._slots.release(slot_key, lease_id)
            usage = await self._usage(user_id)
            metrics.record_rate_limited(DAILY)
            raise QuotaExceeded(DAILY_EXHAUSTED, retry_after=usage.reset_in(), usage=usage)
        return QuotaLease(user_id, await self._usage(user_id), self._slots, slot_key, lease_id)

    async def release_job(self, user_id: int, job_id: str) -> None:
        """Frees the slot a job's lease holds (idempotent: any process may call it)."""
        await self._slots.release(_slot_key(user_id), job_id)

    async def forget(self, user_id: int) -> None:
        """Drops a deleted account's counters: its day's count and its running slots."""
        await self._limiter.clear(self._daily, DAILY, str(user_id))
        await self._slots.clear(_slot_key(user_id))

    async def status(self, user_id: int) -> QuotaStatus:
        return QuotaStatus(
            daily=await self._usage(user_id),
            concurrent_limit=self._concurrent,
            concurrent_used=await self._slots.count(_slot_key(user_id)),
        )

    async def _usage(self, user_id: int) -> DailyUsage:
        stats = await self._limiter.get_window_stats(self._daily, DAILY, str(user_id))
        limit = self._daily.amount
        now = time.time()
        # Before the first generation there is no window yet: a full day starts at the next one.
        reset_at = stats.reset_time if stats.reset_time > now else now + self._daily.get_expiry()
        return DailyUsage(
            limit=limit,
            used=limit - stats.remaining,
            remaining=stats.remaining,
            reset_at=reset_at,
        )


def _slot_key(user_id: int) -> str:
    return f"generation:{user_id}"


def apply_rate_limit_headers(response: Response, headers: dict[str, str]) -> Response:
    """Copies a lease's or status's RateLimit-* headers onto a response; returns it."""
    response.headers.update(headers)
    return response
