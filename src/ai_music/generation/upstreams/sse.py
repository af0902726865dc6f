"""A minimal server-sent-events reader over an aiohttp response."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp

__all__ = ["SSEEventTooLarge", "ServerSentEvent", "iter_sse"]


@dataclass(frozen=True)
class ServerSentEvent:
    event: str
    data: str


class SSEEventTooLarge(ValueError):
    pass


async def _lines(response: aiohttp.ClientResponse, max_line_bytes: int) -> AsyncIterator[str]:
    """Decoded lines without their ending (``\n``, ``\r\n`` or ``\r``), at most
    ``max_line_bytes`` each: a line that never ends must not grow without bound. Each chunk
    is scanned once (an event carrying inline audio is megabytes on one line)."""
    parts: list[bytes] = []
    size = 0
    carry = b""  # a chunk's last "\r" may be the first half of "\r\n"
    async for received in response.content.iter_any():
        chunk = carry + received
        carry = b""
        if chunk.endswith(b"\r"):
            chunk, carry = chunk[:-1], b"\r"
        *ended, rest = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        for piece in ended:
            parts.append(piece)
            yield b"".join(parts).decode("utf-8", "replace")
            parts, size = [], 0
        parts.append(rest)
        size += len(rest)
        if size > max_line_bytes:
            raise SSEEventTooLarge(f"a line exceeded {max_line_bytes} bytes")
    if carry or size:
        yield b"".join(parts).decode("utf-8", "replace")


async def iter_sse(
    response: aiohttp.ClientResponse, *, max_event_bytes: int
) -> AsyncIterator[ServerSentEvent]:
    """Yield each event (``event`` defaults to "message") as its blank line arrives."""
    event, size = "message", 0
    data_lines: list[str] = []
    async for line in _lines(response, max_event_bytes):
        if not line:
            if data_lines or event != "message":
                yield ServerSentEvent(event, "\n".join(data_lines))
            event, data_lines, size = "message", [], 0
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            event = value
        elif field == "data":
            size += len(value)
            if size > max_event_bytes:
                raise SSEEventTooLarge(f"an event exceeded {max_event_bytes} bytes")
            data_lines.append(value)
    if data_lines:
        yield ServerSentEvent(event, "\n".join(data_lines))
