"""The original README's upstream contract: POST the parameters as JSON, get audio bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import orjson
from yarl import URL

from ai_music.egress import OutboundClient, read_timeout

from .base import GenerationParams, ProgressSink, ReceivedAudio, Upstream
from .download import (
    DEFAULT_MAX_AUDIO_BYTES,
    UNLIMITED_DOWNLOADS,
    Call,
    DownloadSlots,
    fetch_audio,
)

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

    def __init__(
        self,
        *,
        name: str,
        url: str,
        client: OutboundClient,
        spool_dir: Path,
        headers: dict[str, str] | None = None,
        max_audio_bytes: int = DEFAULT_MAX_AUDIO_BYTES,
        timeout_s: float = 180.0,
        download_slots: DownloadSlots = UNLIMITED_DOWNLOADS,
    ) -> None:
        self.name = name
        self.url = url
        self._url = URL(url)  # parsed once, not on every request
        self._client = client
        self._spool_dir = spool_dir
        self._headers = {
            "accept": "audio/*",
            "content-type": "application/json",
            **(headers or {}),
        }
        self._max_audio_bytes = max_audio_bytes
        self._download_slots = download_slots
        self._timeout = read_timeout(timeout_s)

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
        return await fetch_audio(
            self._client,
            call,
            upstream=self.name,
            spool_dir=self._spool_dir,
            max_bytes=self._max_audio_bytes,
            details=_details_from_headers,
            slots=self._download_slots,
        )


def _details_from_headers(response: aiohttp.ClientResponse) -> dict[str, str]:
    """Generation details some services report in ``X-Seed``-style headers."""
    headers = response.headers
    details = {}
    for key in ("seed", "instruments", "mood", "tempo", "style"):
        value = headers.get(f"x-{key}")
        if value:
            details[key] = value[:200]
    return details
