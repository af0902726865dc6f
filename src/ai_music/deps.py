"""Annotated dependency aliases, so route signatures read like sentences."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from ai_music.accounts.service import CurrentUser, authenticate
from ai_music.context import AppContext
from ai_music.core.errors import Unauthorized
from ai_music.limits.components import limits_of
from ai_music.observability.middleware import USER_ID_SCOPE_KEY


async def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


ContextDep = Annotated[AppContext, Depends(get_context)]


async def get_session(context: ContextDep) -> AsyncIterator[AsyncSession]:
    """The request's transaction: committed when the route returns, rolled back if it raises."""
    async with context.db.transaction() as session:
        yield session


# scope="function": the commit happens before the response is sent, so a client never sees
# success for a write that then failed to commit.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_read_session(context: ContextDep) -> AsyncIterator[AsyncSession]:
    """A session for routes that only read: on SQLite it takes no write lock."""
    async with context.db.read_sessionmaker() as session:
        yield session


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]

bearer_scheme = HTTPBearer(auto_error=False, description="The `token` that POST /signin returns.")


async def get_current_user(
    request: Request,
    context: ContextDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> CurrentUser:
    if credentials is None:
        raise Unauthorized("Authentication required: send Authorization: Bearer <token>")
    user = await authenticate(
        reader=context.db.reader, tokens=context.tokens, token=credentials.credentials
    )
    request.scope[USER_ID_SCOPE_KEY] = user.id  # for the request's log line
    return user


CurrentUserDep = Annotated[CurrentUser, Depends(get_current_user)]


async def get_client_ip(request: Request, context: ContextDep) -> str:
    """The caller's address, X-Forwarded-For believed only from AI_MUSIC_TRUSTED_PROXIES."""
    return limits_of(context).client_addresses.resolve(request.scope)


ClientIPDep = Annotated[str, Depends(get_client_ip)]
