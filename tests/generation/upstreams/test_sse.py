"""The event-stream reader against a loopback server that splits its bytes awkwardly."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import aiohttp
import pytest

from ai_music.generation.upstreams.sse import ServerSentEvent, SSEEventTooLarge, iter_sse


async def events_from(
    pieces: Sequence[bytes], max_event_bytes: int = 1000
) -> list[ServerSentEvent]:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n")
        writer.write(b"Connection: close\r\n\r\n")
        for piece in pieces:
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0.01)  # each piece arrives as its own read
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with (
        server,
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/") as response,
    ):
        return [event async for event in iter_sse(response, max_event_bytes=max_event_bytes)]


async def test_line_endings_split_across_reads() -> None:
    pieces = [b"event: first\r", b"\ndata: 1\r\n\r", b"\ndata: two", b" parts\n\n", b"data: 3\r\r"]
    assert await events_from(pieces) == [
        ServerSentEvent("first", "1"),
        ServerSentEvent("message", "two parts"),
        ServerSentEvent("message", "3"),
    ]


async def test_a_line_that_never_ends_is_refused_at_the_limit() -> None:
    with pytest.raises(SSEEventTooLarge):
        await events_from([b"data: " + b"x" * 600, b"x" * 600], max_event_bytes=1000)
