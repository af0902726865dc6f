"""Graceful shutdown on SIGTERM, against real server processes on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


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


@contextmanager
def server(
    command: list[str], data_dir: Path
) -> Iterator[tuple[subprocess.Popen[bytes], str, int]]:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AI_MUSIC_")},
        "AI_MUSIC_DATA_DIR": str(data_dir),
        "AI_MUSIC_PORT": str(port),
        "AI_MUSIC_LOG_FORMAT": "json",
    }
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: answers(base) or process.poll() is not None, START_TIMEOUT, "startup")
        assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
        yield process, base, port
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_sigterm_finishes_the_request_in_flight_then_exits_cleanly(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "uvicorn", "tests.shutdown_app:app", "--host", "127.0.0.1"]
    command += ["--timeout-graceful-shutdown", "20"]
    with server(command, tmp_path) as (process, base, port):
        result: dict[str, httpx.Response] = {}
        client = threading.Thread(
            target=lambda: result.update(slow=httpx.get(f"{base}/slow?seconds=2", timeout=30))
        )
        client.start()
        wait_until((tmp_path / "slow-started").exists, 10, "the slow request to start")

        process.send_signal(signal.SIGTERM)
        wait_until(lambda: refuses_connections(port), 10, "the listener to close")
        assert client.is_alive() or "slow" in result  # no new connections, old one still served

        client.join(timeout=30)
        assert result["slow"].status_code == 200
        assert result["slow"].text == "finished"
        output = exited_after_graceful_shutdown(process)
        assert '"route":"/slow","status":200' in output  # its request line, before exit


def test_ai_music_serve_exits_zero_on_sigterm(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "ai_music.cli", "serve", "--graceful-timeout", "5"]
    with server(command, tmp_path) as (process, base, _):
        assert httpx.get(f"{base}/metrics").status_code == 200
        process.send_signal(signal.SIGTERM)
        # `ai-music serve` ignores uvicorn's re-raised SIGTERM, so a clean stop exits 0.
        exited_after_graceful_shutdown(process, allowed_codes=(0,))
