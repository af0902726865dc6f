"""Where counters live: the ``limits`` storages, and concurrency slots beside it.

``limits`` counts events in windows; it has no notion of "N at once", so concurrency slots are
kept here, with the same two homes (memory, Redis). A slot is a lease with an expiry, so a
process that dies mid-generation frees its slots after ``lease_seconds`` instead of forever.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any, Protocol

from limits.aio.storage import MemoryStorage, RedisStorage, Storage

from ai_music.core.config import Settings


class ConcurrencySlots(Protocol):
    async def acquire(
        self, key: str, limit: int, lease_seconds: float, lease_id: str | None = None
    ) -> str | None:
        """A lease id (``lease_id`` when given, so that any process can release it by that
        name), or None when ``limit`` leases are already held for ``key``."""

    async def renew(self, key: str, lease_id: str, lease_seconds: float) -> bool:
        """Extends a held lease to ``lease_seconds`` from now; False when it had expired."""

    async def release(self, key: str, lease_id: str) -> None: ...

    async def count(self, key: str) -> int: ...

    async def clear(self, key: str) -> None:
        """Drops every lease held for ``key``."""


class MemorySlots:
    def __init__(self) -> None:
        self._leases: dict[str, dict[str, float]] = {}

    def _live(self, key: str) -> dict[str, float]:
        """The key's unexpired leases, pruned in place."""
        leases = self._leases.get(key)
        if leases is None:
            return {}
        now = time.time()
        for lease in [lease for lease, until in leases.items() if until <= now]:
            del leases[lease]
        return leases

    async def acquire(
        self, key: str, limit: int, lease_seconds: float, lease_id: str | None = None
    ) -> str | None:
        leases = self._leases.setdefault(key, {})
        # Expired leases are only looked for when they could make room: each acquire and
        # release was O(leases held) before, a cost paid per generation under load.
        if len(leases) >= limit and len(self._live(key)) >= limit:
            return None
        lease_id = lease_id or uuid.uuid4().hex
        leases[lease_id] = time.time() + lease_seconds
        return lease_id

    async def renew(self, key: str, lease_id: str, lease_seconds: float) -> bool:
        leases = self._live(key)
        if lease_id not in leases:
            return False
        leases[lease_id] = time.time() + lease_seconds
        return True

    async def release(self, key: str, lease_id: str) -> None:
        leases = self._leases.get(key)
        if leases is not None:
            leases.pop(lease_id, None)
            if not leases:
                del self._leases[key]

    async def count(self, key: str) -> int:
        return len(self._live(key))

    async def clear(self, key: str) -> None:
        self._leases.pop(key, None)


# One round trip, atomic: drop expired leases, refuse when full, otherwise add ours.
_ACQUIRE_SCRIPT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""

# Extends a lease only while it is still held, and the key's own expiry with it.
_RENEW_SCRIPT = """
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""


class RedisSlots:
    def __init__(self, client: Any, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._acquire = client.register_script(_ACQUIRE_SCRIPT)
        self._renew = client.register_script(_RENEW_SCRIPT)

    def _key(self, key: str) -> str:
        return f"{self._prefix}:slots:{key}"

    async def acquire(
        self, key: str, limit: int, lease_seconds: float, lease_id: str | None = None
    ) -> str | None:
        now = time.time()
        lease_id = lease_id or uuid.uuid4().hex
        keys = [self._key(key)]
        args = [now, now + lease_seconds, limit, lease_id, int(lease_seconds) + 1]
        acquired = await self._acquire(keys=keys, args=args)
        return lease_id if int(acquired) == 1 else None

    async def renew(self, key: str, lease_id: str, lease_seconds: float) -> bool:
        args = [lease_id, time.time() + lease_seconds, int(lease_seconds) + 1]
        return int(await self._renew(keys=[self._key(key)], args=args)) == 1

    async def release(self, key: str, lease_id: str) -> None:
        await self._client.zrem(self._key(key), lease_id)

    async def count(self, key: str) -> int:
        found: int = await self._client.zcount(self._key(key), f"({time.time()}", "+inf")
        return found

    async def clear(self, key: str) -> None:
        await self._client.delete(self._key(key))


class LimitsBackend:
    """The storages and slots for one process, and how to close them.

    In memory, the sign-in throttle's moving windows and the generation quota's fixed windows
    get a storage each: ``limits``' memory storage sweeps every moving-window key, one thread
    hop per key, after each hit on it, so sharing one would make every generation request pay
    for the sign-in history of every address (seen in a profile under bench/bench_jobs.py).
    """

    def __init__(
        self,
        throttle_storage: Storage,
        quota_storage: Storage,
        slots: ConcurrencySlots,
        client: Any = None,
    ) -> None:
        self.throttle_storage = throttle_storage
        self.quota_storage = quota_storage
        self.slots = slots
        # The Redis client when counters live there; other shared state (the upstreams'
        # circuits and concurrency leases) uses the same connection pool.
        self.redis = client

    async def aclose(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
        for storage in (self.throttle_storage, self.quota_storage):
            timer = getattr(storage, "timer", None)
            if isinstance(timer, asyncio.Task) and not timer.done():
                timer.cancel()


def build_backend(settings: Settings) -> LimitsBackend:
    if not settings.redis_url:
        return LimitsBackend(MemoryStorage(), MemoryStorage(), MemorySlots())
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(settings.redis_url)
    storage = RedisStorage(
        "async+" + settings.redis_url,
        implementation="redispy",
        key_prefix=settings.limits_key_prefix,
        connection_pool=client.connection_pool,  # type: ignore[arg-type]
    )
    return LimitsBackend(storage, storage, RedisSlots(client, settings.limits_key_prefix), client)
