"""Security headers on every response, added as the response starts.

JSON answers get a CSP that allows nothing at all (they are never rendered as pages); the
interactive docs get one that lets Swagger UI / ReDoc load from their CDN. Responses that did
not choose their own caching get ``Cache-Control: no-store``: nearly every answer is personal
(history, tokens from /signin) and must not sit in a shared or browser cache. Routes that want
caching (the audio) set their own header and keep it.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_CSP = (
    b"default-src 'self'; img-src 'self' data: https://fastapi.tiangolo.com "
    b"https://cdn.redoc.ly; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    b"font-src 'self' https://fonts.gstatic.com; worker-src 'self' blob:; "
    b"frame-ancestors 'none'"
)
_COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
API_HEADERS = (*_COMMON, (b"content-security-policy", API_CSP))
DOCS_HEADERS = (*_COMMON, (b"content-security-policy", DOCS_CSP))
NO_STORE = (b"cache-control", b"no-store")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, docs_paths: Iterable[str | None] = ()) -> None:
        self.app = app
        self.docs_paths = frozenset(path for path in docs_paths if path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = DOCS_HEADERS if scope["path"] in self.docs_paths else API_HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                headers.extend(extra)
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append(NO_STORE)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
