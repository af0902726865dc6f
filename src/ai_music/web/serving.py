"""How the HTTP server runs the app, the same under ``ai-music serve`` and gunicorn.

- Which peers are proxies is one setting, ``AI_MUSIC_TRUSTED_PROXIES`` (empty by default: no
  peer is trusted). uvicorn believes ``X-Forwarded-For``/``-Proto`` only from those peers, and
  the app's own client-address check (limits/client_ip.py) reads the same list.
- Request heads are bounded in size (431) and in time, and a request body that stops arriving is
  dropped: uvicorn has a keep-alive timeout but none for a head or body in progress, nor a head
  size limit for its httptools parser (``h11_max_incomplete_event_size`` covers only h11, and
  answers 400). ``GuardedHttpToolsProtocol`` adds them to uvicorn's httptools protocol, which
  ``ai-music serve`` names with uvicorn's ``http=`` option and gunicorn through ``Worker``.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState
from uvicorn_worker import UvicornWorker

from ai_music.core.config import Settings, get_settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The uvicorn settings both launchers share."""
    return {
        "proxy_headers": True,
        "forwarded_allow_ips": list(settings.trusted_proxies),
        "http": GuardedHttpToolsProtocol,
        "timeout_keep_alive": settings.keep_alive_s,
    }


def _raw_response(status: int, reason: str, message: str) -> bytes:
    body = f'{{"error": "{message}"}}'.encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + body


HEAD_TOO_LARGE = _raw_response(431, "Request Header Fields Too Large", "Request headers too large")
HEAD_TOO_SLOW = _raw_response(408, "Request Timeout", "Request not received in time")


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a head size limit and head/body timeouts.

    A connection is "awaiting a head" from when it opens, and again after each request's body
    has arrived; while it is, the bytes received are counted (431 past the limit) and the head
    must be complete within the head timeout (408, then closed). Between a head and the end of
    its body, the connection is closed when no body bytes arrive for the body timeout.
    """

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        settings = get_settings()
        self._max_head_bytes = settings.max_request_head_bytes
        self._head_timeout_s = settings.request_head_timeout_s
        self._body_timeout_s = settings.request_body_timeout_s
        self._awaiting_head = True
        self._head_bytes = 0
        self._refused = False
        self._deadline: asyncio.TimerHandle | None = None

    # --- connection ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self._head_timeout_s, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._awaiting_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._awaiting_head and self._head_bytes > self._max_head_bytes:
            self._refuse(HEAD_TOO_LARGE)

    # --- parser callbacks ----------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:  # the next request on a kept-alive connection
            self._arm(self._head_timeout_s, self._head_timed_out)

    def on_headers_complete(self) -> None:
        if self._refused:
            return
        self._awaiting_head = False
        head_bytes = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if head_bytes > self._max_head_bytes:
            self._refuse(HEAD_TOO_LARGE)
            return
        self._arm(self._body_timeout_s, self._body_stalled)
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if self._refused:
            return
        self._arm(self._body_timeout_s, self._body_stalled)
        super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        self._disarm()
        self._awaiting_head, self._head_bytes = True, 0
        super().on_message_complete()

    # --- timers --------------------------------------------------------------------------

    def _arm(self, seconds: float, callback: Any) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, callback)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _head_timed_out(self) -> None:
        self._deadline = None
        idle = self.cycle is None or self.cycle.response_complete
        if self._awaiting_head and idle:
            self._refuse(HEAD_TOO_SLOW)

    def _body_stalled(self) -> None:
        self._deadline = None
        if self.flow.read_paused:
            # The app is not reading yet (its buffer is full): not the client's stall.
            self._arm(self._body_timeout_s, self._body_stalled)
            return
        if not self.transport.is_closing():
            self.transport.close()  # the app's next receive() sees the disconnect

    def _refuse(self, response: bytes) -> None:
        self._refused = True
        self._disarm()
        if not self.transport.is_closing():
            self.transport.write(response)
            self.transport.close()


class Worker(UvicornWorker):  # type: ignore[misc]  # uvicorn_worker ships no type hints
    """gunicorn's uvicorn worker with the guarded protocol (gunicorn.conf.py names it)."""

    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {"loop": "auto", "http": GuardedHttpToolsProtocol}
