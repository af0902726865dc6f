"""The process's one webhook sender, built from settings and kept on ``AppContext.extras``."""

from __future__ import annotations

from ai_music.context import AppContext
from ai_music.core.config import Settings
from ai_music.webhooks.sender import WebhookSender

WEBHOOKS_KEY = "webhooks"


def build_sender(settings: Settings) -> WebhookSender:
    return WebhookSender(
        allow_private_network=settings.webhook_allow_private_network,
        timeout_s=settings.webhook_timeout_s,
        max_attempts=settings.webhook_max_attempts,
    )


def install_sender(context: AppContext, sender: WebhookSender) -> None:
    context.extras[WEBHOOKS_KEY] = sender


def webhooks_of(context: AppContext) -> WebhookSender:
    found: WebhookSender = context.extras[WEBHOOKS_KEY]
    return found
