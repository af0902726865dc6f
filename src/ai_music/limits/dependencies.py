"""The limits the routes apply, and the caller's address they count by."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class PasswordGuesses:
    """Every password a caller sends (to sign in, or to confirm an account change) is a guess
    against one budget per address and per username."""

    limits: Limits
    client_ip: str

    async def count(self, username: str) -> None:
        await self.limits.throttle.signin_attempt(self.client_ip, username)


async def get_password_guesses(limits: LimitsDep, client_ip: ClientIPDep) -> PasswordGuesses:
    return PasswordGuesses(limits, client_ip)


PasswordGuessesDep = Annotated[PasswordGuesses, Depends(get_password_guesses)]
