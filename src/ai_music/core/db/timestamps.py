"""Timestamps: UTC epoch milliseconds in the database, ISO 8601 in JSON."""

from __future__ import annotations

import time
from functools import lru_cache


def now_ms() -> int:
    """Timestamps are UTC epoch milliseconds: the same on SQLite and PostgreSQL, cheap to order."""
    return time.time_ns() // 1_000_000


def seconds_until(epoch_ms: int | None) -> float | None:
    """Seconds from now to ``epoch_ms`` (negative once past); None for no moment at all."""
    return None if epoch_ms is None else (epoch_ms - now_ms()) / 1000


def format_ms(epoch_ms: int) -> str:
    """ISO 8601 in UTC with millisecond precision, e.g. ``2026-11-24T19:26:00.123Z``."""
    seconds, millis = divmod(epoch_ms, 1000)
    return f"{_utc_second(seconds)}.{millis:03d}Z"


@lru_cache(maxsize=65_536)
def _utc_second(seconds: int) -> str:
    # Cached: history lists format the same timestamps on every read (the hot path).
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
