"""``HEAD`` on every ``GET`` route: the GET's status and headers, no body.

FastAPI routes answer only the methods they declare, so a browser's or a monitor's HEAD got
405. This runs the GET and ends the response as soon as its headers are out. The route is then
told the client has gone (``http.disconnect``), so a long stream (a job's events, a large
audio file) stops at once instead of being produced for nobody.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DISCONNECT: Message = {"type": "http.disconnect"}


class HeadAsGetMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        answered = asyncio.Event()

        async def send_headers_only(message: Message) -> None:
            if answered.is_set():
                return
            await send(message)
            if message["type"] == "http.response.start":
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                answered.set()

        async def receive_until_answered() -> Message:
            if answered.is_set():
                return DISCONNECT
            receiving = asyncio.ensure_future(receive())
            waiting = asyncio.ensure_future(answered.wait())
            await asyncio.wait((receiving, waiting), return_when=asyncio.FIRST_COMPLETED)
            waiting.cancel()
            if receiving.done():
                return receiving.result()
            receiving.cancel()
            return DISCONNECT

        await self.app({**scope, "method": "GET"}, receive_until_answered, send_headers_only)
