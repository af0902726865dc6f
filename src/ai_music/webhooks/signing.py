"""Standard Webhooks signatures (https://www.standardwebhooks.com), so receivers can verify
our deliveries with that project's libraries (``standardwebhooks``, ``svix``) or by hand.

A receiver verifies a delivery like this:

1. Take the headers ``webhook-id``, ``webhook-timestamp`` (Unix seconds) and
   ``webhook-signature`` (space-separated ``v1,<base64>`` entries), and the raw body bytes.
2. Refuse a timestamp more than five minutes from its own clock (replays).
3. Compute ``base64(HMAC-SHA256(key, f"{id}.{timestamp}." + body))`` where ``key`` is the
   base64-decoded part of the secret after ``whsec_``; accept if any ``v1`` entry equals it
   (compared in constant time).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

__all__ = ["SECRET_PREFIX", "new_secret", "sign", "verify"]

SECRET_PREFIX = "whsec_"
SIGNATURE_VERSION = "v1"
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _key(secret: str) -> bytes:
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise ValueError("a webhook secret is 'whsec_' followed by base64") from exc


def _digest(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    mac = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return base64.b64encode(mac).decode("ascii")


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one delivery attempt."""
    return f"{SIGNATURE_VERSION},{_digest(secret, msg_id, timestamp, body)}"


def _v1_signatures(header: str) -> list[str]:
    found = []
    for entry in header.split():
        version, _, value = entry.partition(",")
        if version == SIGNATURE_VERSION and value:
            found.append(value)
    return found


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance_s: int = 300,
    now: float | None = None,
) -> bool:
    """True when ``headers`` carry a valid, recent signature of ``body`` under ``secret``."""
    lowered = {name.lower(): value for name, value in headers.items()}
    msg_id = lowered.get("webhook-id")
    timestamp_text = lowered.get("webhook-timestamp", "")
    signature_header = lowered.get("webhook-signature")
    if not msg_id or not signature_header or not timestamp_text.isdigit():
        return False
    timestamp = int(timestamp_text)
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        return False
    expected = _digest(secret, msg_id, timestamp, body)
    return any(
        hmac.compare_digest(expected.encode(), candidate.encode())
        for candidate in _v1_signatures(signature_header)
    )
