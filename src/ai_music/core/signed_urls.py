"""Short-lived signed paths: a URL that authorises one thing until it expires, with no header.

Media elements (`<audio src>`) and `EventSource` cannot send `Authorization`, so the API hands
out paths carrying an expiry and an HMAC of (purpose, path, expiry) under the server key. The
purpose keeps a signature made for one use (say, audio) from being replayed for another.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

EXPIRES_PARAM = "expires"
SIGNATURE_PARAM = "signature"


class SignatureError(ValueError):
    """The signature is missing, malformed, wrong or expired."""


@dataclass(frozen=True, slots=True)
class UrlSigner:
    key: bytes
    purpose: str

    def _digest(self, path: str, expires: int) -> str:
        message = f"{self.purpose}\n{path}\n{expires}".encode()
        return hmac.digest(self.key, message, "sha256").hex()

    def sign(self, path: str, *, lifetime_s: int, now: float | None = None) -> tuple[str, int]:
        """The signed path (``path?expires=…&signature=…``) and its expiry (Unix seconds)."""
        expires = int((time.time() if now is None else now) + lifetime_s)
        # Both values are URL-safe (digits, hex), so no urlencode: history pages sign every entry.
        signature = self._digest(path, expires)
        return f"{path}?{EXPIRES_PARAM}={expires}&{SIGNATURE_PARAM}={signature}", expires

    def verify(
        self, path: str, expires: str | None, signature: str | None, *, now: float | None = None
    ) -> None:
        """Raise SignatureError unless ``signature`` signs ``path`` and it has not expired."""
        if not expires or not signature or not expires.isdigit() or len(expires) > 12:
            raise SignatureError("This link is not valid")
        expected = self._digest(path, int(expires))
        if not hmac.compare_digest(expected, signature):
            raise SignatureError("This link is not valid")
        if int(expires) < (time.time() if now is None else now):
            raise SignatureError("This link has expired")


def signer_for(secret: str, purpose: str) -> UrlSigner:
    return UrlSigner(key=hashlib.sha256(f"signed-url:{secret}".encode()).digest(), purpose=purpose)
