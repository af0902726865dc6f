"""Cluster benchmark (issue 16): jobs through 2 API instances and 1, 2, 3 `ai-music worker`s.

Each run: a fresh PostgreSQL database (`scale2_bench_*`), Redis db 7 under a fresh prefix, one
data dir shared by all processes (its audio folder is the shared store), 2 API instances
(`AI_MUSIC_RUN_WORKER=false`) taking the submissions and N workers running the jobs:

- engine: the built-in engine, 5 s pieces (CPU-bound; `AI_MUSIC_ENGINE_WORKERS=1` per worker);
- upstream: `../shared/bench/fake_upstream.py` (network-bound, `--delay` s per call), whose
  `max_concurrency` (`--upstream-cap`) is one limit for the deployment (Redis).

Each of `--users` users submits its share of `--jobs` back to back (`POST /generations`,
alternating between the API instances, all users at once). Measured: jobs/s (succeeded jobs
over first start → last finish, from the database), submission p50/p99, fairness (each user's
first completion after the first submission), and, in the kill run, jobs lost (not succeeded)
and recorded twice (history entries no job points to, audio files no entry points to), counted
in the database and the audio folder. The kill run uses the largest worker count: at 30 % done
one worker gets SIGKILL; at 50 % another gets SIGTERM and is started again.

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust) and Redis at 127.0.0.1:6379.
Run: `.venv/bin/python bench/bench_cluster.py` (2,000 jobs, 50 users; cluster.md) or `--quick`
(200 jobs, 10 users; cluster-quick.md), in bench/results/.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from _servers import (
    BIN,
    LOAD_LIMITS,
    ROOT,
    fake_upstream,
    free_port,
    machine_note,
    make_users,
    stop,
    upstreams_env,
    wait_until_up,
)

PG = "postgresql://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/7"
BODY = {"prompt": "Calm piano in the rain", "duration": 5, "mood": "Calm", "format": "mp3"}
TERMINAL = ("succeeded", "failed", "canceled", "aborted")


@dataclass
class Run:
    mode: str
    workers: int
    kill: bool
    jobs: int = 0
    submit_s: list[float] = field(default_factory=list)
    submit_errors: dict[str, int] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)


def psql(sql: str) -> None:
    subprocess.run(["psql", f"{PG}/postgres", "-qc", sql], check=True, capture_output=True)


@contextmanager
def database(name: str, keep: bool) -> Iterator[str]:
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG}/{name}"
    finally:
        if not keep:
            psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Cluster:
    """The processes of one run, sharing a database, Redis prefix and data dir."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.apis: list[str] = []
        self.workers: list[subprocess.Popen[bytes]] = []
        self._all = list(self.workers)

    def _start(self, command: list[str], name: str, extra: dict[str, str]) -> Any:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            command, env={**self.env, **extra}, stdout=log, stderr=subprocess.STDOUT
        )
        self._all.append(process)
        return process

    def start_api(self) -> None:
        port = free_port()
        number = len(self.apis)
        command = [str(BIN / "ai-music"), "serve", "--port", str(port)]
        # Its job-queue pool is sized from the worker concurrency, though it runs no job.
        extra = {"AI_MUSIC_RUN_WORKER": "false", "AI_MUSIC_WORKER_CONCURRENCY": "4"}
        self._start(command, f"api{number}", extra)
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base + "/health")
        self.apis.append(base)

    def start_worker(self, concurrency: int) -> subprocess.Popen[bytes]:
        name = f"worker{len(self._all)}"
        extra = {"AI_MUSIC_WORKER_CONCURRENCY": str(concurrency)}
        process: subprocess.Popen[bytes] = self._start(
            [str(BIN / "ai-music"), "worker"], name, extra
        )
        self.workers.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self._all):
            if process.poll() is None:
                stop(process, grace_s=30)


