"""The bucket audio store: any S3-compatible service (AWS S3, Cloudflare R2, Backblaze B2, MinIO),
through obstore (Rust's object_store: async, streaming multipart uploads, ranged reads,
presigned URLs, retries with backoff).

Credentials, region and endpoint come from the standard ``AWS_*`` environment variables, which
obstore reads itself: ``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_REGION``, and ``AWS_ALLOW_HTTP=true`` for a plain-HTTP endpoint.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import anyio
import obstore
from obstore.store import S3Store

from ai_music.engine.formats import media_type_of
from ai_music.storage.base import AudioMissing, check_key, new_key, user_prefix

# Parts of a multipart upload in flight at once, each one part in memory: S3's minimum part
# size, so an upload's memory stays bounded however large the answer.
UPLOAD_PART_SIZE = 5 * 1024 * 1024
UPLOAD_CONCURRENCY = 2
# Bytes handed to the response per chunk of a ranged read (the local store reads 1 MiB a hop).
READ_CHUNK_SIZE = 1024 * 1024
# S3 deletes at most 1000 keys per request.
DELETE_BATCH = 1000


class BucketAudioStore:
    """An AudioStore over ``s3://bucket/prefix``; keys are stored under the prefix."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.store = S3Store.from_url(url)

    async def put_file(self, source: Path, *, user_id: int, extension: str) -> str:
        key = new_key(user_id, extension)
        try:
            await obstore.put_async(
                self.store,
                key,
                source,
                attributes={"Content-Type": media_type_of(extension)},
                chunk_size=UPLOAD_PART_SIZE,
                max_concurrency=UPLOAD_CONCURRENCY,
            )
        except BaseException:
            # obstore aborts a failed multipart upload; this removes an object whose upload
            # completed but whose answer was lost, so a failure leaves nothing behind.
            with contextlib.suppress(Exception):
                await obstore.delete_async(self.store, key)
            raise
        finally:
            await anyio.Path(source).unlink(missing_ok=True)
        return key

    async def size(self, key: str) -> int:
        try:
            meta = await obstore.head_async(self.store, check_key(key))
        except FileNotFoundError as exc:  # obstore raises it for a missing object
            raise AudioMissing(key) from exc
        return meta["size"]

    async def iter_range(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        try:
            result = await obstore.get_async(
                self.store, check_key(key), options={"range": (start, end + 1)}
            )
        except FileNotFoundError as exc:  # obstore raises it for a missing object
            raise AudioMissing(key) from exc
        async for chunk in result.stream(min_chunk_size=READ_CHUNK_SIZE):
            yield bytes(chunk)

    async def delete_many(self, keys: Iterable[str]) -> None:
        paths = [check_key(key) for key in keys]
        for start in range(0, len(paths), DELETE_BATCH):
            await obstore.delete_async(self.store, paths[start : start + DELETE_BATCH])

    async def delete_user(self, user_id: int) -> None:
        async for batch in obstore.list(
            self.store, prefix=user_prefix(user_id), chunk_size=DELETE_BATCH
        ):
            await obstore.delete_async(self.store, [meta["path"] for meta in batch])

    def url_origin(self) -> str:
        """Where presigned URLs point (``scheme://host[:port]``): the studio page's CSP must
        let media load from there. Signing is local, so this makes no request."""
        probe = obstore.sign(self.store, "GET", "probe", timedelta(seconds=60))
        parts = urlsplit(probe)
        return f"{parts.scheme}://{parts.netloc}"

    async def presigned_url(
        self, key: str, *, lifetime_s: int, method: Literal["GET", "HEAD"] = "GET"
    ) -> str | None:
        return await obstore.sign_async(
            self.store, method, check_key(key), timedelta(seconds=lifetime_s)
        )
