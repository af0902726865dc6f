"""A Gradio-3-shaped app: ``POST /run/predict`` → ``{"data": [...]}`` with ``{"name","data"}``
audio items, served on loopback by uvicorn."""

from __future__ import annotations

import base64
import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .sounds import wav_bytes

WAV = wav_bytes(0.25)
received: list[dict[str, Any]] = []


def _data_url() -> str:
    return "data:audio/wav;base64," + base64.b64encode(WAV).decode()


async def run_predict(request: Request) -> Response:
    body = json.loads(await request.body())
    received.append(body)
    shape = str(body["data"][0])
    if "is_file" in shape:
        audio: Any = {"name": "/tmp/gradio/abc/audio.wav", "data": None, "is_file": True}
    elif "bare" in shape:
        audio = base64.b64encode(WAV).decode()
    else:
        audio = {"name": "audio.wav", "data": _data_url(), "is_file": False}
    return JSONResponse({"data": ["ok", 3.5, audio], "duration": 0.1})


async def file_route(request: Request) -> Response:
    if request.path_params["path"] != "/tmp/gradio/abc/audio.wav":
        return Response(status_code=404)
    return Response(WAV, media_type="audio/wav")


app = Starlette(
    routes=[
        Route("/run/predict", run_predict, methods=["POST"]),
        Route("/file={path:path}", file_route, methods=["GET"]),
    ]
)
