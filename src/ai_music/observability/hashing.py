"""The password hasher, counted: the brute-force bench reads how many attempts reached it."""

from __future__ import annotations

from ai_music.accounts.security import PasswordHashing
from ai_music.observability.metrics import record_password_hashing


class CountedPasswordHashing(PasswordHashing):
    async def hash(self, password: str) -> str:
        record_password_hashing("hash")
        return await super().hash(password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        record_password_hashing("verify")
        return await super().verify(password_hash, password)
