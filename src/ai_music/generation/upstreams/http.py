"""The original README's upstream contract: POST the parameters as JSON, get audio bytes."""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson
from yarl import URL

from ai_music.egress import read_timeout

from .base import GenerationParams, ProgressSink, ReceivedAudio, Upstream
from .download import Call, RemoteEndpoint, fetch_audio

__all__ = ["HttpUpstream", "request_body"]


def request_body(params: GenerationParams) -> dict[str, Any]:
    body: dict[str, Any] = {
        "prompt": params.prompt,
        "duration": params.duration,
        "mood": params.mood,
        "tempo": params.tempo,
        "instruments": params.instruments,
    }
    if params.seed is not None:
        body["seed"] = params.seed
    return body


class HttpUpstream(Upstream):
    """``POST <url>`` with ``{prompt, duration, mood, tempo, instruments[, seed]}`` → audio."""

    kind = "http"

    def __init__(self, endpoint: RemoteEndpoint) -> None:
        self.endpoint = endpoint
        self.name = endpoint.name
        self._url = URL(endpoint.url)  # parsed once, not on every request
        self._headers = {
            "accept": "audio/*",
            "content-type": "application/json",
            **endpoint.headers,
        }
        self._timeout = read_timeout(endpoint.timeout_s)

    async def generate(
        self, params: GenerationParams, *, progress: ProgressSink | None = None
    ) -> ReceivedAudio:
        call = Call(
            "POST",
            self._url,
            self._headers,
            self._timeout,
            # orjson: aiohttp's json= runs the standard library's encoder on every request.
            body=orjson.dumps(request_body(params)),
        )
        return await fetch_audio(self.endpoint, call, details=_details_from_headers)


def _details_from_headers(response: aiohttp.ClientResponse) -> dict[str, str]:
    """Generation details some services report in ``X-Seed``-style headers."""
    headers = response.headers
    details = {}
    for key in ("seed", "instruments", "mood", "tempo", "style"):
        value = headers.get(f"x-{key}")
        if value:
            details[key] = value[:200]
    return details
