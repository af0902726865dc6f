"""CORS fitted to this API: every request header it reads, every response header it documents.

A frontend on another origin (the original was deployed on Vercel) must be able to send the jobs
API's own headers (``Prefer``, ``Idempotency-Key``, ``Cancel-After``, ``Last-Event-ID``) and to
read what the API answers with (``Location``, ``Retry-After``, ``RateLimit-*``, ``ETag``, the
job and history ids). Credentials are never allowed: the token travels in ``Authorization``.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp

from ai_music.core.errors import error_response

ALLOWED_REQUEST_HEADERS = (
    "Authorization",
    "Content-Type",
    "Prefer",
    "Idempotency-Key",
    "Cancel-After",
    "Last-Event-ID",
    "X-Request-ID",
    "Range",
    "If-None-Match",
    "If-Range",
)
EXPOSED_RESPONSE_HEADERS = (
    "Location",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "ETag",
    "X-History-Id",
    "X-Midi-Url",
    "X-Job-Id",
    "X-Upstream",
    # The built-in engine's details of a piece, as /studio-generate passes them on.
    "X-Upstream-Mood",
    "X-Upstream-Style",
    "X-Upstream-Tempo",
    "X-Upstream-Seed",
    "X-Upstream-Instruments",
    "X-Upstream-Duration_S",
    "Content-Disposition",
    "Content-Range",
    "Content-Length",
    "Accept-Ranges",
    "WWW-Authenticate",
    "X-Request-ID",
)
PREFLIGHT_MAX_AGE_S = 600


class ApiCORSMiddleware(CORSMiddleware):
    """Starlette's CORS with this API's header lists, and a refused preflight in JSON."""

    def __init__(self, app: ASGIApp, *, allow_origins: Sequence[str]) -> None:
        super().__init__(
            app,
            allow_origins=allow_origins,
            allow_credentials=False,
            allow_methods=["*"],
            allow_headers=ALLOWED_REQUEST_HEADERS,
            expose_headers=EXPOSED_RESPONSE_HEADERS,
            max_age=PREFLIGHT_MAX_AGE_S,
        )

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code == 200:
            return response
        # Starlette says what it refused ("Disallowed CORS origin, headers") in plain text.
        refused = bytes(response.body).decode().removeprefix("Disallowed CORS ").strip()
        headers = {
            name: value
            for name, value in response.headers.items()
            if name.lower() not in ("content-length", "content-type")
        }
        return error_response(
            response.status_code, f"Cross-origin request refused: {refused} not allowed", headers
        )
