"""A real, misbehaving audio service for fault tests (served on loopback by uvicorn)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .sounds import wav_bytes

WAV = wav_bytes(0.25)
attempts: Counter[str] = Counter()
healthy: dict[str, bool] = {}
last_bodies: dict[str, Any] = {}


def _wav(headers: dict[str, str] | None = None) -> Response:
    return Response(WAV, media_type="audio/wav", headers=headers)


async def ok(request: Request) -> Response:
    body = json.loads(await request.body() or b"{}")
    last_bodies["ok"] = body
    return _wav({"x-seed": str(body.get("seed", "")), "x-instruments": "piano"})


async def slow(request: Request) -> Response:
    await asyncio.sleep(float(request.query_params.get("delay", "5")))
    return _wav()


async def status(request: Request) -> Response:
    code = int(request.path_params["code"])
    attempts[f"status-{code}"] += 1
    headers = {}
    if "retry_after" in request.query_params:
        headers["retry-after"] = request.query_params["retry_after"]
    return JSONResponse({"error": "nope"}, status_code=code, headers=headers)


async def html(request: Request) -> Response:
    return Response("<html><body>Space is sleeping</body></html>", media_type="text/html")


class Truncated:
    """Declares 100 000 bytes and sends 2 000 (a raw ASGI app, below Starlette's checks)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"audio/wav"), (b"content-length", b"100000")],
            }
        )
        await send({"type": "http.response.body", "body": WAV[:2000], "more_body": False})


async def _zeros(total: int, chunk: int = 64 * 1024) -> AsyncIterator[bytes]:
    yield WAV[:44]
    sent = 44
    while sent < total:
        yield b"\0" * chunk
        sent += chunk


async def big(request: Request) -> Response:
    return StreamingResponse(
        _zeros(int(request.query_params.get("size", 4_000_000))), media_type="audio/wav"
    )


async def big_declared(request: Request) -> Response:
    return Response(WAV[:44] + b"\0" * 3_000_000, media_type="audio/wav")


async def _drip() -> AsyncIterator[bytes]:
    yield WAV[:44]
    for _ in range(1000):
        await asyncio.sleep(0.1)
        yield b"\0"


async def drip(request: Request) -> Response:
    return StreamingResponse(_drip(), media_type="audio/wav")


async def flaky(request: Request) -> Response:
    key = request.path_params["key"]
    attempts[key] += 1
    if attempts[key] <= int(request.query_params.get("fail", "1")):
        code = int(request.query_params.get("code", "500"))
        headers = (
            {"retry-after": request.query_params["retry_after"]}
            if ("retry_after" in request.query_params)
            else {}
        )
        return JSONResponse({"error": "flaky"}, status_code=code, headers=headers)
    return _wav()


async def switchable(request: Request) -> Response:
    key = request.path_params["key"]
    attempts[key] += 1
    if not healthy.get(key, False):
        return JSONResponse({"error": "down"}, status_code=503)
    return _wav()


async def redirect_same(request: Request) -> Response:
    return Response(status_code=307, headers={"location": "/ok"})


async def redirect_away(request: Request) -> Response:
    # Another host: the client must refuse before connecting anywhere.
    return Response(status_code=307, headers={"location": "http://192.0.2.1/ok"})


app = Starlette(
    routes=[
        Route("/ok", ok, methods=["POST", "GET"]),
        Route("/slow", slow, methods=["POST"]),
        Route("/status/{code:int}", status, methods=["POST"]),
        Route("/html", html, methods=["POST"]),
        Route("/truncated", Truncated(), methods=["POST"]),
        Route("/big", big, methods=["POST", "GET"]),
        Route("/big-declared", big_declared, methods=["POST"]),
        Route("/drip", drip, methods=["POST"]),
        Route("/flaky/{key}", flaky, methods=["POST"]),
        Route("/switchable/{key}", switchable, methods=["POST"]),
        Route("/redirect-same", redirect_same, methods=["POST"]),
        Route("/redirect-away", redirect_away, methods=["POST"]),
    ]
)
