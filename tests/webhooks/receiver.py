"""A real webhook receiver for delivery tests (served on loopback by uvicorn).

It verifies each delivery's signature as a client's server would, answers 401 when it does
not verify, and records what it got per test key.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ai_music.webhooks.signing import new_secret, verify

SECRET = new_secret()


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool


received: defaultdict[str, list[Received]] = defaultdict(list)


async def _record(request: Request) -> Received:
    body = await request.body()
    delivery = Received(dict(request.headers), body, verify(SECRET, request.headers, body))
    received[request.path_params["key"]].append(delivery)
    return delivery


def _answer(delivery: Received, status: int, headers: dict[str, str] | None = None) -> Response:
    if not delivery.verified:
        return Response("bad signature", status_code=401)
    return Response(status_code=status, headers=headers)


async def ok(request: Request) -> Response:
    return _answer(await _record(request), 204)


async def flaky(request: Request) -> Response:
    delivery = await _record(request)
    first = len(received[request.path_params["key"]]) == 1
    return _answer(delivery, 500 if first else 200)


async def status(request: Request) -> Response:
    delivery = await _record(request)
    headers = {}
    if "retry_after" in request.query_params:
        headers["retry-after"] = request.query_params["retry_after"]
    return _answer(delivery, int(request.path_params["code"]), headers)


async def redirect(request: Request) -> Response:
    key = request.path_params["key"]
    return _answer(await _record(request), 307, {"location": f"/ok/{key}-redirected"})


async def slow(request: Request) -> Response:
    delivery = await _record(request)
    await asyncio.sleep(1.0)
    return _answer(delivery, 200)


app = Starlette(
    routes=[
        Route("/ok/{key}", ok, methods=["POST"]),
        Route("/flaky/{key}", flaky, methods=["POST"]),
        Route("/status/{code:int}/{key}", status, methods=["POST"]),
        Route("/redirect/{key}", redirect, methods=["POST"]),
        Route("/slow/{key}", slow, methods=["POST"]),
    ]
)
