"""``ai-music serve`` applies the server settings it reads (a real server process)."""

from __future__ import annotations

import http.client
import socket
import sys
import time
from pathlib import Path

from tests.server_process import server

SERVE = [sys.executable, "-m", "ai_music.cli", "serve"]


def idle_connection_after_one_request(port: int) -> socket.socket:
    """A kept-alive connection whose one request (GET /health) has been answered in full."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/health")
    response = connection.getresponse()
    response.read()
    assert response.status == 200 and not response.will_close
    assert connection.sock is not None
    return connection.sock


def seconds_until_closed(sock: socket.socket, within_s: float) -> float | None:
    """How long until the server closes ``sock``; None if it is still open after ``within_s``."""
    started = time.monotonic()
    sock.settimeout(within_s)
    try:
        assert sock.recv(1) == b""
    except TimeoutError:
        return None
    return time.monotonic() - started


def test_an_idle_connection_is_closed_after_the_configured_keep_alive(tmp_path: Path) -> None:
    settings = {"AI_MUSIC_KEEP_ALIVE_S": "1"}
    with (
        server(SERVE, tmp_path, settings) as (_, _, port),
        idle_connection_after_one_request(port) as sock,
    ):
        closed_after = seconds_until_closed(sock, within_s=5)

    assert closed_after is not None and closed_after < 3


def test_a_keep_alive_longer_than_the_default_keeps_an_idle_connection_open(
    tmp_path: Path,
) -> None:
    settings = {"AI_MUSIC_KEEP_ALIVE_S": "30"}
    with (
        server(SERVE, tmp_path, settings) as (_, _, port),
        idle_connection_after_one_request(port) as sock,
    ):
        # Past the 5 s default: still open.
        assert seconds_until_closed(sock, within_s=6.5) is None
