"""Starting and measuring the servers the benchmarks compare (ours and the original's stand-in)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
# ../shared/bench beside the checkout (a worktree under wt/ has it two levels up).
SHARED_BENCH = next(
    (
        path
        for path in (ROOT.parent / "shared" / "bench", ROOT.parent.parent / "shared" / "bench")
        if path.is_dir()
    ),
    ROOT.parent / "shared" / "bench",
)
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(url: str, timeout: float = 90.0) -> None:
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


def tree_cpu_seconds(pid: int) -> float:
    """The CPU a process and its live children have used (a server with worker processes)."""
    return sum(cpu_seconds(p) for p in tree_pids(pid))


def stop(process: subprocess.Popen[bytes], grace_s: float = 10) -> None:
    """SIGTERM, then SIGKILL for the whole tree if it has not exited within ``grace_s``
    (gunicorn's graceful shutdown would otherwise wait for every queued request)."""
    pids = tree_pids(process.pid) if process.poll() is None else []
    process.terminate()
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait(10)
    for pid in pids[1:]:  # children left behind (e.g. a gunicorn worker)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def _serving(
    command: list[str], port: int, env: dict[str, str], ready_path: str, cwd: Path | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Starts ``command`` (listening on ``port``), waits until ``ready_path`` answers, stops it."""
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base + ready_path)
        yield base, process
    finally:
        stop(process)


@contextlib.contextmanager
def ours(
    extra_env: dict[str, str] | None = None, workers: int = 1
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="ai-music-bench-") as data_dir:
        # /metrics without a token: the benches scrape it on loopback.
        env = {
            **os.environ,
            "AI_MUSIC_DATA_DIR": data_dir,
            "AI_MUSIC_LOG_LEVEL": "WARNING",
            "AI_MUSIC_METRICS_PUBLIC": "true",
        }
        env.update(extra_env or {})
        command = [str(BIN / "ai-music"), "serve", "--port", str(port), "--workers", str(workers)]
        with _serving(command, port, env, "/health") as served:
            yield served


@contextlib.contextmanager
def seed_baseline(ml_url: str | None = None) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The original's stand-in, started with the original's gunicorn command."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="seed-bench-") as data_dir:
        env = {**os.environ, "SEED_DATA": data_dir}
        if ml_url:
            env["ML_URL"] = ml_url
        command = [
            str(BIN / "gunicorn"),
            *f"-w 1 --threads 2 --timeout 300 -b 127.0.0.1:{port}".split(),
            "seed_baseline:app",
        ]
        with _serving(command, port, env, "/health", cwd=SHARED_BENCH) as served:
            yield served


@contextlib.contextmanager
def reference_gateway(
    upstream_url: str, client: str = "aiohttp", workers: int = 1
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``bench/ref_gateway.py`` (Starlette + aiohttp, or httpx over aiohttp) under uvicorn:
    yields its ``/generate`` URL."""
    port = free_port()
    env = {**os.environ, "UPSTREAM_URL": upstream_url, "REF_CLIENT": client}
    command = [
        str(BIN / "uvicorn"),
        "ref_gateway:app",
        *f"--port {port} --workers {workers} --log-level warning --no-access-log".split(),
    ]
    with _serving(command, port, env, "/generate", cwd=ROOT / "bench") as (base, process):
        yield base + "/generate", process


@contextlib.contextmanager
def fake_upstream(
    delay_s: float = 2.0, size: int | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``../shared/bench/fake_upstream.py`` under uvicorn on a free port: yields its
    ``/generate`` URL (POST JSON, answered with ``size`` bytes of ID3-tagged audio after
    ``delay_s`` seconds)."""
    port = free_port()
    env = {**os.environ, "DELAY_S": str(delay_s)}
    if size is not None:
        env["SIZE"] = str(size)
    command = [
        str(BIN / "uvicorn"),
        "fake_upstream:app",
        *f"--port {port} --log-level warning --backlog 4096".split(),
    ]
    # GET /generate answers 405 once it listens.
    with _serving(command, port, env, "/generate", cwd=SHARED_BENCH) as (base, process):
        yield base + "/generate", process


def upstreams_env(url: str, **options: object) -> str:
    """``AI_MUSIC_UPSTREAMS`` for one loopback HTTP upstream (``options`` override defaults)."""
    config = {
        "name": "fake",
        "kind": "http",
        "url": url,
        "allow_private_network": True,
        "max_concurrency": 1024,
        "timeout_s": 120,
        **options,
    }
    return json.dumps([config])


# Limits a load test from one address needs lifted (sign-up/sign-in throttles, quotas).
LOAD_LIMITS = {
    "AI_MUSIC_SIGNUP_LIMIT_PER_IP": "100000 per hour",
    "AI_MUSIC_SIGNIN_LIMIT_PER_IP": "100000 per minute",
    "AI_MUSIC_SIGNIN_LIMIT_PER_IP_USER": "100000 per minute",
    "AI_MUSIC_GENERATION_DAILY_LIMIT": "1000000 per day",
    "AI_MUSIC_GENERATION_CONCURRENT_LIMIT": "100000",
    "AI_MUSIC_MAX_ACTIVE_JOBS_PER_USER": "100000",
}


def make_users(base: str, count: int, prefix: str = "bench") -> list[str]:
    """Signs up and signs in ``count`` users on our server; returns their bearer tokens."""
    tokens = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for number in range(count):
            user = {
                "fullName": f"Bench {number}",
                "username": f"{prefix}{number}",
                "email": f"{prefix}{number}@example.com",
                "password": "benchmark-password",
            }
            client.post("/signup", json=user).raise_for_status()
            answer = client.post("/signin", json=user)
            answer.raise_for_status()
            tokens.append(answer.json()["token"])
    return tokens


def loadgen(url: str, n: int, timeout_s: float, tokens: Sequence[str] = ()) -> dict[str, object]:
    """Runs ``../shared/bench/loadgen.py`` (n concurrent POSTs) and returns its JSON summary,
    plus ``client_cpu_s``: the CPU time the client itself used."""
    command = [sys.executable, str(SHARED_BENCH / "loadgen.py"), url, str(n), str(timeout_s)]
    if tokens:
        command.append(",".join(tokens))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary: dict[str, object] = json.loads(output.strip().splitlines()[-1])
    used = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    summary["client_cpu_s"] = round(used, 2)
    return summary


class RssSampler:
    """Samples a process tree's RSS (MB) every ``interval_s`` while a block runs."""

    def __init__(self, pid: int, interval_s: float = 0.05) -> None:
        self.pid, self.interval_s = pid, interval_s
        self.before = tree_rss_mb(pid)
        self.peak = self.before
        self.after = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError):
                self.peak = max(self.peak, tree_rss_mb(self.pid))
            time.sleep(self.interval_s)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.after = tree_rss_mb(self.pid)
        self.peak = max(self.peak, self.after)


def machine_note(*, load_generator: bool = True) -> str:
    """One line on the machine and its load, for a results header."""
    load = Path("/proc/loadavg").read_text().split()[:3]
    note = f"{os.cpu_count()} cores, load average {' '.join(load)} at start"
    if load_generator:
        return note + "; the load generator runs on the same cores, and figures vary between runs."
    return note + "."
