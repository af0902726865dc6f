"""The HTTP side of talking to one Gradio app: JSON calls, event streams, file downloads.

Every request carries the app's headers (an HF token for Spaces), follows redirects only
within the app's origin, and reads at most what this server's size limit allows.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
from yarl import URL

from ai_music.egress import read_timeout
from ai_music.egress.failures import origin_of

from .base import ReceivedAudio, UpstreamBadAnswer, UpstreamError, UpstreamHTTPError
from .download import (
    Call,
    RemoteEndpoint,
    error_from_client,
    fetch_audio,
    raise_for_upstream_status,
    send_same_origin,
)
from .gradio_answers import FileReference
from .sse import SSEEventTooLarge, iter_sse

__all__ = ["GradioHttp", "RouteNotFound"]

_JSON_OVERHEAD_BYTES = 1 << 20
_CANCEL_TIMEOUT_S = 10.0


class RouteNotFound(UpstreamHTTPError):
    """A 404 on a protocol's route: in ``auto`` mode, the cue to try an older protocol."""


class GradioHttp:
    """Requests to the app whose base URL is ``app.url``."""

    def __init__(self, app: RemoteEndpoint) -> None:
        self.app = app
        self.name = app.name
        self.base = app.url
        self._origin = origin_of(URL(app.url))
        self._client = app.client
        self._json_headers = {**app.headers, "content-type": "application/json"}
        # Inline base64 audio makes JSON answers and events up to 4/3 of the audio size.
        self._json_limit = app.max_audio_bytes * 4 // 3 + _JSON_OVERHEAD_BYTES
        self._timeout = read_timeout(app.timeout_s)

    def url(self, path: str) -> str:
        return self.base + path

    def bad_answer(self, what: str) -> UpstreamBadAnswer:
        return UpstreamBadAnswer(f"The Gradio app '{self.name}' {what}.", upstream=self.name)

    def _call(
        self, method: str, url: str, body: Any = None, params: dict[str, str] | None = None
    ) -> Call:
        target = URL(url)
        if params:
            target = target.update_query(params)
        if body is None:
            return Call(method, target, self.app.headers, self._timeout)
        return Call(method, target, self._json_headers, self._timeout, body=orjson.dumps(body))

    async def request_json(self, method: str, url: str, *, body: Any = None) -> Any:
        call = self._call(method, url, body)
        async with send_same_origin(self._client, call, upstream=self.name) as response:
            if response.status == 404:
                raise RouteNotFound(
                    f"The Gradio app '{self.name}' has no route {call.url.path}; check "
                    "its protocol and api_name settings.",
                    http_status=404,
                    upstream=self.name,
                )
            raise_for_upstream_status(response, self.name)
            with self._client.receiving(response):
                raw = await self._read_capped(response)
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise self.bad_answer("did not answer with JSON") from exc

    async def get_json_or_none(self, url: str) -> Any:
        """A JSON document the app may not have (None when it answers 404 or not JSON)."""
        try:
            return await self.request_json("GET", url)
        except (RouteNotFound, UpstreamBadAnswer):
            return None

    async def _read_capped(self, response: aiohttp.ClientResponse) -> bytes:
        chunks, size = [], 0
        try:
            async for chunk in response.content.iter_any():
                size += len(chunk)
                if size > self._json_limit:
                    raise self.bad_answer("sent an answer over this server's size limit")
                chunks.append(chunk)
        except aiohttp.ClientError as exc:
            raise error_from_client(exc, self.name) from exc
        return b"".join(chunks)

    async def events(
        self, url: str, *, params: dict[str, str] | None = None
    ) -> AsyncIterator[tuple[str, Any]]:
        """Yield ``(event name, parsed JSON data)`` from a server-sent-events stream."""
        call = self._call("GET", url, params=params)
        async with send_same_origin(self._client, call, upstream=self.name) as response:
            raise_for_upstream_status(response, self.name)
            with self._client.receiving(response):
                async for item in self._parsed_events(response):
                    yield item

    async def _parsed_events(
        self, response: aiohttp.ClientResponse
    ) -> AsyncIterator[tuple[str, Any]]:
        try:
            async for event in iter_sse(response, max_event_bytes=self._json_limit):
                try:
                    payload = orjson.loads(event.data) if event.data else None
                except orjson.JSONDecodeError as exc:
                    raise self.bad_answer("sent an unparsable event") from exc
                yield event.event, payload
        except SSEEventTooLarge as exc:
            raise self.bad_answer("sent an event over this server's size limit") from exc
        except aiohttp.ClientError as exc:
            raise error_from_client(exc, self.name) from exc

    async def post_quietly(self, url: str, body: dict[str, Any]) -> None:
        """A POST whose outcome does not matter (asking the app to cancel)."""
        with contextlib.suppress(UpstreamError, TimeoutError):
            async with asyncio.timeout(_CANCEL_TIMEOUT_S):
                call = self._call("POST", url, body)
                async with send_same_origin(self._client, call, upstream=self.name):
                    pass

    def file_url(self, reference: FileReference, file_prefix: str) -> str:
        """Where to fetch a file: the answer's URL only when it is on the app's own origin."""
        if reference.url:
            url = URL(self.base).join(URL(reference.url))
            if origin_of(url) == self._origin:
                return str(url)
        if reference.path:
            return self.url(f"{file_prefix}/file={reference.path}")
        raise self.bad_answer("referred to an audio file on another host")

    async def download(
        self, reference: FileReference, file_prefix: str, details: dict[str, str]
    ) -> ReceivedAudio:
        call = self._call("GET", self.file_url(reference, file_prefix))
        return await fetch_audio(self.app, call, details=lambda _: details)
