"""The process's one webhook sender, built from the settings."""

from __future__ import annotations

from ai_music.core.config import Settings
from ai_music.webhooks.sender import WebhookSender


def build_sender(settings: Settings) -> WebhookSender:
    return WebhookSender(
        allow_private_network=settings.webhook_allow_private_network,
        timeout_s=settings.webhook_timeout_s,
        max_attempts=settings.webhook_max_attempts,
    )
