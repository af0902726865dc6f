"""What the accounts routes (and every route that needs the caller) take from the process."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Protocol

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ai_music.accounts.security import PasswordHashing, TokenCodec
from ai_music.accounts.service import CurrentUser, authenticate
from ai_music.core.dependencies import CoreState
from ai_music.core.errors import Unauthorized
from ai_music.observability.middleware import USER_ID_SCOPE_KEY
from ai_music.storage.base import AudioStore

# Drops what one process keeps for a user id (cached pages, quota counters, running jobs).
AccountForgetter = Callable[[int], Awaitable[None]]


class AccountsState(CoreState, Protocol):
    hashing: PasswordHashing
    tokens: TokenCodec
    storage: AudioStore

    async def forget_account(self, user_id: int) -> None:
        """Drops what the process keeps for a deleted account, once its deletion committed."""


def accounts_state(request: Request) -> AccountsState:
    state: AccountsState = request.app.state.context
    return state


async def get_accounts(request: Request) -> AccountsState:
    return accounts_state(request)


AccountsDep = Annotated[AccountsState, Depends(get_accounts)]

bearer_scheme = HTTPBearer(auto_error=False, description="The `token` that POST /signin returns.")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


async def get_current_user(request: Request, credentials: BearerDep) -> CurrentUser:
    if credentials is None:
        raise Unauthorized("Authentication required: send Authorization: Bearer <token>")
    state = accounts_state(request)
    user = await authenticate(
        reader=state.db.reader, tokens=state.tokens, token=credentials.credentials
    )
    request.scope[USER_ID_SCOPE_KEY] = user.id  # for the request's log line
    return user


CurrentUserDep = Annotated[CurrentUser, Depends(get_current_user)]
