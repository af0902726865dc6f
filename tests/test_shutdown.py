"""Graceful shutdown on SIGTERM, against real server processes on loopback."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.generation.support.fault_service import app as slow_upstream
from tests.server_process import SERVE, server, wait_until
from tests.support.app import loopback_upstream
from tests.support.servers import serve_in_thread


def exited_after_graceful_shutdown(
    process: subprocess.Popen[bytes], allowed_codes: tuple[int, ...] = (0, -signal.SIGTERM)
) -> str:
    """The process's output, once it has exited cleanly after running the lifespan shutdown.

    uvicorn >= 0.29 re-raises the SIGTERM it caught once shutdown is complete, so the exit
    status is 0 only when the launcher ignores that second signal (see docs/operations.md);
    either way the log must show the shutdown completed rather than the process being killed.
    """
    code = process.wait(timeout=30)
    output = process.stdout.read().decode() if process.stdout else ""
    assert code in allowed_codes, output
    assert "Application shutdown complete" in output, output
    assert "Traceback" not in output, output
    return output


def refuses_connections(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_sigterm_finishes_the_request_in_flight_then_exits_cleanly(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "uvicorn", "tests.shutdown_app:app", "--host", "127.0.0.1"]
    command += ["--timeout-graceful-shutdown", "20"]
    with server(command, tmp_path) as (process, base, port):
        result: dict[str, httpx.Response] = {}
        client = threading.Thread(
            target=lambda: result.update(slow=httpx.get(f"{base}/slow?seconds=5", timeout=30))
        )
        client.start()
        wait_until((tmp_path / "slow-started").exists, 10, "the slow request to start")

        process.send_signal(signal.SIGTERM)
        wait_until(lambda: refuses_connections(port), 10, "the listener to close")
        # No new connections while the request in flight (5 s long) is still being served.
        assert client.is_alive() and "slow" not in result

        client.join(timeout=30)
        assert result["slow"].status_code == 200
        assert result["slow"].text == "finished"
        output = exited_after_graceful_shutdown(process)
        assert '"route":"/slow","status":200' in output  # its request line, before exit


def test_ai_music_serve_exits_zero_on_sigterm(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "ai_music.cli", "serve", "--graceful-timeout", "5"]
    with server(command, tmp_path) as (process, base, _):
        assert httpx.get(f"{base}/health").status_code == 200
        process.send_signal(signal.SIGTERM)
        # `ai-music serve` ignores uvicorn's re-raised SIGTERM, so a clean stop exits 0.
        exited_after_graceful_shutdown(process, allowed_codes=(0,))


def test_sigterm_during_a_slow_generation_delivers_the_audio_then_exits(tmp_path: Path) -> None:
    with serve_in_thread(slow_upstream) as upstream_url:
        upstream = loopback_upstream("slow", f"{upstream_url}/slow?delay=2", retries=0)
        command = [*SERVE, "--graceful-timeout", "20"]
        env = {"AI_MUSIC_UPSTREAMS": json.dumps([upstream])}
        with server(command, tmp_path, env) as (process, base, _):
            account = {
                "fullName": "Slow",
                "username": "slow",
                "email": "slow@example.com",
                "password": "patience please",
            }
            assert httpx.post(f"{base}/signup", json=account).status_code == 201
            token = httpx.post(f"{base}/signin", json=account).json()["token"]
            result: dict[str, httpx.Response] = {}

            def generate() -> None:
                result["audio"] = httpx.post(
                    f"{base}/studio-generate",
                    json={"prompt": "slow", "duration": 5},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=30,
                )

            client = threading.Thread(target=generate)
            client.start()
            time.sleep(0.5)  # the request is in, waiting on the 2 s upstream
            process.send_signal(signal.SIGTERM)
            client.join(timeout=30)
            assert result["audio"].status_code == 200, result["audio"].text
            audio = result["audio"]
            # The upstream's WAV, converted to the MP3 the request asked for by default.
            assert audio.headers["content-type"] == "audio/mpeg"
            assert len(audio.content) == int(audio.headers["content-length"]) > 0
            assert audio.content[:3] == b"ID3" or audio.content[0] == 0xFF
            exited_after_graceful_shutdown(process, allowed_codes=(0,))
