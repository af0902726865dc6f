"""Issue 12, item 4: request heads are bounded in size and time, and a stalled body is dropped,
under both launchers (``ai-music serve`` and the production gunicorn command)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.server_process import GUNICORN, SERVE, server

QUICK_TIMEOUTS = {"AI_MUSIC_REQUEST_HEAD_TIMEOUT_S": "1", "AI_MUSIC_REQUEST_BODY_TIMEOUT_S": "1"}


@contextmanager
def launched(launcher: str, data_dir: Path, env: dict[str, str]) -> Iterator[tuple[str, int]]:
    if launcher == "serve":
        with server(SERVE, data_dir, env) as (_, base, port):
            yield base, port
    else:
        env = {"WEB_CONCURRENCY": "1", **env}
        with server(GUNICORN, data_dir, env, port_option=False) as (_, base, port):
            yield base, port


LAUNCHERS = pytest.mark.parametrize("launcher", ["serve", "gunicorn"])


def seconds_until_closed(sock: socket.socket, within_s: float) -> tuple[float | None, bytes]:
    """How long until the server closes ``sock`` (None if still open) and what it sent."""
    started = time.monotonic()
    sock.settimeout(within_s)
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except TimeoutError:
        return None, received
    return time.monotonic() - started, received


@LAUNCHERS
def test_heads_over_the_default_16_kb_get_431_and_smaller_ones_are_served(
    launcher: str, tmp_path: Path
) -> None:
    with launched(launcher, tmp_path, {}) as (base, _):
        small = httpx.get(f"{base}/health", headers={"X-Padding": "a" * 15_000})
        large = httpx.get(f"{base}/health", headers={"X-Padding": "a" * 17_000})
        huge = httpx.get(f"{base}/health", headers={"X-Padding": "a" * (2 * 1024 * 1024)})
        still_up = httpx.get(f"{base}/health")

    assert small.status_code == 200
    assert large.status_code == 431
    assert large.json() == {"error": "Request headers too large"}
    assert huge.status_code == 431
    assert still_up.status_code == 200


@LAUNCHERS
def test_an_unfinished_head_and_a_stalled_body_are_dropped_after_their_timeouts(
    launcher: str, tmp_path: Path
) -> None:
    with launched(launcher, tmp_path, QUICK_TIMEOUTS) as (base, port):
        silent = socket.create_connection(("127.0.0.1", port))
        unfinished = socket.create_connection(("127.0.0.1", port))
        unfinished.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        stalled = socket.create_connection(("127.0.0.1", port))
        stalled.sendall(
            b"POST /signup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"user'
        )
        with silent, unfinished, stalled:
            silent_closed, _ = seconds_until_closed(silent, within_s=8)
            unfinished_closed, answer = seconds_until_closed(unfinished, within_s=8)
            stalled_closed, _ = seconds_until_closed(stalled, within_s=8)
        assert httpx.get(f"{base}/health").status_code == 200

    assert silent_closed is not None
    assert unfinished_closed is not None
    assert answer.startswith(b"HTTP/1.1 408")
    assert stalled_closed is not None


def test_a_slow_but_steady_body_and_a_kept_alive_connection_are_not_cut(tmp_path: Path) -> None:
    with launched("serve", tmp_path, QUICK_TIMEOUTS) as (_, port):
        body = b'{"prompt": "steady"}'
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(
                b"POST /save-history HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
            )
            for byte in body:  # one byte every 0.3 s: 6 s in all, never 1 s idle
                time.sleep(0.3)
                sock.sendall(bytes([byte]))
            sock.settimeout(5)
            answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 401")  # the whole body arrived; no token, so 401
