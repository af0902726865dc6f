"""Jobs benchmark (issue 5): 2,000 jobs from 50 users against the slow fake upstream.

One server process of ours (`ai-music serve`); upstream `../shared/bench/fake_upstream.py`
(2 s delay) with `max_concurrency` 100, so at most 100 jobs run and the rest queue.

1. Fill: each of 50 users submits 36 jobs back to back (`POST /generations`, 50 in flight).
2. Probe, while the queue is full: the remaining 4 jobs per user (200), paced at 50/s, each
   submission timed on its own (the target: p99 ≤ 50 ms); and one job from a 51st user who
   had nothing queued — with fair scheduling it starts at once instead of behind ~1,800 jobs.
3. Every user polls `GET /generations?limit=100` until all of its jobs have ended.

Checks: every job succeeded; no job ran twice (each user's history has exactly as many
entries as jobs, with distinct ids); fairness as the spread of each user's completion times.

Run: `.venv/bin/python bench/bench_jobs.py`. Prints a Markdown table and writes it to
bench/results/jobs.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from _servers import (
    LOAD_LIMITS,
    ROOT,
    RssSampler,
    cpu_seconds,
    fake_upstream,
    machine_note,
    make_users,
    ours,
    upstreams_env,
)

DELAY_S = 2.0
UPSTREAM_CONCURRENCY = 100
BODY = {"prompt": "Calm ambient music", "duration": 10, "mood": "Happy", "tempo": 120}
TERMINAL = {"succeeded", "failed", "canceled", "aborted"}


@dataclass
class Submissions:
    fill: list[float] = field(default_factory=list)
    probe: list[float] = field(default_factory=list)
    probe_started: float = 0.0
    probe_ended: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)


def epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def submit(
    client: httpx.AsyncClient, token: str, into: list[float], errors: dict[str, int]
) -> None:
    started = time.perf_counter()
    try:
        answer = await client.post(
            "/generations", json=BODY, headers={"Authorization": f"Bearer {token}"}
        )
    except httpx.HTTPError as exc:
        errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
        return
    if answer.status_code == 202:
        into.append(time.perf_counter() - started)
    else:
        errors[str(answer.status_code)] = errors.get(str(answer.status_code), 0) + 1


async def submit_all(
    base: str, tokens: list[str], late: str, fill_each: int, probe_each: int, rate: float
) -> Submissions:
    result = Submissions()
    limits = httpx.Limits(max_connections=len(tokens) + 10)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

        async def fill(token: str) -> None:
            for _ in range(fill_each):
                await submit(client, token, result.fill, result.errors)

        await asyncio.gather(*(fill(token) for token in tokens))
        result.probe_started = time.time()
        probes = []
        for number in range(probe_each * len(tokens)):
            token = tokens[number % len(tokens)]
            probes.append(asyncio.create_task(submit(client, token, result.probe, result.errors)))
            if number == probe_each * len(tokens) // 2:
                late_times: list[float] = []
                probes.append(asyncio.create_task(submit(client, late, late_times, result.errors)))
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*probes)
        result.probe_ended = time.time()
    return result


async def collect(base: str, tokens: list[str], expected: int, limit_s: float) -> list[list[dict]]:
    """Each user's jobs once all have ended (or when ``limit_s`` runs out)."""
    deadline = time.monotonic() + limit_s
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:

        async def jobs_of(token: str) -> list[dict]:
            headers = {"Authorization": f"Bearer {token}"}
            while True:
                page = await client.get("/generations?limit=100", headers=headers)
                page.raise_for_status()
                items: list[dict] = page.json()["items"]
                ended = len(items) >= expected and all(j["status"] in TERMINAL for j in items)
                if ended or time.monotonic() > deadline:
                    return items
                await asyncio.sleep(2)

        return list(await asyncio.gather(*(jobs_of(token) for token in tokens)))


