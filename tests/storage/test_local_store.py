"""The local audio store read back in ranges: exact bytes across chunk boundaries, and a file
deleted while it is being sent still sends whole."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ai_music.storage import local as storage
from ai_music.storage.local import LocalAudioStore


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> int:
    chunk = 1000
    monkeypatch.setattr(storage, "CHUNK_SIZE", chunk)
    return chunk


async def stored(tmp_path: Path, content: bytes) -> tuple[LocalAudioStore, str]:
    store = LocalAudioStore(tmp_path / "audio")
    source = tmp_path / "upload.mp3"
    source.write_bytes(content)
    return store, await store.put_file(source, user_id=7, extension="mp3")


async def read(store: LocalAudioStore, key: str, start: int, end: int) -> list[bytes]:
    return [chunk async for chunk in store.iter_range(key, start, end)]


@pytest.mark.parametrize(
    ("start", "end"),
    [(0, 4499), (0, 999), (999, 1000), (1500, 3999), (4000, 4499), (4499, 4499), (10, 2010)],
)
async def test_a_range_comes_back_exactly_in_chunks_of_at_most_the_chunk_size(
    tmp_path: Path, small_chunks: int, start: int, end: int
) -> None:
    content = os.urandom(4500)
    store, key = await stored(tmp_path, content)

    chunks = await read(store, key, start, end)

    assert b"".join(chunks) == content[start : end + 1]
    assert all(0 < len(chunk) <= small_chunks for chunk in chunks)


async def test_a_range_past_the_end_of_the_file_stops_at_the_end(
    tmp_path: Path, small_chunks: int
) -> None:
    content = os.urandom(2500)
    store, key = await stored(tmp_path, content)

    assert b"".join(await read(store, key, 2000, 9999)) == content[2000:]


async def test_a_file_deleted_while_it_is_sent_is_still_sent_whole(
    tmp_path: Path, small_chunks: int
) -> None:
    content = os.urandom(3500)
    store, key = await stored(tmp_path, content)
    chunks = store.iter_range(key, 0, len(content) - 1)

    received = [await anext(chunks)]
    await store.delete_many([key])
    received += [chunk async for chunk in chunks]

    assert not store.path_of(key).exists()
    assert b"".join(received) == content
