"""Where generated audio lives. The interface is small so that an object store can replace the
local directory; keys are opaque strings recorded on history entries."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Protocol

import anyio

_KEY_PATTERN = re.compile(r"^u\d+/[A-Za-z0-9_-]{16,64}\.(mp3|wav|ogg|flac|mid)$")
CHUNK_SIZE = 64 * 1024


class AudioStorage(Protocol):
    async def put_file(self, source: Path, *, user_id: int, extension: str) -> str:
        """Takes ownership of ``source`` (moved, not copied) and returns the new key."""
        ...

    async def size(self, key: str) -> int: ...

    def iter_range(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        """Bytes ``start`` to ``end`` inclusive, in chunks."""
        ...

    async def delete_many(self, keys: Iterable[str]) -> None: ...


class LocalAudioStorage:
    """Files under ``<data dir>/audio/u<user id>/<random>.<ext>``."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def path_of(self, key: str) -> Path:
        if not _KEY_PATTERN.match(key):
            raise ValueError(f"not an audio key: {key!r}")
        return self.root / key

    async def put_file(self, source: Path, *, user_id: int, extension: str) -> str:
        key = f"u{user_id}/{secrets.token_urlsafe(18)}.{extension}"
        target = self.path_of(key)
        await anyio.to_thread.run_sync(_move_into_place, source, target)
        return key

    async def size(self, key: str) -> int:
        stat = await anyio.Path(self.path_of(key)).stat()
        return stat.st_size

    async def iter_range(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        async with await anyio.open_file(self.path_of(key), "rb") as handle:
            await handle.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                chunk = await handle.read(min(CHUNK_SIZE, remaining))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield chunk

    async def delete_many(self, keys: Iterable[str]) -> None:
        paths = [self.path_of(key) for key in keys]
        await anyio.to_thread.run_sync(_unlink_all, paths)


def _move_into_place(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)


def _unlink_all(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


MEDIA_TYPES = {
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
    "mid": "audio/midi",
}


def media_type_of(extension: str) -> str:
    return MEDIA_TYPES.get(extension, "application/octet-stream")
