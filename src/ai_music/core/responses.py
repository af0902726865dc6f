"""Small web helpers shared by every domain: the fast JSON response."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class ORJSONBody(Response):
    """JSON rendered by orjson: the hot routes return plain dicts and lists through this."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def json_response(
    content: Any, *, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return ORJSONBody(content, status_code=status_code, headers=headers)


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
