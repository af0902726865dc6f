"""Password hashing (argon2id, off the event loop) and signed bearer tokens (JWT, HS256)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import anyio
import jwt
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from ai_music.core.config import Settings

TOKEN_ALGORITHM = "HS256"


class PasswordHashing:
    """Argon2id in a bounded thread pool: hashing is CPU work and must not stall the loop."""

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
        return await anyio.to_thread.run_sync(self._hasher.hash, password, limiter=self._limiter)

    async def verify(self, password_hash: str | None, password: str) -> bool:
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
    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds

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
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[TOKEN_ALGORITHM],
                options={"require": ["sub", "sid", "exp", "iat"]},
            )
            return TokenClaims(user_id=int(claims["sub"]), session_id=str(claims["sid"]))
        except (jwt.PyJWTError, ValueError, TypeError):
            return None


def new_session_id() -> str:
    return secrets.token_urlsafe(32)