async def workers_ready(dsn: str, count: int, timeout_s: float = 180) -> None:
    """Until ``count`` worker processes have registered (each registers one Procrastinate
    worker per queue, at least two)."""
    deadline = time.monotonic() + timeout_s
    connection = await asyncpg.connect(dsn)
    try:
        while await connection.fetchval("SELECT count(*) FROM procrastinate_workers") < 2 * count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{count} workers did not register in {timeout_s:g} s")
            await asyncio.sleep(0.2)
    finally:
        await connection.close()


async def submit_all(run: Run, apis: list[str], tokens: list[str], each: int) -> float:
    """Every user's jobs, users at once; returns the epoch of the first submission."""
    # Idle connections retire before the servers' 5 s keep-alive closes them: a POST sent on a
    # connection the server is closing fails (ReadError), and httpx does not send it again.
    limits = httpx.Limits(max_connections=len(tokens) + 10, keepalive_expiry=2.0)
    clients = [httpx.AsyncClient(base_url=b, timeout=60, limits=limits) for b in apis]

    async def user(number: int, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        for k in range(each):
            client = clients[(number + k) % len(clients)]
            started = time.perf_counter()
            try:
                answer = await client.post("/generations", json=BODY, headers=headers)
            except httpx.HTTPError as exc:
                run.submit_errors[type(exc).__name__] = (
                    run.submit_errors.get(type(exc).__name__, 0) + 1
                )
                continue
            if answer.status_code in (201, 202):
                run.submit_s.append(time.perf_counter() - started)
            else:
                key = str(answer.status_code)
                run.submit_errors[key] = run.submit_errors.get(key, 0) + 1

    began = time.time()
    try:
        await asyncio.gather(*(user(n, t) for n, t in enumerate(tokens)))
    finally:
        for client in clients:
            await client.aclose()
    return began


async def status_counts(connection: asyncpg.Connection) -> dict[str, int]:
    rows = await connection.fetch("SELECT status, count(*) FROM generation_jobs GROUP BY 1")
    return {row[0]: int(row[1]) for row in rows}


async def follow(
    run: Run, cluster: Cluster, dsn: str, total: int, concurrency: int, limit_s: float
) -> None:
    """Waits for every job to end; in a kill run, kills and restarts workers on the way."""
    connection = await asyncpg.connect(dsn)
    try:
        await _follow(run, cluster, connection, total, concurrency, time.monotonic() + limit_s)
    finally:
        await connection.close()


async def _follow(
    run: Run, cluster: Cluster, connection: Any, total: int, concurrency: int, deadline: float
) -> None:
    killed = restarted = False
    while time.monotonic() < deadline:
        counts = await status_counts(connection)
        ended = sum(counts.get(s, 0) for s in TERMINAL)
        if run.kill and not killed and ended >= 0.3 * total:
            victim = cluster.workers[0]
            os.kill(victim.pid, signal.SIGKILL)
            killed = True
            run.events.append(f"SIGKILL worker 1 at {ended} ended")
        if run.kill and killed and not restarted and ended >= 0.5 * total:
            stopped = cluster.workers[1]
            began = time.monotonic()
            stop(stopped, grace_s=60)
            cluster.start_worker(concurrency)
            restarted = True
            took = time.monotonic() - began
            run.events.append(
                f"SIGTERM worker 2 at {ended} ended, exited in {took:.1f} s, restarted"
            )
        if ended >= total:
            return
        await asyncio.sleep(0.5)
    run.events.append("time limit reached")


async def tally(run: Run, dsn: str, began: float, files: set[str]) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        jobs = await connection.fetch(
            "SELECT user_id, status, started_at_ms, finished_at_ms, attempts FROM generation_jobs"
        )
        orphans = await connection.fetchval(
            "SELECT count(*) FROM history_entries h WHERE h.source = 'generated' AND NOT EXISTS "
            "(SELECT 1 FROM generation_jobs j WHERE j.history_entry_id = h.id)"
        )
        for error in await connection.fetch(
            "SELECT status, error, count(*) FROM generation_jobs WHERE status <> 'succeeded' "
            "GROUP BY 1, 2"
        ):
            run.events.append(f"{error[2]} {error[0]}: {error[1]}")
        shared = await connection.fetchval(
            "SELECT count(*) FROM (SELECT history_entry_id FROM generation_jobs WHERE "
            "history_entry_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1) AS s"
        )
        keys = {
            key
            for row in await connection.fetch("SELECT audio_key, midi_key FROM history_entries")
            for key in row
            if key
        }
    finally:
        await connection.close()
    done = [j for j in jobs if j["status"] == "succeeded"]
    statuses: dict[str, int] = {}
    for job in jobs:
        statuses[job["status"]] = statuses.get(job["status"], 0) + 1
    first_start = min(j["started_at_ms"] for j in done) / 1000
    last_finish = max(j["finished_at_ms"] for j in done) / 1000
    firsts: dict[int, float] = {}
    for job in done:
        at = job["finished_at_ms"] / 1000 - began
        firsts[job["user_id"]] = min(at, firsts.get(job["user_id"], at))
    run.result = {
        "statuses": statuses,
        "lost": run.jobs - len(done),
        "twice": int(orphans) + int(shared) + len(files - keys),
        "extra_files": len(files - keys),
        "restarted": sum(1 for j in jobs if j["attempts"] > 1),
        "jobs_per_s": len(done) / max(1e-9, last_finish - first_start),
        "all_done_s": last_finish - began,
        "first_done": sorted(firsts.values()),
    }


def run_once(
    args: argparse.Namespace, mode: str, workers: int, kill: bool, upstream: str | None
) -> Run:
    run = Run(mode, workers, kill)
    concurrency = args.engine_concurrency if mode == "engine" else args.upstream_concurrency
    name = f"scale2_bench_{mode}_{workers}{'_kill' if kill else ''}"
    with ExitStack() as stack:
        dsn = stack.enter_context(database(name, args.keep_db))
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="scale2-bench-")))
        env = {
            **os.environ,
            **LOAD_LIMITS,
            "DATABASE_URL": dsn,
            "AI_MUSIC_DATA_DIR": str(data_dir),
            "AI_MUSIC_SECRET_KEY": secrets.token_urlsafe(48),
            "AI_MUSIC_REDIS_URL": REDIS_URL,
            "AI_MUSIC_LIMITS_KEY_PREFIX": f"scale2:bench:{uuid.uuid4().hex[:12]}",
            "AI_MUSIC_LOG_LEVEL": "WARNING",
            "AI_MUSIC_ENGINE_WORKERS": "1",
            # Connections stay few: the PostgreSQL server is shared (100 at most).
            "AI_MUSIC_DB_POOL_SIZE": "2",
        }
        if upstream:
            env["AI_MUSIC_UPSTREAMS"] = upstreams_env(upstream, max_concurrency=args.upstream_cap)
        cluster = Cluster(env, Path(args.logs))
        stack.callback(cluster.stop_all)
        cluster.start_api()  # migrates first; the second starts on the latest schema
        cluster.start_api()
        for _ in range(workers):
            cluster.start_worker(concurrency)
        each = args.jobs // args.users
        run.jobs = each * args.users
        tokens = make_users(cluster.apis[0], args.users, prefix=f"c{workers}{mode[0]}")
        asyncio.run(workers_ready(dsn, workers))
        began = asyncio.run(submit_all(run, cluster.apis, tokens, each))
        # Jobs refused at submission are counted apart (submission errors), not as lost.
        run.jobs = len(run.submit_s)
        asyncio.run(follow(run, cluster, dsn, run.jobs, concurrency, args.time_limit))
        audio = data_dir / "audio"
        files = {p.relative_to(audio).as_posix() for p in audio.rglob("*") if p.is_file()}
        asyncio.run(tally(run, dsn, began, files))
    return run


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def row(run: Run, args: argparse.Namespace) -> str:
    r = run.result
    firsts = r["first_done"]
    fair = (
        f"{firsts[0]:.1f} / {statistics.median(firsts):.1f} / {firsts[-1]:.1f}" if firsts else "–"
    )
    concurrency = args.engine_concurrency if run.mode == "engine" else args.upstream_concurrency
    label = f"{run.mode}, {run.workers} worker{'s' if run.workers > 1 else ''} × {concurrency}"
    if run.kill:
        label += ", 1 SIGKILLed + 1 restarted"
    submit = f"{quantile(run.submit_s, 0.5) * 1000:.0f} / {quantile(run.submit_s, 0.99) * 1000:.0f}"
    errors = run.submit_errors or "none"
    return (
        f"| {label} | {r['jobs_per_s']:.1f} | {r['all_done_s']:.1f} | {submit} | {errors} | "
        f"{fair} | {r['lost']} | {r['twice']} | {r['restarted']} | {r['statuses']} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="200 jobs, 10 users")
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--workers", default="1,2,3", help="worker counts to run")
    parser.add_argument("--modes", default="engine,upstream")
    parser.add_argument("--no-kill", action="store_true", help="skip the kill/restart run")
    parser.add_argument("--kill-only", action="store_true", help="only the kill/restart run")
    parser.add_argument("--engine-concurrency", type=int, default=2)
    parser.add_argument("--upstream-concurrency", type=int, default=20)
    parser.add_argument("--upstream-cap", type=int, default=50, help="deployment-wide")
    parser.add_argument("--delay", type=float, default=2.0, help="fake upstream delay (s)")
    parser.add_argument("--time-limit", type=float, default=1200)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--out", help="results file (default cluster.md, quick: cluster-quick.md)")
    parser.add_argument("--logs", default=tempfile.mkdtemp(prefix="scale2-bench-logs-"))
    args = parser.parse_args()
    if args.quick:
        args.jobs, args.users = 200, 10
    counts = [int(n) for n in args.workers.split(",")]
    note = machine_note()
    print(f"process logs in {args.logs}", flush=True)
    runs: list[Run] = []
    for mode in args.modes.split(","):
        with ExitStack() as stack:
            upstream = None
            if mode == "upstream":
                upstream, _ = stack.enter_context(fake_upstream(args.delay))
            plan = [(n, False) for n in counts if not args.kill_only]
            plan += [] if args.no_kill else [(max(counts), True)]
            for workers, kill in plan:
                run = run_once(args, mode, workers, kill, upstream)
                runs.append(run)
                print(row(run, args), *run.events, sep="\n", flush=True)
    header = [
        f"{args.jobs // args.users * args.users} jobs from {args.users} users through 2 API "
        "instances (`AI_MUSIC_RUN_WORKER=false`) and N `ai-music worker`s on one PostgreSQL + "
        f"Redis, audio in a shared folder. engine: built-in, 5 s pieces, "
        f"`AI_MUSIC_ENGINE_WORKERS=1`; upstream: fake_upstream.py, {args.delay:g} s per call, "
        f"max_concurrency {args.upstream_cap} for the deployment. Times from the first submission.",
        note,
        "",
        "| run | jobs/s | all done (s) | submission p50 / p99 (ms) | submission errors | "
        "each user's first completion: min / median / max (s) | lost | recorded twice | "
        "restarted jobs | statuses |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *[row(run, args) for run in runs],
        "",
        *[f"- {run.mode} kill run: {'; '.join(run.events)}" for run in runs if run.kill],
    ]
    text = "\n".join(header)
    print(text)
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    out = args.out or ("cluster-quick.md" if args.quick else "cluster.md")
    (results / out).write_text(text + "\n")


if __name__ == "__main__":
    main()
