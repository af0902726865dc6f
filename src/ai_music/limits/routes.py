from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from ai_music.core.db import format_ms
from ai_music.deps import ContextDep, CurrentUserDep
from ai_music.limits.components import quota_of
from ai_music.limits.quota import QuotaStatus, apply_rate_limit_headers
from ai_music.limits.schemas import ConcurrentGenerations, DailyGenerations, LimitsPublic

router = APIRouter(tags=["accounts"])


@router.get("/me/limits", response_model=LimitsPublic, summary="Where the caller stands")
async def my_limits(
    current: CurrentUserDep, context: ContextDep, response: Response
) -> LimitsPublic:
    status = await quota_of(context).status(current.id)
    apply_rate_limit_headers(response, status.headers)
    return limits_public(status)


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
