"""The smallest honest gateway, the reference bench_gateway.py measures ours against.

Starlette + one aiohttp ``ClientSession``: each ``POST /generate`` is POSTed upstream, the
answer streamed to a file, and the file sent back. No accounts, jobs or history. With
``REF_CLIENT=httpx-aiohttp`` the same upstream call goes through httpx's ``AsyncClient`` over
``httpx_aiohttp.AiohttpTransport`` (aiohttp underneath), to measure what httpx's API costs.

Run: ``UPSTREAM_URL=http://127.0.0.1:9100/generate uvicorn ref_gateway:app --port 9200``
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

UPSTREAM_URL = os.environ.get("UPSTREAM_URL", "http://127.0.0.1:9100/generate")
CLIENT = os.environ.get("REF_CLIENT", "aiohttp")
SPOOL = Path(tempfile.mkdtemp(prefix="ref-gateway-"))
CHUNK = 64 * 1024


def new_session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=2000),
        timeout=aiohttp.ClientTimeout(total=180),
    )


async def fetch_with_aiohttp(session: aiohttp.ClientSession, body: bytes, path: Path) -> int:
    async with session.post(
        UPSTREAM_URL, data=body, headers={"content-type": "application/json"}
    ) as answer:
        with path.open("wb") as out:
            async for chunk in answer.content.iter_chunked(CHUNK):
                out.write(chunk)
        return answer.status


async def fetch_with_httpx(client: httpx.AsyncClient, body: bytes, path: Path) -> int:
    headers = {"content-type": "application/json"}
    async with client.stream("POST", UPSTREAM_URL, content=body, headers=headers) as answer:
        with path.open("wb") as out:
            async for chunk in answer.aiter_bytes():
                out.write(chunk)
        return answer.status_code


async def generate(request: Request) -> Response:
    body = await request.body()
    path = SPOOL / uuid.uuid4().hex
    client = request.app.state.client
    if CLIENT == "aiohttp":
        status = await fetch_with_aiohttp(client, body, path)
    else:
        status = await fetch_with_httpx(client, body, path)
    if status != 200:
        path.unlink(missing_ok=True)
        return JSONResponse({"error": f"upstream answered {status}"}, status_code=502)
    return FileResponse(path, media_type="audio/mpeg", background=BackgroundTask(path.unlink))


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    session = new_session()
    if CLIENT == "aiohttp":
        app.state.client = session
    else:
        app.state.client = httpx.AsyncClient(
            transport=AiohttpTransport(client=session), timeout=180
        )
    yield
    await (session.close() if CLIENT == "aiohttp" else app.state.client.aclose())


app = Starlette(routes=[Route("/generate", generate, methods=["POST"])], lifespan=lifespan)
