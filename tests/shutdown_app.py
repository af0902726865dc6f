"""The real app plus one slow route, for the SIGTERM test (served by uvicorn in a subprocess)."""

from __future__ import annotations

import asyncio

from starlette.responses import Response

from ai_music.app import create_app
from ai_music.core.config import get_settings

app = create_app()


async def slow(seconds: float = 2.0) -> Response:
    (get_settings().data_dir / "slow-started").touch()
    await asyncio.sleep(seconds)
    return Response(b"finished", media_type="text/plain")


app.add_api_route("/slow", slow, methods=["GET"])
