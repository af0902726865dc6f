"""A webhook receiver for the job tests (served on loopback by uvicorn).

Unlike tests/webhooks/receiver.py it does not check signatures itself: the tests verify each
delivery with the secret the server gave its user. ``/ok/<key>`` answers 204;
``/flaky/<key>`` answers 500 the first time a key is seen, 204 afterwards.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]
    body: bytes
    answered: int


_lock = threading.Lock()
received: defaultdict[str, list[Delivery]] = defaultdict(list)


def deliveries(key: str) -> list[Delivery]:
    with _lock:
        return list(received[key])


async def _record(request: Request, status: int) -> Response:
    body = await request.body()
    with _lock:
        received[request.path_params["key"]].append(Delivery(dict(request.headers), body, status))
    return Response(status_code=status)


async def ok(request: Request) -> Response:
    return await _record(request, 204)


async def flaky(request: Request) -> Response:
    with _lock:
        first = not received[request.path_params["key"]]
    return await _record(request, 500 if first else 204)


app = Starlette(
    routes=[
        Route("/ok/{key}", ok, methods=["POST"]),
        Route("/flaky/{key}", flaky, methods=["POST"]),
    ]
)
