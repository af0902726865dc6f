"""A loopback audio service that records every call it gets, for the job tests.

It speaks the HTTP upstream contract (POST JSON, answer WAV) and tells calls apart by their
``prompt``. A prompt containing ``sleep=<seconds>`` makes the call take that long; if the
caller closes the connection first, the call is recorded as closed and no audio is sent.
Served by uvicorn in a thread (or a test process) so the server under test reaches it over
real TCP.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections import Counter

from starlette.types import Receive, Scope, Send

from .sounds import wav_bytes

WAV = wav_bytes(0.25)
_SLEEP = re.compile(r"sleep=(\d+(?:\.\d+)?)")

_lock = threading.Lock()
calls: Counter[str] = Counter()
closed: Counter[str] = Counter()
completed: Counter[str] = Counter()
arrivals: list[str] = []


def arrival_order(prefix: str) -> list[str]:
    with _lock:
        return [prompt for prompt in arrivals if prompt.startswith(prefix)]


async def _read_body(receive: Receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body", False):
            return body


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    prompt = str(json.loads(await _read_body(receive) or b"{}").get("prompt", ""))
    with _lock:
        calls[prompt] += 1
        arrivals.append(prompt)
    match = _SLEEP.search(prompt)
    if match:
        sleeper = asyncio.ensure_future(asyncio.sleep(float(match.group(1))))
        watcher = asyncio.ensure_future(_disconnected(receive))
        done, pending = await asyncio.wait({sleeper, watcher}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        if watcher in done:
            with _lock:
                closed[prompt] += 1
            return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"audio/wav"), (b"content-length", b"%d" % len(WAV))],
        }
    )
    await send({"type": "http.response.body", "body": WAV})
    with _lock:
        completed[prompt] += 1
