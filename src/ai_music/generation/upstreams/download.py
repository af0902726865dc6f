"""Moving an upstream's answer onto local disk safely, shared by the HTTP-based adapters.

One place maps aiohttp's exceptions (classified by :mod:`ai_music.egress.failures`) and error
statuses into our :mod:`.base` error tree, and one place streams a body into the spool
directory with the checks every answer needs: size cap while streaming, sniffed container,
Content-Length truncation, cleanup on failure.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import aiohttp
from yarl import URL

from ai_music.egress import OutboundClient, OutboundURLRefused
from ai_music.egress.failures import (
    Failure,
    closed_unanswered,
    failure_of,
    never_sent,
    origin_of,
)
from ai_music.egress.retry_after import parse_retry_after
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
    "Call",
    "DownloadSlots",
    "RemoteEndpoint",
    "decode_base64_to_spool",
    "error_from_client",
    "fetch_audio",
    "raise_for_upstream_status",
    "send_same_origin",
    "stream_to_spool",
]

log = logging.getLogger("ai_music.upstreams")

DEFAULT_MAX_AUDIO_BYTES = 50 * 1024 * 1024
_MAX_REDIRECTS = 5
_ERROR_BODY_PREVIEW = 200


class DownloadSlots:
    """At most ``slots`` answers of one upstream are received at once; the others wait for
    a slot, up to ``max_wait_s``, then go ahead anyway (``slots=0``: no limit).

    A thousand answers that arrive together, received all at once, each finish only when
    nearly all of them have: every client waits for the slowest. A few at a time, the first
    are answered while the rest arrive, and fewer bodies are in flight at once (README, the
    gateway's bench). The wait is bounded because an upstream may send a body slowly, as it
    generates it: a few of those must not hold up all the others.
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


@dataclass(frozen=True)
class RemoteEndpoint:
    """A service that answers over HTTP, as every adapter for one (http.py, gradio.py) takes
    it: where it is, how this server reaches it, and what it accepts from it."""

    name: str
    url: str
    client: OutboundClient
    spool_dir: Path
    headers: Mapping[str, str] = field(default_factory=dict)
    max_audio_bytes: int = DEFAULT_MAX_AUDIO_BYTES
    timeout_s: float = 180.0
    download_slots: DownloadSlots = UNLIMITED_DOWNLOADS


def error_from_client(exc: aiohttp.ClientError, upstream: str) -> UpstreamError:
    """Our error for a failed HTTP exchange."""
    failure = failure_of(exc)
    # The user's message says only what kind of failure; the log keeps which exception it was.
    log.warning("upstream %s %s: %r (caused by %r)", upstream, failure.value, exc, exc.__cause__)
    if failure is Failure.TIMED_OUT:
        return UpstreamTimeout(
            f"The music service '{upstream}' did not answer in time; try again later.",
            upstream=upstream,
        )
    if failure is Failure.BROKE_OFF:
        return _broke_off(upstream)
    return UpstreamConnectionError(
        f"Could not reach the music service '{upstream}'; try again later.",
        upstream=upstream,
    )


def _broke_off(upstream: str) -> UpstreamBadAnswer:
    return UpstreamBadAnswer(
        f"The music service '{upstream}' broke off its answer; try again.", upstream=upstream
    )


def raise_for_upstream_status(response: aiohttp.ClientResponse, upstream: str) -> None:
    """Raise :class:`UpstreamHTTPError` for a non-2xx answer."""
    status = response.status
    if 200 <= status < 300:
        return
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


@dataclass(frozen=True)
class Call:
    """One request to an upstream, as the adapters describe it."""

    method: str
    url: URL
    headers: Mapping[str, str]
    timeout: aiohttp.ClientTimeout
    body: bytes | None = None


_RESENDS = 3
_REDIRECTS = frozenset((301, 302, 303, 307, 308))


async def _send(session: aiohttp.ClientSession, call: Call) -> aiohttp.ClientResponse:
    # A pooled connection the upstream closes as it is reused fails the request before it is
    # read, or after it is written but unanswered; a burst of those would open the circuit.
    # Sent again on another connection: at worst the upstream makes a piece twice, and the
    # job still records one.
    for attempt in range(_RESENDS + 1):
        try:
            return await session.request(
                call.method,
                call.url,
                data=call.body,
                headers=call.headers,
                timeout=call.timeout,
                allow_redirects=False,
            )
        except aiohttp.ClientError as exc:
            if attempt == _RESENDS or not (never_sent(exc) or closed_unanswered(exc)):
                raise
    raise AssertionError("unreachable")


def _next_call(call: Call, response: aiohttp.ClientResponse) -> Call | None:
    """The request a redirect leads to (None when ``response`` is not a redirect); 301-303
    turn a POST into a body-less GET, as browsers and httpx do."""
    location = response.headers.get("location")
    if response.status not in _REDIRECTS or not location:
        return None
    url = call.url.join(URL(location))
    if response.status == 303 or (response.status in (301, 302) and call.method == "POST"):
        return replace(call, method="GET", url=url, body=None)
    return replace(call, url=url)


@asynccontextmanager
async def send_same_origin(
    client: OutboundClient, call: Call, *, upstream: str
) -> AsyncIterator[aiohttp.ClientResponse]:
    """Send ``call``, following redirects only within its origin; yields the response with
    its body unread."""
    origin = origin_of(call.url)
    session = client.session()
    response: aiohttp.ClientResponse | None = None
    try:
        for _ in range(_MAX_REDIRECTS + 1):
            response = await _send(session, call)
            next_call = _next_call(call, response)
            if next_call is None:
                break
            response.release()
            if origin_of(next_call.url) != origin:
                raise UpstreamRedirectRefused(
                    f"The music service '{upstream}' redirected to another host "
                    f"({next_call.url.host}); such redirects are not followed.",
                    target_host=next_call.url.host or "",
                    upstream=upstream,
                )
            call = next_call
        else:
            raise UpstreamBadAnswer(
                f"The music service '{upstream}' redirected too many times.", upstream=upstream
            )
        yield response
    except aiohttp.ClientError as exc:
        raise error_from_client(exc, upstream) from exc
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
            response.release()


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
    response: aiohttp.ClientResponse,
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
                async for chunk in response.content.iter_any():
                    size += len(chunk)
                    if size > max_bytes:
                        raise _too_big(upstream, max_bytes)
                    if container is None:
                        head += chunk
                        if len(head) >= SNIFF_BYTES:
                            container = _sniffed_or_raise(head, response, upstream)
                    out.write(chunk)
        except aiohttp.ClientError as exc:
            if failure_of(exc) is Failure.TIMED_OUT:
                raise error_from_client(exc, upstream) from exc
            # The status line came, then the connection failed: the answer was cut off.
            raise _broke_off(upstream) from exc
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


def _sniffed_or_raise(head: bytes, response: aiohttp.ClientResponse, upstream: str) -> str:
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
    endpoint: RemoteEndpoint,
    call: Call,
    *,
    details: Callable[[aiohttp.ClientResponse], dict[str, str]] | None = None,
) -> ReceivedAudio:
    """Send ``call`` and stream an audio answer to the spool: same-origin redirects only,
    error statuses raised as upstream errors, bytes sniffed and capped; the body is received
    in one of the endpoint's download slots."""
    client, upstream = endpoint.client, endpoint.name
    async with send_same_origin(client, call, upstream=upstream) as response:
        raise_for_upstream_status(response, upstream)
        async with endpoint.download_slots.hold():
            with client.receiving(response):
                return await stream_to_spool(
                    response,
                    spool_dir=endpoint.spool_dir,
                    max_bytes=endpoint.max_audio_bytes,
                    upstream=upstream,
                    details=details(response) if details else None,
                )
