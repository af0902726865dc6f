"""Starting ``ai-music`` (or any ASGI server command) as a real process on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
SERVE = [sys.executable, "-m", "ai_music.cli", "serve"]
GUNICORN = [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py"]
GUNICORN += ["ai_music.main:app"]
START_TIMEOUT = 60.0  # a loaded 2-core CI machine can take ~30 s to start and migrate


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


def answers(base: str, path: str = "/health") -> bool:
    try:
        return httpx.get(f"{base}{path}", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@contextmanager
def helper_process(
    argv: list[str],
    ready_path: str,
    *,
    what: str,
    env: dict[str, str] | None = None,
    timeout_s: float = START_TIMEOUT,
) -> Iterator[str]:
    """A service the tests talk to (a real Gradio app, the moto S3 server) as a process on a
    free loopback port, written ``{port}`` in ``argv``; yields its base URL once ``ready_path``
    answers 200, and ends the process after."""
    port = free_port()
    process = subprocess.Popen(
        [arg.format(port=port) for arg in argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: answers(base, ready_path) or process.poll() is not None, timeout_s, what)
        assert process.poll() is None, f"{what} exited with {process.returncode} at start"
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def server(
    command: list[str],
    data_dir: Path,
    extra_env: dict[str, str] | None = None,
    *,
    port_option: bool = True,
) -> Iterator[tuple[subprocess.Popen[bytes], str, int]]:
    """``command`` serving on a free port: given as ``--port`` (unless ``port_option`` is
    False, as for gunicorn.conf.py, which reads it) and as ``PORT`` in the environment."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("AI_MUSIC_")},
        "AI_MUSIC_DATA_DIR": str(data_dir),
        "AI_MUSIC_PORT": str(port),
        "PORT": str(port),
        "AI_MUSIC_LOG_FORMAT": "json",
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        [*command, "--port", str(port)] if port_option else command,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        # A group of its own: gunicorn's workers (and a migration child) are ended with it.
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: answers(base) or process.poll() is not None, START_TIMEOUT, "startup")
        assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
        yield process, base, port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def served(data_dir: Path, env: dict[str, str] | None = None) -> Iterator[httpx.Client]:
    """``ai-music serve`` as a real process, and a client for it."""
    with (
        server(SERVE, data_dir, env) as (_, base, _),
        httpx.Client(base_url=base, timeout=30) as http,
    ):
        yield http
