"""Sign-in and sign-up throttling, checked before any password is hashed.

Every attempt counts (not only failures), because the point is to bound the hashing work an
address can cause; the limits are generous enough that a person mistyping never meets them.
Sign-in is limited per (address, username), which stops guessing one account, and per address,
which stops spraying many accounts. Nothing is limited per username alone, so an attacker
cannot lock the real user out from elsewhere.
"""

from __future__ import annotations

import time

from limits.aio.strategies import MovingWindowRateLimiter

import limits
from ai_music.core.config import Settings
from ai_music.limits.errors import TooManyRequests
from ai_music.observability import metrics

TOO_MANY_SIGNINS = "Too many sign-in attempts. Try again later."
TOO_MANY_SIGNUPS = "Too many sign-ups from this address. Try again later."


class AuthThrottle:
    def __init__(self, settings: Settings, limiter: MovingWindowRateLimiter) -> None:
        self._limiter = limiter
        self._signin_ip_user = limits.parse(settings.signin_limit_per_ip_user)
        self._signin_ip = limits.parse(settings.signin_limit_per_ip)
        self._signup_ip = limits.parse(settings.signup_limit_per_ip)

    async def signin_attempt(self, client_ip: str, username: str) -> None:
        """Counts one password attempt; raises TooManyRequests past either limit."""
        account = username.strip().lower()
        await self._hit(self._signin_ip, "signin_ip", TOO_MANY_SIGNINS, client_ip)
        await self._hit(
            self._signin_ip_user, "signin_ip_user", TOO_MANY_SIGNINS, client_ip, account
        )

    async def signup_attempt(self, client_ip: str) -> None:
        await self._hit(self._signup_ip, "signup_ip", TOO_MANY_SIGNUPS, client_ip)

    async def _hit(
        self, item: limits.RateLimitItem, name: str, message: str, *identifiers: str
    ) -> None:
        if await self._limiter.hit(item, name, *identifiers):
            return
        stats = await self._limiter.get_window_stats(item, name, *identifiers)
        metrics.record_rate_limited(name)
        raise TooManyRequests(message, retry_after=stats.reset_time - time.time())
