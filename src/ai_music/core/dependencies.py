"""The request's view of the process: the typed state every domain's providers read.

app.py builds one ``AppContext`` (context.py) in its lifespan and keeps it on ``app.state``.
Domains may not import that app layer, so each declares the part it reads as a Protocol
(``CoreState`` here, ``AccountsState`` in accounts/dependencies.py, ...) and AppContext
subclasses them all: mypy checks that the one state object gives every domain what it reads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Protocol

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from ai_music.core.config import Settings
from ai_music.core.db import Database


class CoreState(Protocol):
    settings: Settings
    db: Database


def state_of(request: Request) -> CoreState:
    """The process's state object; each domain's provider narrows it to its own Protocol."""
    state: CoreState = request.app.state.context
    return state


async def get_settings(request: Request) -> Settings:
    return state_of(request).settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_database(request: Request) -> Database:
    return state_of(request).db


DatabaseDep = Annotated[Database, Depends(get_database)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's transaction: committed when the route returns, rolled back if it raises."""
    async with state_of(request).db.transaction() as session:
        yield session


# scope="function": the commit happens before the response is sent, so a client never sees
# success for a write that then failed to commit.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for routes that only read: on SQLite it takes no write lock."""
    async with state_of(request).db.read_sessionmaker() as session:
        yield session


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]
