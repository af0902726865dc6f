"""The gateway's absolute target with one server process per core (issue 13).

``bench_gateway.py`` compares one process of ours with one process of the reference; its
absolute target (100 kB answers: 1,000 concurrent generations within 2 × the upstream's delay
plus the direct run's overhead) is missed by the one-process reference too, so one process on
this machine cannot meet it. A deployment runs a server process per core (``ai-music serve
--workers N``, gunicorn's ``WEB_CONCURRENCY``): this runs the same load against the reference
and against ours, each with ``--workers`` processes (default: one per core), beside the upstream
directly, and says whether the absolute target is met that way.

Ours runs on the embedded defaults (SQLite, no Redis): each process runs the jobs it accepts.
Needs the bench extras: ``.venv/bin/pip install -r bench/requirements.txt``.
Run: ``.venv/bin/python bench/bench_gateway_processes.py`` (about a minute). Prints a Markdown
table and writes it to bench/results/gateway-processes.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from _servers import (
    LOAD_LIMITS,
    ROOT,
    RssSampler,
    fake_upstream,
    loadgen,
    machine_note,
    make_users,
    ours,
    reference_gateway,
    tree_cpu_seconds,
    upstreams_env,
)

DELAY_S = 2.0
Summary = dict[str, object]


def measured(
    process: subprocess.Popen[bytes], run: Callable[[], Summary]
) -> tuple[Summary, float, float]:
    """Runs ``run()`` (a load) and returns its summary, the server tree's CPU and peak RSS."""
    cpu_before = tree_cpu_seconds(process.pid)
    with RssSampler(process.pid) as rss:
        summary = run()
    return summary, tree_cpu_seconds(process.pid) - cpu_before, rss.peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("-n", type=int, default=1000, help="concurrent requests (default 1000)")
    parser.add_argument("--size", type=int, default=100_000, help="answer bytes")
    parser.add_argument("--users", type=int, default=20, help="signed-in users sending them")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "results" / "gateway-processes.md"
    )
    args = parser.parse_args()
    note = machine_note()
    with fake_upstream(DELAY_S, args.size) as (upstream, _):
        direct = loadgen(upstream, args.n, 60)
        print("upstream directly:", direct, flush=True)
        with reference_gateway(upstream, workers=args.workers) as (url, process):
            loadgen(url, 2 * args.workers, 30)  # warm-up
            reference, reference_cpu, reference_rss = measured(
                process, lambda: loadgen(url, args.n, 120)
            )
        print("reference:", reference, flush=True)
        env = {**LOAD_LIMITS, "AI_MUSIC_UPSTREAMS": upstreams_env(upstream)}
        with ours(env, workers=args.workers) as (base, process):
            tokens = make_users(base, args.users)
            loadgen(base + "/studio-generate", 2 * args.workers, 30, tokens[:1])  # warm-up
            time.sleep(1)
            mine, mine_cpu, mine_rss = measured(
                process, lambda: loadgen(base + "/studio-generate", args.n, 120, tokens)
            )
        print("ours:", mine, flush=True)
    target = 2 * DELAY_S + float(direct["wall_s"]) - DELAY_S  # type: ignore[arg-type]
    met = mine.get("ok") == args.n and float(mine["wall_s"]) <= target  # type: ignore[arg-type]
    rows = [
        ("completed", *(f"{s.get('ok')}/{s.get('n')}" for s in (direct, reference, mine))),
        ("wall time (s)", *(str(s["wall_s"]) for s in (direct, reference, mine))),
        (
            "latency p50 / p95 (s)",
            *(f"{s.get('p50_s')} / {s.get('p95_s')}" for s in (direct, reference, mine)),
        ),
        (
            "server CPU during the load, all processes (s)",
            "",
            f"{reference_cpu:.1f}",
            f"{mine_cpu:.1f}",
        ),
        ("server RSS peak, all processes (MB)", "", f"{reference_rss:.0f}", f"{mine_rss:.0f}"),
    ]
    lines = [
        f"# Gateway with {args.workers} server processes: {args.n} concurrent generations, "
        f"{args.size // 1000} kB answers, upstream delay {DELAY_S:g} s",
        "",
        f"{note}",
        f"Printed by `.venv/bin/python bench/bench_gateway_processes.py --workers {args.workers}`"
        f" at {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        f"| measure | upstream directly | reference ({args.workers} processes) "
        f"| ai-music-backend ({args.workers} processes) |",
        "|---|---|---|---|",
        *(f"| {' | '.join(row)} |" for row in rows),
        "",
        f"Target: ours ≤ 2 × {DELAY_S:g} + {target - 2 * DELAY_S:.2f} = {target:.2f} s, all "
        f"{args.n} succeed: {'met' if met else '**missed**'}.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.write_text(text)


if __name__ == "__main__":
    main()
