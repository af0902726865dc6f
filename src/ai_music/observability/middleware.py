"""One pure-ASGI layer per request: the request metrics and the structured request log line."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ai_music.limits.client_ip import ClientAddressResolver
from ai_music.observability.metrics import HTTP_IN_PROGRESS, REQUESTS, UNMATCHED_ROUTE
from ai_music.web.middleware import request_id_var

# Set by the authentication dependency, read here for the log line.
USER_ID_SCOPE_KEY = "ai_music.user_id"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

access_log = logging.getLogger("ai_music.access")


def route_template(scope: Scope) -> str:
    """The matched route's template (``/history/{entry_id}``), never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, client_addresses: ClientAddressResolver) -> None:
        self.app = app
        self.client_addresses = client_addresses

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        HTTP_IN_PROGRESS.inc()
        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            HTTP_IN_PROGRESS.dec()
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        method = scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER"
        route = route_template(scope)
        REQUESTS.observe(method, route, status, seconds)
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(
                "%s %s %d",
                method,
                route,
                status,
                extra={
                    "request_id": request_id_var.get(),
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "user_id": scope.get(USER_ID_SCOPE_KEY),
                    "client": self.client_addresses.resolve(scope),
                },
            )
