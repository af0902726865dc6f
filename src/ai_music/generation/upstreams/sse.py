"""A minimal server-sent-events reader over an httpx streaming response."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

__all__ = ["SSEEventTooLarge", "ServerSentEvent", "iter_sse"]


@dataclass(frozen=True)
class ServerSentEvent:
    event: str
    data: str


class SSEEventTooLarge(ValueError):
    pass


async def iter_sse(
    response: httpx.Response, *, max_event_bytes: int
) -> AsyncIterator[ServerSentEvent]:
    """Yield each event (``event`` defaults to "message") as its blank line arrives."""
    event, size = "message", 0
    data_lines: list[str] = []
    async for line in response.aiter_lines():
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
