"""``ai-music storage migrate``: copy the local folder's audio into a bucket.

Keys are the same in both stores, so a copied piece needs no change to its history entry: once
every file is in the bucket, setting ``AI_MUSIC_AUDIO_STORE`` switches every entry at once.
The copy never deletes before the bucket holds an object of the same size, so an interrupted
run loses nothing, and running it again skips what is already there (resumable, idempotent).

It calls obstore's blocking API: an async call answers from a Tokio thread that re-enters Python,
and one still re-entering as the interpreter exits aborts a short-lived command (SIGABRT).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import obstore
from tqdm import tqdm

from ai_music.engine.formats import media_type_of
from ai_music.storage.base import KEY_PATTERN
from ai_music.storage.bucket import UPLOAD_CONCURRENCY, UPLOAD_PART_SIZE, BucketAudioStore


@dataclass
class TransferReport:
    copied: int = 0
    already_there: int = 0
    removed_locally: int = 0


def local_keys(root: Path) -> Iterator[tuple[str, Path]]:
    """Every stored piece under the folder, as (key, file); anything else is left alone."""
    for path in sorted(root.glob("u*/*")):
        key = path.relative_to(root).as_posix()
        if path.is_file() and KEY_PATTERN.match(key):
            yield key, path


def copy_folder_to_bucket(
    root: Path, bucket: BucketAudioStore, *, remove_local: bool = False, progress: bool = True
) -> TransferReport:
    pieces = list(local_keys(root))
    report = TransferReport()
    total = sum(path.stat().st_size for _, path in pieces)
    with tqdm(total=total, unit="B", unit_scale=True, disable=not progress) as bar:
        for key, path in pieces:
            size = path.stat().st_size
            if _bucket_size(bucket, key) == size:
                report.already_there += 1
            else:
                _upload(bucket, key, path)
                if _bucket_size(bucket, key) != size:
                    raise RuntimeError(f"{key}: the bucket's copy has the wrong size")
                report.copied += 1
            if remove_local:
                path.unlink()
                report.removed_locally += 1
            bar.update(size)
    return report


def _upload(bucket: BucketAudioStore, key: str, source: Path) -> None:
    obstore.put(
        bucket.store,
        key,
        source,
        attributes={"Content-Type": media_type_of(key.rpartition(".")[2])},
        chunk_size=UPLOAD_PART_SIZE,
        max_concurrency=UPLOAD_CONCURRENCY,
    )


def _bucket_size(bucket: BucketAudioStore, key: str) -> int | None:
    try:
        return obstore.head(bucket.store, key)["size"]
    except FileNotFoundError:  # obstore raises it for a missing object
        return None
