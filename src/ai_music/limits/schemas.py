from __future__ import annotations

from pydantic import BaseModel, Field

from ai_music.core.db import format_ms
from ai_music.limits.quota import QuotaStatus


class DailyGenerations(BaseModel):
    limit: int
    used: int
    remaining: int
    reset_at: str = Field(description="When the day's count resets, ISO 8601 UTC")
    reset_in_seconds: int


class ConcurrentGenerations(BaseModel):
    limit: int
    used: int
    remaining: int


class LimitsPublic(BaseModel):
    generations_per_day: DailyGenerations
    concurrent_generations: ConcurrentGenerations


def limits_public(status: QuotaStatus) -> LimitsPublic:
    daily = status.daily
    return LimitsPublic(
        generations_per_day=DailyGenerations(
            limit=daily.limit,
            used=daily.used,
            remaining=daily.remaining,
            reset_at=format_ms(int(daily.reset_at * 1000)),
            reset_in_seconds=daily.reset_in(),
        ),
        concurrent_generations=ConcurrentGenerations(
            limit=status.concurrent_limit,
            used=status.concurrent_used,
            remaining=max(0, status.concurrent_limit - status.concurrent_used),
        ),
    )
