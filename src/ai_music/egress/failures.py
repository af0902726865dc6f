"""What went wrong with an outbound exchange, in the terms every caller needs.

aiohttp's exceptions are classified here once, for upstream adapters and webhook delivery
alike: did the other side not answer in time, break off its answer, or was it unreachable;
may a request be sent again. (How long it asks us to wait: :mod:`.retry_after`.)
"""

from __future__ import annotations

import enum

import aiohttp
from yarl import URL

__all__ = [
    "Failure",
    "closed_unanswered",
    "failure_of",
    "never_sent",
    "origin_of",
]


class Failure(enum.Enum):
    TIMED_OUT = "timed out"
    BROKE_OFF = "broke off its answer"
    UNREACHABLE = "unreachable"


def failure_of(exc: aiohttp.ClientError) -> Failure:
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return Failure.TIMED_OUT
    # A malformed status line arrives as ClientResponseError: an answer, just not HTTP.
    broke_off = (
        aiohttp.ServerDisconnectedError,
        aiohttp.ClientPayloadError,
        aiohttp.ClientResponseError,
    )
    if isinstance(exc, broke_off):
        return Failure.BROKE_OFF
    return Failure.UNREACHABLE


def never_sent(exc: aiohttp.ClientError) -> bool:
    """The request could not be written: the kept-alive connection it was given was being
    closed by the server (its idle timeout), so nothing reached the server."""
    return isinstance(exc, aiohttp.ClientOSError) and isinstance(
        exc.__cause__ or exc.__context__, aiohttp.ClientConnectionResetError
    )


def closed_unanswered(exc: aiohttp.ClientError) -> bool:
    """The server closed the connection without a byte of answer: on a kept-alive connection,
    its idle timeout closing it just as our request went out (it never read the request).
    Raised while the request is sent, so never for an answer cut off midway."""
    return isinstance(exc, aiohttp.ServerDisconnectedError)


def origin_of(url: URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host or "", url.port)
