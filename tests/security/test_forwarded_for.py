"""Issue 12, item 2: the production command does not let a client choose its address.

Runs the real ``gunicorn -c gunicorn.conf.py ai_music.main:app`` and connects from 127.0.0.2,
a loopback address that is not the one a trusted proxy would use, so the peer is not trusted.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.factories import signup_body
from tests.server_process import GUNICORN, server

UNTRUSTED_PEER = "127.0.0.2"


@contextmanager
def gunicorn(
    data_dir: Path, env: dict[str, str]
) -> Iterator[tuple[subprocess.Popen[bytes], httpx.Client]]:
    settings = {"WEB_CONCURRENCY": "1", "AI_MUSIC_SIGNIN_LIMIT_PER_IP": "5 per minute", **env}
    transport = httpx.HTTPTransport(local_address=UNTRUSTED_PEER)
    with (
        server(GUNICORN, data_dir, settings, port_option=False) as (process, base, _),
        httpx.Client(base_url=base, transport=transport, timeout=30) as http,
    ):
        yield process, http


def guess(http: httpx.Client, forwarded_for: str) -> httpx.Response:
    body = {"username": "victim", "password": "a wrong guess"}
    return http.post("/signin", json=body, headers={"X-Forwarded-For": forwarded_for})


def request_log_clients(process: subprocess.Popen[bytes]) -> list[str]:
    process.terminate()
    process.wait(timeout=30)
    output = process.stdout.read().decode() if process.stdout else ""
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    # Not /health: the start-up check polls it from 127.0.0.1.
    return [line["client"] for line in lines if line.get("route") in ("/signin", "/signup")]


def test_a_client_cannot_dodge_the_per_address_limit_by_sending_x_forwarded_for(
    tmp_path: Path,
) -> None:
    with gunicorn(tmp_path, {}) as (process, http):
        statuses = [guess(http, f"198.51.100.{n}").status_code for n in range(8)]
        clients = request_log_clients(process)

    assert statuses == [401] * 5 + [429] * 3
    assert set(clients) == {UNTRUSTED_PEER}


def test_a_trusted_proxys_forwarded_address_is_used_and_checked_before_it_is_logged(
    tmp_path: Path,
) -> None:
    with gunicorn(tmp_path, {"AI_MUSIC_TRUSTED_PROXIES": UNTRUSTED_PEER}) as (process, http):
        statuses = [guess(http, f"198.51.100.{n}").status_code for n in range(8)]
        not_an_address = guess(http, "<script>alert(1)</script>")
        assert http.post("/signup", json=signup_body()).status_code == 201
        clients = request_log_clients(process)

    assert statuses == [401] * 8  # each client has its own budget
    assert not_an_address.status_code == 401
    assert "<script>alert(1)</script>" not in clients
    assert {f"198.51.100.{n}" for n in range(8)} <= set(clients)
