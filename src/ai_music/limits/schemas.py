from __future__ import annotations

from pydantic import BaseModel, Field


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
