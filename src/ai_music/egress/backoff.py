"""The one backoff policy for retried outbound calls (upstream failover, webhook delivery)."""

from __future__ import annotations

import random


def jittered_backoff(
    retry: int, *, base_s: float, max_s: float, rng: random.Random, floor: float = 0.0
) -> float:
    """Seconds before retry number ``retry`` (0 for the first): exponential from ``base_s``,
    capped at ``max_s``, drawn at random from ``floor`` of that ceiling up to it, so that
    callers failing together do not retry together (``floor=0``: "full jitter")."""
    ceiling = min(max_s, base_s * 2**retry)
    return rng.uniform(ceiling * floor, ceiling)
