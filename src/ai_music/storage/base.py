"""The audio-store interface, its keys and its one error.

A key is ``u<user id>/<random>.<ext>``: opaque to callers, recorded on history entries, the same
in every store (so `ai-music storage migrate` copies a key from a folder to a bucket unchanged),
and grouped by user so that deleting an account deletes one prefix.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

KEY_PATTERN = re.compile(r"^u\d+/[A-Za-z0-9_-]{16,64}\.(mp3|wav|ogg|flac|mid)$")


class AudioMissing(LookupError):
    """The key names no stored object (deleted, or stored by a server with another store)."""


def new_key(user_id: int, extension: str) -> str:
    return f"u{user_id}/{secrets.token_urlsafe(18)}.{extension}"


def check_key(key: str) -> str:
    if not KEY_PATTERN.match(key):
        raise ValueError(f"not an audio key: {key!r}")
    return key


def user_prefix(user_id: int) -> str:
    return f"u{user_id}/"


class AudioStore(Protocol):
    """What the app needs from a place that keeps audio. Every method is safe to call from
    several processes (and machines, for a bucket) at once."""

    async def put_file(self, source: Path, *, user_id: int, extension: str) -> str:
        """Stores the file and returns its new key; ``source`` is consumed (moved, or uploaded
        and removed). Either the whole object is stored or, on error, none of it."""
        ...

    async def size(self, key: str) -> int:
        """Bytes in the object; AudioMissing when there is none."""
        ...

    def iter_range(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        """Bytes ``start`` to ``end`` inclusive, in chunks."""
        ...

    async def delete_many(self, keys: Iterable[str]) -> None:
        """Deletes the objects; keys already gone are not an error."""
        ...

    async def delete_user(self, user_id: int) -> None:
        """Deletes every object of the user, also those no history entry names yet."""
        ...

    async def presigned_url(
        self, key: str, *, lifetime_s: int, method: Literal["GET", "HEAD"] = "GET"
    ) -> str | None:
        """A URL the store itself serves without credentials for ``lifetime_s`` (for one
        method: S3 signs it), or None when the app must serve the bytes (a local folder)."""
        ...


@runtime_checkable
class BlockingPut(Protocol):
    """A store whose ``put_file`` is plain file work (a local folder): a caller already in a
    worker thread stores the file there, without a hop of its own."""

    def put_file_blocking(self, source: Path, *, user_id: int, extension: str) -> str:
        """``put_file``, run in the calling thread."""
        ...
