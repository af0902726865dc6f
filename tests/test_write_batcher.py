"""WriteBatcher's order of service: an urgent write never waits behind background ones."""

from __future__ import annotations

import asyncio
from typing import Any

from ai_music.core.db import WriteBatcher


class RecordingCommitter:
    """Applies each write to ``None`` and records the batches; the first commit waits for
    ``release`` so that writes pile up behind it."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.release = asyncio.Event()

    async def commit(self, writes: list[Any]) -> list[tuple[Any, BaseException | None]]:
        if not self.batches:
            await self.release.wait()
        self.batches.append([write(None) for write in writes])
        return [(name, None) for name in self.batches[-1]]

    async def aclose(self) -> None:
        return None


async def test_an_urgent_write_goes_in_a_batch_of_its_own_ahead_of_background_ones() -> None:
    committer = RecordingCommitter()
    batcher = WriteBatcher(committer, max_batch=10)
    first = asyncio.create_task(batcher.run(lambda _: "bg-0"))
    await asyncio.sleep(0)  # the first batch is now committing (and held)
    background = [asyncio.create_task(batcher.run(lambda _, n=n: f"bg-{n}")) for n in range(1, 16)]
    urgent = asyncio.create_task(batcher.run(lambda _: "urgent", urgent=True))
    await asyncio.sleep(0)
    committer.release.set()

    assert await urgent == "urgent"
    assert await first == "bg-0"
    assert [await task for task in background] == [f"bg-{n}" for n in range(1, 16)]
    assert committer.batches == [
        ["bg-0"],
        ["urgent"],
        [f"bg-{n}" for n in range(1, 11)],
        [f"bg-{n}" for n in range(11, 16)],
    ]
    await batcher.aclose()
