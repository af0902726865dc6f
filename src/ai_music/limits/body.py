"""Request bodies larger than the limit are refused with 413, counted while they are read.

A declared ``Content-Length`` over the limit is refused before the app runs. A chunked body is
counted as it arrives and reading stops at the first byte over the limit: the exception raised
from ``receive`` is a Starlette HTTPException, so FastAPI's body reader lets it through to the
app's error handler, which answers ``413 {"error": ...}``.

Starlette's RequestBodyLimitMiddleware does the counting too, but answers in plain text and
wraps every request, GETs included; this one leaves bodiless methods untouched.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ai_music.core.errors import error_response

TOO_LARGE = "Request body too large"
_BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=413, detail=TOO_LARGE)


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _BODILESS:
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_bytes:
            await error_response(413, TOO_LARGE)(scope, receive, send)
            return
        received = 0
        started = False

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge()
            return message

        async def send_tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive_within_limit, send_tracking)
        except BodyTooLarge:
            if started:
                raise
            await error_response(413, TOO_LARGE)(scope, receive, send)
