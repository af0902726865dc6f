"""The limits the routes apply, and the caller's address they count by."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Request

from ai_music.limits.components import Limits


class LimitsState(Protocol):
    limits: Limits


async def get_limits(request: Request) -> Limits:
    state: LimitsState = request.app.state.context
    return state.limits


LimitsDep = Annotated[Limits, Depends(get_limits)]


async def get_client_ip(request: Request, limits: LimitsDep) -> str:
    """The caller's address, X-Forwarded-For believed only from AI_MUSIC_TRUSTED_PROXIES."""
    return limits.client_addresses.resolve(request.scope)


ClientIPDep = Annotated[str, Depends(get_client_ip)]
