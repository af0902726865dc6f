"""The long-lived objects one server process shares, built once in the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ai_music.accounts.security import PasswordHashing, TokenCodec
from ai_music.config import Settings
from ai_music.db import Database
from ai_music.history.cache import HistoryPageCache
from ai_music.storage.base import AudioStore
from ai_music.storage.media import MediaLinks


@dataclass
class AppContext:
    settings: Settings
    db: Database
    hashing: PasswordHashing
    tokens: TokenCodec
    storage: AudioStore
    media_links: MediaLinks
    history_pages: HistoryPageCache = field(default_factory=HistoryPageCache)
    # Components later issues add (gateway, job runner, limits) register themselves here.
    extras: dict[str, Any] = field(default_factory=dict)
