"""Password hashing (argon2id, off the event loop) and signed bearer tokens (JWT, HS256)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import anyio
import jwt
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from ai_music.core.config import Settings
from ai_music.observability.metrics import record_password_hashing

TOKEN_ALGORITHM = "HS256"


class PasswordHashing:
    """Argon2id in a bounded thread pool: hashing is CPU work and must not stall the loop.

    Each hash and verify is counted (/metrics): the brute-force bench reads how many attempts
    reached the hasher."""

    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            type=Type.ID,
        )
        self._limiter = anyio.CapacityLimiter(settings.password_hash_workers)
        self._decoy: str | None = None

    @property
    def _decoy_hash(self) -> str:
        # Verifying against this when the user does not exist makes an unknown username cost
        # the same as a wrong password, so response times do not reveal which usernames exist.
        if self._decoy is None:
            self._decoy = self._hasher.hash(secrets.token_urlsafe(16))
        return self._decoy

    async def hash(self, password: str) -> str:
        record_password_hashing("hash")
        return await anyio.to_thread.run_sync(self._hasher.hash, password, limiter=self._limiter)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        record_password_hashing("verify")
        return await anyio.to_thread.run_sync(
            self._verify, password_hash, password, limiter=self._limiter
        )

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            self._hasher.verify(password_hash or self._decoy_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        return password_hash is not None


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    session_id: str


class TokenCodec:
    """Issues and verifies bearer tokens. Verified tokens are remembered until their ``exp``, so
    a client's repeat requests skip the HMAC and claim checks; whether the session is still
    live (signed out, account deleted) is checked by the caller on every request regardless."""

    CACHE_SIZE = 4096

    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds
        self._verified: dict[str, tuple[TokenClaims, float]] = {}

    def issue(self, *, user_id: int, session_id: str, issued_at: int) -> str:
        claims = {
            "sub": str(user_id),
            "sid": session_id,
            "iat": issued_at,
            "exp": issued_at + self.ttl_seconds,
        }
        return jwt.encode(claims, self._secret, algorithm=TOKEN_ALGORITHM)

    def decode(self, token: str) -> TokenClaims | None:
        """The claims of a valid, unexpired token signed by us; None for anything else."""
        known = self._verified.get(token)
        if known is not None:
            if time.time() < known[1]:
                return known[0]
            del self._verified[token]
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[TOKEN_ALGORITHM],
                options={"require": ["sub", "sid", "exp", "iat"]},
            )
            verified = TokenClaims(user_id=int(claims["sub"]), session_id=str(claims["sid"]))
            expires_at = float(claims["exp"])
        except (jwt.PyJWTError, ValueError, TypeError):
            return None
        if len(self._verified) >= self.CACHE_SIZE:
            # Oldest first: dicts keep insertion order.
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (verified, expires_at)
        return verified


def new_session_id() -> str:
    return secrets.token_urlsafe(32)
