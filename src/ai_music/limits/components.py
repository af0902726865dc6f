"""The limits one process shares: built once from the settings, closed with the process."""

from __future__ import annotations

from dataclasses import dataclass

from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from ai_music.core.config import Settings
from ai_music.limits.backend import LimitsBackend, build_backend
from ai_music.limits.quota import GenerationQuota
from ai_music.limits.throttle import AuthThrottle
from ai_music.web.client_ip import ClientAddressResolver


@dataclass
class Limits:
    backend: LimitsBackend
    throttle: AuthThrottle
    quota: GenerationQuota
    client_addresses: ClientAddressResolver

    async def aclose(self) -> None:
        await self.backend.aclose()


def build_limits(settings: Settings) -> Limits:
    backend = build_backend(settings)
    return Limits(
        backend=backend,
        throttle=AuthThrottle(settings, MovingWindowRateLimiter(backend.throttle_storage)),
        quota=GenerationQuota(
            settings, FixedWindowRateLimiter(backend.quota_storage), backend.slots
        ),
        client_addresses=ClientAddressResolver(settings.trusted_proxies),
    )
