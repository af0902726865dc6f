"""The engine as a standalone HTTP service (the original README's external-service contract).

POST /generate (or POST /) with JSON {prompt, duration, mood, tempo, instruments, seed?,
format?} answers 200 with the audio bytes, their Content-Type and X-Engine-* headers naming
what was used; bad input answers 400 {"error": "..."}. GET /health answers {"status": "ok"}.
Renders go through an EnginePool, so the server keeps answering while pieces render.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ai_music.engine.service import (
    EngineInputError,
    EnginePool,
    EngineRequest,
    EngineResult,
    normalise_format,
)

_MAX_TEXT = 2000


def _error(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=400)


def _optional_text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise EngineInputError(f"{key} must be a string")
    return value[:_MAX_TEXT]


def _number(body: dict[str, Any], key: str, default: float | None) -> float | None:
    value = body.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise EngineInputError(f"{key} must be a number")
    try:
        number = float(value)
    except ValueError:
        raise EngineInputError(f"{key} must be a number") from None
    if not math.isfinite(number):
        raise EngineInputError(f"{key} must be a finite number")
    return number


def parse_request(body: Any) -> EngineRequest:
    """An EngineRequest from a JSON body, or EngineInputError saying what is wrong."""
    if not isinstance(body, dict):
        raise EngineInputError("the body must be a JSON object")
    duration = _number(body, "duration", 12.0)
    if duration is None or not 1 <= duration <= 600:
        raise EngineInputError("duration must be between 1 and 600 seconds")
    tempo = _number(body, "tempo", None)
    if tempo is not None and not 20 <= tempo <= 400:
        raise EngineInputError("tempo must be between 20 and 400 BPM")
    seed = _number(body, "seed", None)
    if seed is not None and (seed != int(seed) or seed < 0):
        raise EngineInputError("seed must be a non-negative integer")
    return EngineRequest(
        prompt=_optional_text(body, "prompt") or "",
        duration=duration,
        mood=_optional_text(body, "mood"),
        tempo=round(tempo) if tempo is not None else None,
        instruments=_optional_text(body, "instruments"),
        seed=int(seed) if seed is not None else None,
        format=normalise_format(_optional_text(body, "format") or "mp3"),
    )


def result_headers(result: EngineResult) -> dict[str, str]:
    return {
        "X-Engine-Seed": str(result.seed),
        "X-Engine-Tempo": str(result.tempo),
        "X-Engine-Mood": result.mood,
        "X-Engine-Style": result.style,
        "X-Engine-Instruments": ",".join(result.instruments),
        "X-Engine-Duration": f"{result.duration_s:g}",
        "Content-Disposition": f'inline; filename="engine-{result.seed}.{result.format}"',
    }


def create_app(*, workers: int = 2, soundfont: str | None = None) -> Starlette:
    pool = EnginePool(max_workers=workers, soundfont=soundfont)

    async def generate(request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _error("the body must be JSON")
        try:
            engine_request = parse_request(body)
        except EngineInputError as exc:
            return _error(str(exc))
        result = await pool.render(engine_request)
        return Response(result.audio, media_type=result.media_type, headers=result_headers(result))

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "engine": "ai-music reference engine"})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await pool.aclose()

    return Starlette(
        routes=[
            Route("/generate", generate, methods=["POST"]),
            Route("/", generate, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def serve(
    host: str = "127.0.0.1", port: int = 9100, workers: int = 2, soundfont: str | None = None
) -> None:
    import uvicorn

    uvicorn.run(
        create_app(workers=workers, soundfont=soundfont), host=host, port=port, log_level="info"
    )
