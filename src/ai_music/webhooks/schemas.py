from __future__ import annotations

from pydantic import BaseModel, Field


class WebhookSecret(BaseModel):
    """The key that signs this user's job webhooks (Standard Webhooks ``whsec_`` form)."""

    secret: str = Field(
        description="Verify each delivery's `webhook-signature` header with it.",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )
