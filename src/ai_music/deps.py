"""The whole AppContext as a dependency, for the app layer (``/ready``) and for generation's
routes until the `scale` branch moves them to generation/dependencies.py. Every other route
takes its own domain's providers (accounts/dependencies.py, history/dependencies.py, ...)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from ai_music.accounts import dependencies as accounts
from ai_music.accounts.dependencies import CurrentUserDep, bearer_scheme
from ai_music.accounts.service import CurrentUser
from ai_music.context import AppContext
from ai_music.core.dependencies import ReadSessionDep, SessionDep

__all__ = [
    "ContextDep",
    "CurrentUserDep",
    "ReadSessionDep",
    "SessionDep",
    "bearer_scheme",
    "get_context",
    "get_current_user",
]


async def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


ContextDep = Annotated[AppContext, Depends(get_context)]


async def get_current_user(
    request: Request, context: AppContext, credentials: HTTPAuthorizationCredentials | None
) -> CurrentUser:
    """The bearer user, for routes that decide themselves whether a token is needed."""
    return await accounts.get_current_user(request, credentials)
