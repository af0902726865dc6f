"""What Procrastinate's in-memory connector would cost the embedded default per job.

The embedded default (SQLite) keeps the in-process runner (generation/jobs.py); one
alternative was to run the same Procrastinate task code there too, on Procrastinate's
``InMemoryConnector``. This measures that connector alone with a no-op task: N jobs deferred,
then run by one worker with the given concurrency, as the gateway bench's 1,000 concurrent
/studio-generate would. Prints deferral and run time per job; ``--dsn`` runs the same on
PostgreSQL (PsycopgConnector) for comparison.

    .venv/bin/python bench/bench_inmemory_queue.py --jobs 1000 --concurrency 100
    .venv/bin/python bench/bench_inmemory_queue.py --dsn postgresql://127.0.0.1/db
"""

from __future__ import annotations

import argparse
import asyncio
import time

from procrastinate import App, PsycopgConnector
from procrastinate.testing import InMemoryConnector


async def main(jobs: int, concurrency: int, dsn: str | None) -> None:
    connector = PsycopgConnector(conninfo=dsn) if dsn else InMemoryConnector()
    app = App(connector=connector)
    done = 0

    @app.task(name="noop")
    async def noop(n: int) -> None:
        nonlocal done
        done += 1

    async with app.open_async():
        began = time.perf_counter()
        for n in range(jobs):
            await noop.defer_async(n=n)
        deferred = time.perf_counter()
        await app.run_worker_async(
            concurrency=concurrency, wait=False, install_signal_handlers=False
        )
        ran = time.perf_counter()
    assert done == jobs, done
    defer_ms, run_ms = 1e3 * (deferred - began) / jobs, 1e3 * (ran - deferred) / jobs
    print(
        f"{jobs} jobs, concurrency {concurrency}: defer {defer_ms:.3f} ms/job, "
        f"run {run_ms:.3f} ms/job (no-op task; total {ran - began:.2f} s)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument(
        "--dsn", help="the same on PostgreSQL (a database migrated to 0007), for comparison"
    )
    args = parser.parse_args()
    asyncio.run(main(args.jobs, args.concurrency, args.dsn))
