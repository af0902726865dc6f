"""The long-lived objects one server process shares, built once in the app's lifespan.

``AppContext`` is the typed state every route reads, kept on ``app.state.context``. Domains
may not import this layer: each declares the part it reads as a Protocol in its
``dependencies.py``, and AppContext subclasses them all, so mypy checks the wiring.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from ai_music.accounts.dependencies import AccountForgetter, AccountsState
from ai_music.accounts.security import PasswordHashing, TokenCodec
from ai_music.core.config import Settings
from ai_music.core.db import Database
from ai_music.core.signed_urls import UrlSigner
from ai_music.generation.components import GenerationComponents
from ai_music.generation.dependencies import GenerationState
from ai_music.history.cache import HistoryPageCache
from ai_music.history.dependencies import HistoryState
from ai_music.limits.components import Limits
from ai_music.limits.dependencies import LimitsState
from ai_music.observability.routes import ObservabilityState
from ai_music.storage.base import AudioStore
from ai_music.storage.media import MediaLinks
from ai_music.webhooks.sender import WebhookSender

log = logging.getLogger("ai_music")


@dataclass
class AppContext(GenerationState, AccountsState, HistoryState, LimitsState, ObservabilityState):
    settings: Settings
    db: Database
    hashing: PasswordHashing
    tokens: TokenCodec
    storage: AudioStore
    media_links: MediaLinks
    limits: Limits
    webhooks: WebhookSender
    events_signer: UrlSigner
    history_pages: HistoryPageCache = field(default_factory=HistoryPageCache)
    metrics_token: str | None = None  # what GET /metrics requires; None: open
    # Each component that keeps something per user registers how to drop it: nothing kept for
    # an account may outlive it.
    account_forgetters: list[AccountForgetter] = field(default_factory=list)
    # Set by start_generation() in the lifespan, before the first request.
    generation: GenerationComponents = field(init=False)

    async def forget_account(self, user_id: int) -> None:
        """Called once a deleted account's transaction has committed."""
        self.history_pages.forget_user(user_id)
        for forget in self.account_forgetters:
            try:
                await forget(user_id)
            except Exception:
                log.exception("forgetting deleted account %s failed in %r", user_id, forget)
