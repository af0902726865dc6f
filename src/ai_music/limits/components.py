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


def per_process_warning(settings: Settings, *, worker_process: bool = False) -> str | None:
    """What start-up logs when this process is known to be one of several that each count
    limits on their own (no Redis)."""
    if settings.redis_url:
        return None
    if worker_process or not settings.run_worker:
        several = "Jobs run in separate `ai-music worker` processes"
    elif settings.web_processes > 1:
        several = f"{settings.web_processes} server processes"
    else:
        return None
    return (
        f"{several} and no AI_MUSIC_REDIS_URL: each process counts limits on its own, so every "
        "limit is multiplied by the number of processes (sign-in throttles, daily quotas, "
        "generations at once per user, each upstream's max_concurrency) and each keeps its own "
        "circuit breakers. Set AI_MUSIC_REDIS_URL to share them (docs/deploy.md)."
    )
