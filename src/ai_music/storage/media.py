"""Signed media links: ``/media/<entry id>?expires=…&signature=…``, playable with no header.

The expiry moves in steps of a quarter of the lifetime, so every link made within one step is
the same string: a cached history page stays valid for a step, and a browser's cached audio
for as long as the link. A link is always valid for at least the configured lifetime.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ai_music.core.db import format_ms
from ai_music.core.signed_urls import UrlSigner, signer_for

MEDIA_PURPOSE = "media"


def media_path(entry_id: int) -> str:
    return f"/media/{entry_id}"


@dataclass(frozen=True, slots=True)
class MediaLinks:
    signer: UrlSigner
    lifetime_s: int

    @classmethod
    def for_secret(cls, secret: str, lifetime_s: int) -> MediaLinks:
        return cls(signer_for(secret, MEDIA_PURPOSE), lifetime_s)

    def current_expiry(self, now: float | None = None) -> int:
        """The expiry every link made now carries: the step boundary past now + lifetime."""
        step = max(self.lifetime_s // 4, 1)
        moment = int(time.time() if now is None else now)
        return -(-(moment + self.lifetime_s) // step) * step

    def fields_for(self, entry_id: int | None, expires: int | None = None) -> dict[str, str | None]:
        """``media_url`` and ``media_url_expires_at`` for an entry's audio (null without one)."""
        if entry_id is None:
            return {"media_url": None, "media_url_expires_at": None}
        expires = expires or self.current_expiry()
        # Signed "at" the expiry with no lifetime: the link carries exactly the step boundary.
        url, _ = self.signer.sign(media_path(entry_id), lifetime_s=0, now=expires)
        return {"media_url": url, "media_url_expires_at": format_ms(expires * 1000)}

    def verify(self, entry_id: int, expires: str | None, signature: str | None) -> int:
        """Seconds the link has left; SignatureError when it is not valid or has expired."""
        self.signer.verify(media_path(entry_id), expires, signature)
        return int(expires or 0) - int(time.time())
