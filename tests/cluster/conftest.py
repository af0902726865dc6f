"""A small deployment on loopback: API instances and workers as real processes, sharing one
PostgreSQL database, Redis (for the limits) and an S3 protocol server (moto) for the audio.

API instances run ``ai-music serve`` with ``AI_MUSIC_RUN_WORKER=false``; workers run
``ai-music worker``. The counting upstream runs in this test process, so its counters show
exactly how often each prompt was generated.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest
from tests.conftest import _truncate_all
from tests.generation.conftest import _serve_in_thread
from tests.generation.job_support import counting
from tests.generation.support import counting_upstream
from tests.limits.conftest import redis_reason_unavailable
from tests.server_process import answers, free_port, wait_until
from tests.storage.conftest import Bucket, new_bucket, s3_endpoint  # noqa: F401 (fixture)

AI_MUSIC = Path(sys.executable).with_name("ai-music")
REDIS_URL = "redis://127.0.0.1:6379/6"
START_TIMEOUT_S = 60


@pytest.fixture(scope="session")
def upstream_url() -> Iterator[str]:
    yield from _serve_in_thread(counting_upstream.app)


@dataclass
class Cluster:
    """The shared settings; ``api()`` and ``worker()`` start processes that use them."""

    env: dict[str, str]
    database_url: str
    bucket: Bucket
    log_dir: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[IO[bytes]] = field(default_factory=list)

    def _start(self, args: list[str], name: str, extra: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"{name}-{len(self.processes)}.log").open("wb")
        self.logs.append(log)
        process = subprocess.Popen(
            [str(AI_MUSIC), *args],
            env={**self.env, **extra},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def api(self, **extra: str) -> str:
        port = free_port()
        process = self._start(
            ["serve", "--host", "127.0.0.1", "--port", str(port)],
            "api",
            {"AI_MUSIC_RUN_WORKER": "false", **extra},
        )
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: answers(base) or process.poll() is not None, START_TIMEOUT_S, "api")
        assert process.poll() is None, self.log_text()
        return base

    async def worker(self, **extra: str) -> subprocess.Popen[bytes]:
        newest = await self._newest_worker()
        process = self._start(["worker"], "worker", extra)
        deadline = time.monotonic() + START_TIMEOUT_S
        # Each worker process registers two Procrastinate workers (generation and colab).
        while await self._newest_worker() < newest + 2:
            assert process.poll() is None, self.log_text()
            assert time.monotonic() < deadline, "the worker did not start"
            await asyncio.sleep(0.1)
        return process

    async def _newest_worker(self) -> int:
        import asyncpg

        connection = await asyncpg.connect(self.database_url)
        try:
            newest: int = await connection.fetchval(
                "SELECT coalesce(max(id), 0) FROM procrastinate_workers"
            )
        finally:
            await connection.close()
        return newest

    def log_text(self) -> str:
        for log in self.logs:
            log.flush()
        return "\n".join(
            path.name + ":\n" + path.read_text(errors="replace")[-3000:]
            for path in sorted(self.log_dir.glob("*.log"))
        )

    def stop_all(self) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        for log in self.logs:
            log.close()


@pytest.fixture
async def cluster(
    tmp_path: Path,
    postgres_database: str,
    s3_endpoint: str,  # noqa: F811 (the fixture imported above)
    upstream_url: str,
) -> AsyncIterator[Cluster]:
    reason = await redis_reason_unavailable()
    if reason:
        pytest.skip(reason)
    await _truncate_all(postgres_database)
    bucket = new_bucket(s3_endpoint)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AI_MUSIC_")}
    env.update(bucket.env())
    env.update(
        {
            "AI_MUSIC_DATA_DIR": str(tmp_path / "data"),
            "DATABASE_URL": postgres_database,
            "AI_MUSIC_REDIS_URL": REDIS_URL,
            "AI_MUSIC_LIMITS_KEY_PREFIX": f"scale_test_{uuid.uuid4().hex[:8]}",
            # Tokens signed by one instance are taken by every other.
            "AI_MUSIC_SECRET_KEY": "cluster-test-secret-" + "x" * 32,
            "AI_MUSIC_UPSTREAMS": json.dumps([counting(upstream_url, max_concurrency=2)]),
            "AI_MUSIC_JOB_HEARTBEAT_S": "0.5",
            "AI_MUSIC_JOB_STALE_AFTER_S": "3",
            "AI_MUSIC_WORKER_GRACE_S": "1",
            "AI_MUSIC_MAX_ACTIVE_JOBS_PER_USER": "20",
            "AI_MUSIC_GENERATION_DAILY_LIMIT": "1000 per day",
            "AI_MUSIC_LOG_LEVEL": "WARNING",
            "AI_MUSIC_MIGRATE_ON_START": "false",
            "NO_PROXY": "127.0.0.1,localhost",
        }
    )
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    running = Cluster(env, postgres_database, bucket, log_dir)
    try:
        yield running
    finally:
        running.stop_all()
