"""The local-folder audio store: files under ``<data dir>/audio/u<user id>/<random>.<ext>``.

Right for one machine with a disk that outlives deploys; a bucket (bucket.py) for anything else.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import BinaryIO, Literal

from ai_music.core.file_work import run_file_work
from ai_music.storage.base import AudioMissing, check_key, new_key, user_prefix

# Bytes read per hop to a worker thread: a hop costs the event loop far more than the read
# itself, so a typical answer is one hop (figures in docs/architecture.md). A response being
# sent holds at most one chunk in memory.
CHUNK_SIZE = 1024 * 1024


class LocalAudioStore:
    """An AudioStore over a folder; the app serves its bytes itself (no presigned URLs)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def path_of(self, key: str) -> Path:
        return self.root / check_key(key)

    async def put_file(self, source: Path, *, user_id: int, extension: str) -> str:
        return await run_file_work(
            lambda: self.put_file_blocking(source, user_id=user_id, extension=extension)
        )

    def put_file_blocking(self, source: Path, *, user_id: int, extension: str) -> str:
        key = new_key(user_id, extension)
        _move_into_place(source, self.path_of(key))
        return key

    async def size(self, key: str) -> int:
        try:
            stat = await run_file_work(os.stat, self.path_of(key))
        except FileNotFoundError as exc:
            raise AudioMissing(key) from exc
        return stat.st_size

    async def iter_range(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        remaining = end - start + 1
        handle, chunk = await run_file_work(
            _open_and_read, self.path_of(key), start, min(CHUNK_SIZE, remaining)
        )
        try:
            while chunk:
                yield chunk
                remaining -= len(chunk)
                if remaining <= 0 or handle is None:
                    return
                chunk = await run_file_work(handle.read, min(CHUNK_SIZE, remaining))
        finally:
            if handle is not None:
                handle.close()

    async def delete_many(self, keys: Iterable[str]) -> None:
        paths = [self.path_of(key) for key in keys]
        await run_file_work(_unlink_all, paths)

    async def delete_user(self, user_id: int) -> None:
        folder = self.root / user_prefix(user_id)
        await run_file_work(lambda: shutil.rmtree(folder, ignore_errors=True))

    async def presigned_url(
        self, key: str, *, lifetime_s: int, method: Literal["GET", "HEAD"] = "GET"
    ) -> str | None:
        return None


def _open_and_read(path: Path, start: int, size: int) -> tuple[BinaryIO | None, bytes]:
    """The first ``size`` bytes from ``start``; and the file, still open, when more may follow
    (an open file stays readable if the entry is deleted meanwhile)."""
    handle = path.open("rb")
    try:
        handle.seek(start)
        chunk = handle.read(size)
        if len(chunk) == size and os.fstat(handle.fileno()).st_size > start + size:
            return handle, chunk
    except BaseException:
        handle.close()
        raise
    handle.close()
    return None, chunk


def _move_into_place(source: Path, target: Path) -> None:
    # The user's folder exists but for their first piece: made only when the move says so.
    try:
        os.replace(source, target)
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)


def _unlink_all(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
