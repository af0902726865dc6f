"""Moving an upstream's answer onto local disk safely, shared by the HTTP-based adapters.

One place maps httpx's (and, beneath it, aiohttp's) exceptions and error statuses into our
:mod:`.base` error tree, and
one place streams a body into the spool directory with the checks every answer needs:
size cap while streaming, sniffed container, Content-Length truncation, cleanup on failure.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import email.utils
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import httpx

from ai_music.egress import OutboundURLRefused
from ai_music.generation.audio import SNIFF_BYTES, sniff_container

from .base import (
    ReceivedAudio,
    UpstreamBadAnswer,
    UpstreamConnectionError,
    UpstreamError,
    UpstreamHTTPError,
    UpstreamRedirectRefused,
    UpstreamTimeout,
    spool_file,
)

__all__ = [
    "DEFAULT_MAX_AUDIO_BYTES",
    "UNLIMITED_DOWNLOADS",
    "DownloadSlots",
    "decode_base64_to_spool",
    "error_from_httpx",
    "origin_of",
    "parse_retry_after",
    "raise_for_upstream_status",
    "send_same_origin",
    "stream_to_spool",
]

DEFAULT_MAX_AUDIO_BYTES = 50 * 1024 * 1024
_MAX_REDIRECTS = 5
_ERROR_BODY_PREVIEW = 200


class DownloadSlots:
    """At most ``slots`` answers of one upstream are received at once; the others wait for
    a slot, up to ``max_wait_s``, then go ahead anyway (``slots=0``: no limit).

    A thousand answers that arrive together, received all at once, each finish only when
    nearly all of them have: every client waits for the slowest. A few at a time, the first
    are answered while the rest arrive, and fewer bodies are in flight at once: at 1,000
    concurrent /studio-generate (bench/bench_gateway.py's load), p50 latency went from ~11.6 to
    ~10.5 s and peak RSS from 265–286 to ~205 MB. The wait is bounded because an upstream may
    send a body slowly, as it generates it: a few of those must not hold up all the others.
    """

    def __init__(self, slots: int, max_wait_s: float) -> None:
        self._semaphore = asyncio.Semaphore(slots) if slots > 0 else None
        self._max_wait_s = max_wait_s

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        held = self._semaphore if await self._acquired() else None
        try:
            yield
        finally:
            if held is not None:
                held.release()

    async def _acquired(self) -> bool:
        if self._semaphore is None:
            return False
        try:
            async with asyncio.timeout(self._max_wait_s):
                await self._semaphore.acquire()
        except TimeoutError:
            return False  # waited long enough: receive it without a slot
        return True


UNLIMITED_DOWNLOADS = DownloadSlots(0, 0)


def origin_of(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


ClientError = httpx.HTTPError | aiohttp.ClientError
# httpx-aiohttp maps most of aiohttp's errors to httpx's, but not all (a malformed status
# line arrives as aiohttp.ClientResponseError), so both are caught where a call is made.
CLIENT_ERRORS = (httpx.HTTPError, aiohttp.ClientError)


def _aiohttp_error(exc: ClientError) -> aiohttp.ClientError | None:
    if isinstance(exc, aiohttp.ClientError):
        return exc
    return exc.__cause__ if isinstance(exc.__cause__, aiohttp.ClientError) else None


def _timed_out(exc: ClientError) -> bool:
    # httpx-aiohttp reports every aiohttp connection error as httpx.ConnectTimeout (a refused
    # or dropped connection too), so aiohttp's own exception, its cause, decides.
    underlying = _aiohttp_error(exc)
    if underlying is not None:
        return isinstance(underlying, aiohttp.ServerTimeoutError)
    return isinstance(exc, httpx.TimeoutException)


def _broke_off(exc: ClientError) -> bool:
    underlying = _aiohttp_error(exc)
    if underlying is not None:
        return isinstance(
            underlying,
            aiohttp.ServerDisconnectedError
            | aiohttp.ClientPayloadError
            | aiohttp.ClientResponseError,
        )
    return isinstance(exc, httpx.RemoteProtocolError)


def error_from_httpx(exc: ClientError, upstream: str) -> UpstreamError:
    """Our error for a failed HTTP exchange (httpx's exception, or aiohttp's beneath it)."""
    if _timed_out(exc):
        return UpstreamTimeout(
            f"The music service '{upstream}' did not answer in time; try again later.",
            upstream=upstream,
        )
    if _broke_off(exc):
        return UpstreamBadAnswer(
            f"The music service '{upstream}' broke off its answer; try again.",
            upstream=upstream,
        )
    return UpstreamConnectionError(
        f"Could not reach the music service '{upstream}'; try again later.",
        upstream=upstream,
    )


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


async def raise_for_upstream_status(response: httpx.Response, upstream: str) -> None:
    """Raise :class:`UpstreamHTTPError` for a non-2xx answer (reading a short preview)."""
    if response.is_success:
        return
    status = response.status_code
    if status == 429:
        hint = "it is busy (too many requests); try again shortly"
    elif status >= 500:
        hint = "it failed on its side; try again later"
    else:
        hint = "it refused the request; check the server's upstream configuration"
    raise UpstreamHTTPError(
        f"The music service '{upstream}' answered HTTP {status}: {hint}.",
        http_status=status,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
        upstream=upstream,
    )


_RESENDS = 3


def _never_sent(exc: httpx.HTTPError) -> bool:
    """The request could not be written: the kept-alive connection it was given was being
    closed by the server (its idle timeout), so nothing reached the server."""
    cause = exc.__cause__
    return isinstance(cause, aiohttp.ClientOSError) and isinstance(
        cause.__cause__ or cause.__context__, aiohttp.ClientConnectionResetError
    )


async def _send(client: httpx.AsyncClient, request: httpx.Request) -> httpx.Response:
    # At 1,000 concurrent calls on a busy machine, a burst of connections reused just as the
    # upstream closed them failed together and opened the circuit (bench_gateway.py); such a
    # request is safe to send again, on another connection.
    for _ in range(_RESENDS):
        try:
            return await client.send(request, stream=True, follow_redirects=False)
        except httpx.TransportError as exc:
            if not _never_sent(exc):
                raise
    return await client.send(request, stream=True, follow_redirects=False)


@asynccontextmanager
async def send_same_origin(
    client: httpx.AsyncClient, request: httpx.Request, *, upstream: str
) -> AsyncIterator[httpx.Response]:
    """Send ``request`` streaming, following redirects only within the request's origin."""
    origin = origin_of(request.url)
    response: httpx.Response | None = None
    try:
        for _ in range(_MAX_REDIRECTS + 1):
            response = await _send(client, request)
            next_request = response.next_request
            if next_request is None:
                break
            await response.aclose()
            if origin_of(next_request.url) != origin:
                raise UpstreamRedirectRefused(
                    f"The music service '{upstream}' redirected to another host "
                    f"({next_request.url.host}); such redirects are not followed.",
                    target_host=next_request.url.host,
                    upstream=upstream,
                )
            request = next_request
        else:
            raise UpstreamBadAnswer(
                f"The music service '{upstream}' redirected too many times.", upstream=upstream
            )
        yield response
    except CLIENT_ERRORS as exc:
        raise error_from_httpx(exc, upstream) from exc
    except OutboundURLRefused as exc:
        # The guard re-checks the address at connect time (DNS may have changed since the
        # URL was accepted): the service is now somewhere we do not connect to.
        raise UpstreamBadAnswer(
            f"The music service '{upstream}' resolves to an address this server does not "
            f"connect to ({exc}).",
            upstream=upstream,
        ) from exc
    finally:
        if response is not None:
            await response.aclose()


def _not_audio(upstream: str, first: bytes, content_type: str | None) -> UpstreamBadAnswer:
    shown = f" ({content_type})" if content_type else ""
    return UpstreamBadAnswer(
        f"The music service '{upstream}' answered with something that is not audio{shown}.",
        upstream=upstream,
    )


def _too_big(upstream: str, max_bytes: int) -> UpstreamBadAnswer:
    return UpstreamBadAnswer(
        f"The music service '{upstream}' sent more than {max_bytes // (1024 * 1024)} MB of "
        "audio, over this server's limit.",
        upstream=upstream,
    )


async def stream_to_spool(
    response: httpx.Response,
    *,
    spool_dir: Path,
    max_bytes: int,
    upstream: str,
    details: dict[str, str] | None = None,
) -> ReceivedAudio:
    """Stream a successful audio answer to a new spool file; nothing is left on failure."""
    declared = response.headers.get("content-length")
    declared_size = int(declared) if declared and declared.isdigit() else None
    if declared_size is not None and declared_size > max_bytes:
        raise _too_big(upstream, max_bytes)
    with spool_file(spool_dir) as path:
        size, container = 0, None
        head = b""
        try:
            with path.open("wb") as out:
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise _too_big(upstream, max_bytes)
                    if container is None:
                        head += chunk
                        if len(head) >= SNIFF_BYTES:
                            container = _sniffed_or_raise(head, response, upstream)
                    out.write(chunk)
        except httpx.ReadError as exc:
            # The status line came, then the connection dropped: the answer was cut off.
            raise UpstreamBadAnswer(
                f"The music service '{upstream}' broke off its answer; try again.",
                upstream=upstream,
            ) from exc
        except httpx.HTTPError as exc:
            raise error_from_httpx(exc, upstream) from exc
        if container is None:
            container = _sniffed_or_raise(head, response, upstream)
        # With a Content-Encoding the header counts compressed bytes; the decoder itself
        # fails on a truncated compressed body.
        encoded = "content-encoding" in response.headers
        if declared_size is not None and not encoded and size != declared_size:
            raise UpstreamBadAnswer(
                f"The music service '{upstream}' sent a truncated answer; try again.",
                upstream=upstream,
            )
        return ReceivedAudio(path=path, container=container, size=size, details=details or {})


def _sniffed_or_raise(head: bytes, response: httpx.Response, upstream: str) -> str:
    container = sniff_container(head[:SNIFF_BYTES])
    if container is None:
        raise _not_audio(upstream, head, response.headers.get("content-type"))
    return container


def decode_base64_to_spool(
    encoded: str,
    *,
    spool_dir: Path,
    max_bytes: int,
    upstream: str,
    details: dict[str, str] | None = None,
) -> ReceivedAudio:
    """Decode inline base64 audio (already in memory as JSON text) into a spool file."""
    if len(encoded) // 4 * 3 > max_bytes + 3:
        raise _too_big(upstream, max_bytes)
    try:
        raw = base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise UpstreamBadAnswer(
            f"The music service '{upstream}' sent audio that could not be decoded.",
            upstream=upstream,
        ) from exc
    if len(raw) > max_bytes:
        raise _too_big(upstream, max_bytes)
    container = sniff_container(raw[:SNIFF_BYTES])
    if container is None:
        raise _not_audio(upstream, raw[:SNIFF_BYTES], None)
    with spool_file(spool_dir) as path:
        path.write_bytes(raw)
        return ReceivedAudio(path=path, container=container, size=len(raw), details=details or {})


async def fetch_audio(
    client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    upstream: str,
    spool_dir: Path,
    max_bytes: int,
    details: Callable[[httpx.Response], dict[str, str]] | None = None,
    slots: DownloadSlots = UNLIMITED_DOWNLOADS,
) -> ReceivedAudio:
    """Send ``request`` and stream an audio answer to the spool: same-origin redirects only,
    error statuses raised as upstream errors, bytes sniffed and capped; the body is received
    in one of ``slots``."""
    async with send_same_origin(client, request, upstream=upstream) as response:
        await raise_for_upstream_status(response, upstream)
        async with slots.hold():
            return await stream_to_spool(
                response,
                spool_dir=spool_dir,
                max_bytes=max_bytes,
                upstream=upstream,
                details=details(response) if details else None,
            )
