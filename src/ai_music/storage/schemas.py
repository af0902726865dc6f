"""The media-link fields every history entry and job carries."""

from __future__ import annotations

from pydantic import BaseModel, Field


class MediaLinkFields(BaseModel):
    media_url: str | None = Field(
        description=(
            "The audio with no Authorization header (for `<audio src>`, downloads, shared "
            "links): a signed link, valid until media_url_expires_at; null without audio."
        )
    )
    media_url_expires_at: str | None = Field(description="When media_url stops working (UTC).")
