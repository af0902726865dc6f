"""The original README's upstream contract: POST the parameters as JSON, get audio bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import orjson

from .base import GenerationParams, ProgressSink, ReceivedAudio, Upstream
from .download import DEFAULT_MAX_AUDIO_BYTES, UNLIMITED_DOWNLOADS, DownloadSlots, fetch_audio

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
        client: httpx.AsyncClient,
        spool_dir: Path,
        headers: dict[str, str] | None = None,
        max_audio_bytes: int = DEFAULT_MAX_AUDIO_BYTES,
        timeout_s: float = 180.0,
        download_slots: DownloadSlots = UNLIMITED_DOWNLOADS,
    ) -> None:
        self.name = name
        self.url = url
        self._url = httpx.URL(url)  # parsed once: httpx re-parses a str on every request
        self._client = client
        self._spool_dir = spool_dir
        self._headers = {
            "accept": "audio/*",
            "content-type": "application/json",
            **(headers or {}),
        }
        self._max_audio_bytes = max_audio_bytes
        self._download_slots = download_slots
        self._timeout = httpx.Timeout(timeout_s)

    async def generate(
        self, params: GenerationParams, *, progress: ProgressSink | None = None
    ) -> ReceivedAudio:
        request = self._client.build_request(
            "POST",
            self._url,
            # orjson: httpx's json= runs the standard library's encoder on every request.
            content=orjson.dumps(request_body(params)),
            headers=self._headers,
            timeout=self._timeout,
        )
        return await fetch_audio(
            self._client,
            request,
            upstream=self.name,
            spool_dir=self._spool_dir,
            max_bytes=self._max_audio_bytes,
            details=lambda response: _details_from_headers(response.headers),
            slots=self._download_slots,
        )


def _details_from_headers(headers: httpx.Headers) -> dict[str, str]:
    """Generation details some services report in ``X-Seed``-style headers."""
    details = {}
    for key in ("seed", "instruments", "mood", "tempo", "style"):
        value = headers.get(f"x-{key}")
        if value:
            details[key] = value[:200]
    return details
