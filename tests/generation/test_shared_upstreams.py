"""Two real server processes on one Redis share each upstream's circuit and concurrency limit."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from tests.server_process import server, wait_until
from tests.support.servers import serve_in_thread

from .support.sounds import wav_bytes

pytestmark = pytest.mark.redis

REDIS_URL = "redis://127.0.0.1:6379/7"
SERVE = [sys.executable, "-m", "ai_music.cli", "serve"]
WAV = wav_bytes(0.25)
_SLEEP = re.compile(r"sleep=(\d+(?:\.\d+)?)")


class RecordingUpstream:
    """An HTTP audio service that fails for prompts saying ``fail``, sleeps for ``sleep=N``,
    and records how many calls it had and how many ran at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.in_flight = 0
        self.peak = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        prompt = str(json.loads(body or b"{}").get("prompt", ""))
        with self.lock:
            self.calls[prompt] += 1
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            match = _SLEEP.search(prompt)
            if match:
                await asyncio.sleep(float(match.group(1)))
            status, payload = (500, b"{}") if "fail" in prompt else (200, WAV)
        finally:
            with self.lock:
                self.in_flight -= 1
        kind = b"application/json" if status == 500 else b"audio/wav"
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"content-type", kind)]}
        )
        await send({"type": "http.response.body", "body": payload})


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except (OSError, redis.RedisError) as exc:
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    prefix = f"scale2_test_{uuid.uuid4().hex}"
    yield prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


@pytest.fixture
def upstream() -> Iterator[tuple[RecordingUpstream, str]]:
    service = RecordingUpstream()
    with serve_in_thread(service) as url:
        yield service, url


def two_servers(
    stack: ExitStack,
    tmp_path: Path,
    prefix: str,
    upstream_url: str,
    extra_env: dict[str, str] | None = None,
    **policy: object,
) -> list[tuple[subprocess.Popen[bytes], str]]:
    config = {"name": "svc", "kind": "http", "url": upstream_url, "allow_private_network": True}
    env = {
        **(extra_env or {}),
        "AI_MUSIC_REDIS_URL": REDIS_URL,
        "AI_MUSIC_LIMITS_KEY_PREFIX": prefix,
        "AI_MUSIC_UPSTREAMS": json.dumps([{**config, "retries": 0, **policy}]),
        "AI_MUSIC_ALLOW_GUEST_GENERATION": "true",
        "AI_MUSIC_MAX_ACTIVE_JOBS_PER_USER": "20",
        "AI_MUSIC_GENERATION_DAILY_LIMIT": "1000 per day",
    }
    found = []
    for name in ("a", "b"):
        data = tmp_path / name
        process, base, _ = stack.enter_context(server(SERVE, data, env))
        found.append((process, base))
    return found


def generate(
    base: str, prompt: str, timeout: float = 60, colab_url: str | None = None
) -> httpx.Response:
    body: dict[str, object] = {"prompt": prompt, "duration": 5, "format": "wav"}
    if colab_url:
        body.update(use_colab=True, colab_url=colab_url)
    return httpx.post(f"{base}/studio-generate", json=body, timeout=timeout)


def upstream_state(base: str) -> dict[str, object]:
    state: dict[str, object] = httpx.get(f"{base}/ready", timeout=5).json()["checks"]["upstreams"][
        0
    ]
    return state


def test_circuit_opened_by_one_process_is_open_in_the_other(
    tmp_path: Path, redis_prefix: str, upstream: tuple[RecordingUpstream, str]
) -> None:
    service, url = upstream
    with ExitStack() as stack:
        (_, a), (_, b) = two_servers(
            stack, tmp_path, redis_prefix, url, circuit_failures=2, circuit_cooldown_s=60
        )
        assert upstream_state(b)["circuit"] == "closed"
        assert [generate(a, "fail").status_code for _ in range(2)] == [502, 502]
        assert service.calls["fail"] == 2
        assert upstream_state(b)["circuit"] == "open"
        assert upstream_state(b)["consecutive_failures"] == 2
        refused = generate(b, "fine")
        assert refused.status_code == 503
        assert service.calls["fine"] == 0


def test_circuit_of_a_colab_url_opened_by_one_process_is_open_in_the_other(
    tmp_path: Path, redis_prefix: str, upstream: tuple[RecordingUpstream, str]
) -> None:
    service, url = upstream
    failing, other = f"{url}/failing", f"{url}/other"
    allow = {
        "AI_MUSIC_COLAB_URL_ALLOWLIST": url,
        "AI_MUSIC_COLAB_ALLOW_PRIVATE_NETWORK": "true",
    }
    with ExitStack() as stack:
        (_, a), (_, b) = two_servers(stack, tmp_path, redis_prefix, url, allow)
        # A colab_url's router opens after 5 failures, each request making 2 calls (1 retry).
        answers = [generate(a, "fail colab", colab_url=failing).status_code for _ in range(3)]
        assert answers == [502, 502, 502]
        assert service.calls["fail colab"] == 5
        refused = generate(b, "fine colab", colab_url=failing)
        assert refused.status_code == 503, refused.text
        assert service.calls["fine colab"] == 0
        # One circuit per URL, apart from the configured upstreams' own.
        assert generate(b, "other colab", colab_url=other).status_code == 200
        assert generate(b, "configured").status_code == 200
        assert upstream_state(b)["circuit"] == "closed"


def test_max_concurrency_is_one_limit_for_both_processes(
    tmp_path: Path, redis_prefix: str, upstream: tuple[RecordingUpstream, str]
) -> None:
    service, url = upstream
    with ExitStack() as stack:
        (_, a), (_, b) = two_servers(stack, tmp_path, redis_prefix, url, max_concurrency=2)
        results: list[int] = []

        def one(base: str, index: int) -> None:
            results.append(generate(base, f"sleep=0.7 n={index}").status_code)

        threads = [threading.Thread(target=one, args=(a if i % 2 else b, i)) for i in range(6)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        elapsed = time.monotonic() - started
        assert results == [200] * 6
        # Each process alone would allow 2: together they ran 4 at once without the shared limit.
        assert service.peak == 2
        assert elapsed >= 3 * 0.7
        assert upstream_state(a)["in_flight_deployment"] == 0


def test_place_of_a_killed_process_frees_within_the_lease(
    tmp_path: Path, redis_prefix: str, upstream: tuple[RecordingUpstream, str]
) -> None:
    service, url = upstream
    with ExitStack() as stack:
        (process_a, a), (_, b) = two_servers(stack, tmp_path, redis_prefix, url, max_concurrency=1)

        def hold() -> None:
            with contextlib.suppress(httpx.TransportError):  # its server is killed mid-call
                generate(a, "sleep=120", timeout=130)

        holder = threading.Thread(target=hold, daemon=True)
        holder.start()
        wait_until(lambda: service.calls["sleep=120"] == 1, 10, "the long call to start")
        waited: list[float] = []

        def waiting() -> None:
            response = generate(b, "quick")
            assert response.status_code == 200
            waited.append(time.monotonic())

        waiter = threading.Thread(target=waiting)
        waiter.start()
        time.sleep(1.5)
        assert service.calls["quick"] == 0 and not waited
        os.killpg(process_a.pid, signal.SIGKILL)
        killed = time.monotonic()
        waiter.join(30)
        assert waited, "the waiting call never got the place"
        assert waited[0] - killed <= 16.5
        assert service.calls["quick"] == 1
