"""An upstream's ``max_concurrency``: calls at once, in this process or across the deployment.

Without Redis the limit is an ``asyncio.Semaphore`` in each process. With Redis it is a
semaphore of expiring leases in a sorted set (the limits' concurrency slots, one Lua script per
acquire): every process counts against the same ``max_concurrency``. A lease lives
``LEASE_S`` and is renewed while its call runs, so a killed process's calls free their places
within ``LEASE_S``. A process waiting for a place polls Redis with a growing, jittered pause.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from typing import Protocol

from redis.exceptions import RedisError

__all__ = ["ConcurrencyLimit", "LeaseStore", "LocalLimit", "SharedLimit"]

log = logging.getLogger("ai_music.upstreams")


class LeaseStore(Protocol):
    """Counted, expiring leases per key (``ai_music.limits.backend.RedisSlots``)."""

    async def acquire(self, key: str, limit: int, lease_seconds: float) -> str | None: ...

    async def renew(self, key: str, lease_id: str, lease_seconds: float) -> bool: ...

    async def release(self, key: str, lease_id: str) -> None: ...

    async def count(self, key: str) -> int: ...


class ConcurrencyLimit(Protocol):
    limit: int

    def hold(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Waits for a place, holds it for the ``async with`` block."""

    async def deployment_count(self) -> int | None:
        """Places held by every process, when the limit is shared; None otherwise."""


class LocalLimit:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._semaphore = asyncio.Semaphore(limit)

    @contextlib.asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        async with self._semaphore:
            yield

    async def deployment_count(self) -> int | None:
        return None


class SharedLimit:
    LEASE_S = 15.0
    RENEW_EVERY_S = 5.0
    POLL_MIN_S = 0.05
    POLL_MAX_S = 0.5

    def __init__(self, store: LeaseStore, key: str, limit: int) -> None:
        self.limit = limit
        self._store = store
        self._key = key
        # Callers of this process queue here first (FIFO, no Redis traffic) rather than all
        # polling Redis at once.
        self._local = asyncio.Semaphore(limit)

    @contextlib.asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        async with self._local:
            lease = await self._acquire()
            renewing = asyncio.create_task(self._keep(lease))
            try:
                yield
            finally:
                renewing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renewing
                try:
                    await self._store.release(self._key, lease)
                except (RedisError, OSError):
                    log.warning(
                        "could not release %s lease; it expires in %gs", self._key, self.LEASE_S
                    )

    async def deployment_count(self) -> int | None:
        return await self._store.count(self._key)

    async def _acquire(self) -> str:
        pause = self.POLL_MIN_S
        while True:
            lease = await self._store.acquire(self._key, self.limit, self.LEASE_S)
            if lease is not None:
                return lease
            await asyncio.sleep(random.uniform(pause / 2, pause))
            pause = min(self.POLL_MAX_S, pause * 2)

    async def _keep(self, lease: str) -> None:
        while True:
            await asyncio.sleep(self.RENEW_EVERY_S)
            try:
                held = await self._store.renew(self._key, lease, self.LEASE_S)
            except (RedisError, OSError):
                log.warning("could not renew %s lease; trying again", self._key)
                continue
            if not held:
                # The loop was stalled past the lease: the call goes on, one over the limit.
                log.warning("%s lease expired while its call ran", self._key)
                return
