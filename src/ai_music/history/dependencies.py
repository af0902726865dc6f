"""What the history routes take from the process."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Request

from ai_music.core.dependencies import CoreState
from ai_music.history.cache import HistoryPageCache
from ai_music.storage.base import AudioStore
from ai_music.storage.media import MediaLinks


class HistoryState(CoreState, Protocol):
    storage: AudioStore
    media_links: MediaLinks
    history_pages: HistoryPageCache


async def get_history_state(request: Request) -> HistoryState:
    state: HistoryState = request.app.state.context
    return state


HistoryStateDep = Annotated[HistoryState, Depends(get_history_state)]
