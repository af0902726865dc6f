"""Security headers on every response, added as the response starts.

JSON answers get a CSP that allows nothing at all (they are never rendered as pages); the
pages (the interactive docs, the studio) get their own, named by path. Responses that did
not choose their own caching get ``Cache-Control: no-store``: nearly every answer is personal
(history, tokens from /signin) and must not sit in a shared or browser cache. Routes that want
caching (the audio) set their own header and keep it.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Swagger UI's page starts it with an inline script; both UIs load only the app's own copies.
DOCS_CSP = (
    b"default-src 'self'; img-src 'self' data:; script-src 'self' 'unsafe-inline'; "
    b"style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; frame-ancestors 'none'"
)
_COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
API_HEADERS = (*_COMMON, (b"content-security-policy", API_CSP))
NO_STORE = (b"cache-control", b"no-store")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, page_policies: Mapping[str, bytes] | None = None) -> None:
        """``page_policies``: the CSP of each path that is a page, e.g. ``{"/docs": DOCS_CSP}``."""
        self.app = app
        self.page_headers = {
            path: (*_COMMON, (b"content-security-policy", policy))
            for path, policy in (page_policies or {}).items()
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.page_headers.get(scope["path"], API_HEADERS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                headers.extend(extra)
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    headers.append(NO_STORE)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