def history_counts(base: str, tokens: list[str]) -> list[tuple[int, int]]:
    """(entries, distinct ids) of each user's history (up to 100)."""
    counts = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for token in tokens:
            answer = client.get("/history?limit=100", headers={"Authorization": f"Bearer {token}"})
            answer.raise_for_status()
            items = answer.json()["items"]
            counts.append((len(items), len({item["id"] for item in items})))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2000, help="in total, split evenly")
    parser.add_argument("--probe-each", type=int, default=4, help="jobs per user in the probe")
    parser.add_argument("--probe-rate", type=float, default=50, help="probe submissions/s")
    parser.add_argument("--time-limit", type=float, default=300, help="s to wait for jobs")
    args = parser.parse_args()
    per_user = args.jobs // args.users
    fill_each = per_user - args.probe_each
    note = machine_note()

    with fake_upstream(DELAY_S) as (upstream, _):
        env = {
            **LOAD_LIMITS,
            "AI_MUSIC_MAX_ACTIVE_JOBS_PER_USER": str(max(40, per_user)),
            "AI_MUSIC_UPSTREAMS": upstreams_env(upstream, max_concurrency=UPSTREAM_CONCURRENCY),
        }
        with ours(env) as (base, process):
            tokens = make_users(base, args.users, prefix="jobs")
            (late,) = make_users(base, 1, prefix="late")
            time.sleep(1)
            cpu_before = cpu_seconds(process.pid)
            with RssSampler(process.pid) as rss:
                began = time.time()
                subs = asyncio.run(
                    submit_all(base, tokens, late, fill_each, args.probe_each, args.probe_rate)
                )
                print(f"submitted in {time.time() - began:.1f} s; errors {subs.errors}", flush=True)
                jobs = asyncio.run(collect(base, tokens, per_user, args.time_limit))
                (late_jobs,) = asyncio.run(collect(base, [late], 1, 60))
                ended = time.time()
            cpu_used = cpu_seconds(process.pid) - cpu_before
            histories = history_counts(base, tokens)

    all_jobs = [job for user_jobs in jobs for job in user_jobs]
    statuses: dict[str, int] = {}
    for job in all_jobs:
        statuses[job["status"]] = statuses.get(job["status"], 0) + 1
    succeeded = statuses.get("succeeded", 0)
    finished = [epoch(job["finished_at"]) - began for job in all_jobs if job["finished_at"]]
    last_done = max(finished)
    # Jobs not yet ended when the probe began: how full the queue was while it ran.
    waiting_at_probe = sum(
        1
        for job in all_jobs
        if job["finished_at"] is None or epoch(job["finished_at"]) > subs.probe_started
    ) - len(subs.probe)
    running_at_probe = min(UPSTREAM_CONCURRENCY, waiting_at_probe)
    per_user_done = [
        sorted(epoch(job["finished_at"]) - began for job in user_jobs if job["finished_at"])
        for user_jobs in jobs
    ]
    medians = [statistics.median(times) for times in per_user_done if times]
    firsts = [times[0] for times in per_user_done if times]
    lasts = [times[-1] for times in per_user_done if times]
    history_ok = all(count == per_user and distinct == per_user for count, distinct in histories)
    history_range = (
        f"{min(c for c, _ in histories)}–{max(c for c, _ in histories)} entries per user, "
        f"{sum(d for _, d in histories)} distinct ids"
    )
    late_job = late_jobs[0] if late_jobs else {}
    ideal = args.jobs / UPSTREAM_CONCURRENCY * DELAY_S
    probe_p99 = quantile(subs.probe, 0.99) * 1000 if subs.probe else float("nan")

    def ok(passed: bool) -> str:
        return "met" if passed else "**missed**"

    def spread(values: list[float]) -> str:
        return f"{min(values):.1f} / {max(values):.1f}"

    rows = [
        (
            "jobs ended / succeeded",
            f"{len(all_jobs)} / {succeeded} (statuses {statuses})",
            f"all {args.jobs}",
            ok(succeeded == args.jobs),
        ),
        (
            "none ran twice: history entries = jobs per user",
            history_range,
            f"{per_user} each, {args.jobs} distinct",
            ok(history_ok),
        ),
        (
            "all done after (s)",
            f"{last_done:.1f} (upstream-bound ideal {ideal:.0f}: "
            f"{args.jobs} × {DELAY_S:g} s / {UPSTREAM_CONCURRENCY})",
            "",
            "",
        ),
        (
            "fairness: each user's first completion, min / max across users (s)",
            spread(firsts),
            "",
            "",
        ),
        (
            "fairness: each user's median completion, min / max across users (s)",
            spread(medians),
            "",
            "",
        ),
        (
            "fairness: each user's last completion, min / max across users (s)",
            spread(lasts),
            "",
            "",
        ),
        (
            "a 51st user's single job, submitted mid-probe: queued / run (s)",
            f"{late_job.get('queued_seconds')} / {late_job.get('run_seconds')} "
            f"({late_job.get('status')})",
            "starts at once",
            "",
        ),
        (
            f"submission latency, fill ({len(subs.fill)} jobs, {args.users} in flight): "
            "p50 / p99 (ms)",
            f"{quantile(subs.fill, 0.5) * 1000:.1f} / {quantile(subs.fill, 0.99) * 1000:.1f}",
            "",
            "",
        ),
        (
            f"submission latency while the queue is full ({len(subs.probe)} jobs at "
            f"{args.probe_rate:g}/s; ≥ {waiting_at_probe - running_at_probe} queued + "
            f"{running_at_probe} running): p50 / p99 (ms)",
            f"{quantile(subs.probe, 0.5) * 1000:.1f} / {probe_p99:.1f}",
            "p99 ≤ 50",
            ok(probe_p99 <= 50),
        ),
        ("submission errors", f"{subs.errors or 'none'}", "none", ok(not subs.errors)),
        (
            "server RSS idle → peak (MB); CPU (s)",
            f"{rss.before:.0f} → {rss.peak:.0f}; {cpu_used:.1f} CPU s in {ended - began:.0f} s",
            "",
            "",
        ),
    ]
    table = [
        f"{args.jobs} jobs from {args.users} users (`POST /generations`), one server process "
        f"(`ai-music serve`); upstream fake_upstream.py, {DELAY_S:g} s delay, max_concurrency "
        f"{UPSTREAM_CONCURRENCY}; times are from the first submission.",
        note,
        "",
        "| measure | ai-music-backend | target | |",
        "|---|---|---|---|",
        *[f"| {' | '.join(row)} |" for row in rows],
    ]
    text = "\n".join(table)
    print(text)
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "jobs.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
