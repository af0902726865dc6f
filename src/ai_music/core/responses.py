"""Small web helpers shared by every domain: the fast JSON response, the stored-audio stream."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import ContentStream, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

# Bodies up to this size are sent without a disconnect watcher (see StoredAudioResponse).
SMALL_BODY_BYTES = 1024 * 1024


class ORJSONBody(Response):
    """JSON rendered by orjson: the hot routes return plain dicts and lists through this."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def json_response(
    content: Any, *, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return ORJSONBody(content, status_code=status_code, headers=headers)


class StoredAudioResponse(StreamingResponse):
    """A stored object's bytes, streamed. Starlette watches for the client leaving with a task
    group per response (uvicorn speaks ASGI 2.3), so that a long stream stops early; a body of
    at most ``SMALL_BODY_BYTES`` is read and sent before a watcher would notice, so it goes
    without one, sparing the event loop two tasks per answer."""

    def __init__(
        self,
        content: ContentStream,
        *,
        size: int,
        media_type: str,
        headers: dict[str, str],
    ) -> None:
        super().__init__(content, media_type=media_type, headers=headers)
        self.size = size
        self.watch_disconnect = size > SMALL_BODY_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.watch_disconnect or scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        await self.stream_response(send)
        if self.background is not None:
            await self.background()

    async def stream_response(self, send: Send) -> None:
        """As Starlette's, but the chunk that completes ``size`` bytes ends the body itself:
        no empty closing message to pass through every middleware's ``send``."""
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        remaining, ended = self.size, False
        async for chunk in self.body_iterator:
            remaining -= len(chunk)
            ended = remaining <= 0
            await send({"type": "http.response.body", "body": chunk, "more_body": not ended})
        if not ended:
            await send({"type": "http.response.body", "body": b"", "more_body": False})


def parse_byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The (start, end) inclusive of a single ``bytes=`` range, None for the whole file.

    A header that is not a valid range is ignored (RFC 9110 §14.2), so it gets the whole file;
    a valid range that cannot be satisfied raises ValueError (the caller answers 416).
    Multi-range requests are answered with the first range only, which browsers accept.
    """
    if not header or not header.startswith("bytes="):
        return None
    first = header[len("bytes=") :].split(",", 1)[0].strip()
    start_text, _, end_text = first.partition("-")
    if not (start_text or end_text) or not (start_text + end_text).isdigit():
        return None
    if not start_text:
        suffix = int(end_text)
        if suffix <= 0:
            raise ValueError("empty suffix range")
        return max(size - suffix, 0), size - 1
    start = int(start_text)
    end = int(end_text) if end_text else size - 1
    if start >= size or end < start:
        raise ValueError("range outside the file")
    return start, min(end, size - 1)
