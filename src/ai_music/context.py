"""The long-lived objects one server process shares, built once in the app's lifespan."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ai_music.accounts.security import PasswordHashing, TokenCodec
from ai_music.core.config import Settings
from ai_music.core.db import Database
from ai_music.history.cache import HistoryPageCache
from ai_music.storage.base import AudioStore
from ai_music.storage.media import MediaLinks

log = logging.getLogger("ai_music")

# Drops what one process keeps for a user id (cached pages, quota counters, running jobs).
AccountForgetter = Callable[[int], Awaitable[None]]


@dataclass
class AppContext:
    settings: Settings
    db: Database
    hashing: PasswordHashing
    tokens: TokenCodec
    storage: AudioStore
    media_links: MediaLinks
    history_pages: HistoryPageCache = field(default_factory=HistoryPageCache)
    metrics_token: str | None = None  # what GET /metrics requires; None: open
    # Generation's components (generation/components.py: upstreams, the job queue), typed
    # there: this layer imports no domain.
    generation: object | None = None
    # Components later issues add (gateway, job runner, limits) register themselves here.
    extras: dict[str, Any] = field(default_factory=dict)
    # Each component that keeps something per user registers how to drop it: nothing kept for
    # an account may outlive it.
    account_forgetters: list[AccountForgetter] = field(default_factory=list)

    async def forget_account(self, user_id: int) -> None:
        """Called once a deleted account's transaction has committed."""
        self.history_pages.forget_user(user_id)
        for forget in self.account_forgetters:
            try:
                await forget(user_id)
            except Exception:
                log.exception("forgetting deleted account %s failed in %r", user_id, forget)
