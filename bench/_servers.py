"""Starting and measuring the servers the benchmarks compare (ours and the original's stand-in)."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SHARED_BENCH = ROOT.parent / "shared" / "bench"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code < 500:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up in {timeout} s")


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else 0.0


def tree_pids(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    kids = [int(p) for p in children.read_text().split()] if children.exists() else []
    return [pid, *(grand for kid in kids for grand in tree_pids(kid))]


def tree_rss_mb(pid: int) -> float:
    return sum(rss_mb(p) for p in tree_pids(pid))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


@contextlib.contextmanager
def ours(extra_env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="ai-music-bench-") as data_dir:
        env = {**os.environ, "AI_MUSIC_DATA_DIR": data_dir, "AI_MUSIC_LOG_LEVEL": "WARNING"}
        env.update(extra_env or {})
        process = subprocess.Popen(
            [str(BIN / "uvicorn"), "ai_music.main:app", "--port", str(port), "--log-level", "warning"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base + "/health")
            yield base, process
        finally:
            process.terminate()
            process.wait(30)


@contextlib.contextmanager
def seed_baseline(ml_url: str | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The original's stand-in, started with the original's gunicorn command."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="seed-bench-") as data_dir:
        env = {**os.environ, "SEED_DATA": data_dir}
        if ml_url:
            env["ML_URL"] = ml_url
        process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-w", "1", "--threads", "2", "--timeout", "300",
                "-b", f"127.0.0.1:{port}",
                "seed_baseline:app",
            ],
            cwd=SHARED_BENCH,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base + "/health")
            yield base, process
        finally:
            process.terminate()
            process.wait(30)
