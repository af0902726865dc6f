"""Gateway benchmark (issue 3): 1,000 concurrent /studio-generate against a slow upstream.

One server process of ours (`ai-music serve`) forwards to `../shared/bench/fake_upstream.py`
(2 s delay, 480 kB answers). Measured in one run, with the shared `loadgen.py` as the client:

- the same 1,000 concurrent POSTs sent to the upstream directly: the client's own overhead;
- 1,000 concurrent `/studio-generate` to our server, from 20 signed-in users: completions,
  wall time, latency, and the server's peak RSS (sampled every 50 ms);
- the same load against the original's stand-in (`../shared/bench/seed_baseline.py`, gunicorn
  1 worker × 2 threads), bounded by loadgen's 60 s timeout: how many completed;
- the same load against our server with other keep-alive timeouts (``--keep-alive-sweep``,
  2 and 20 s by default): not a target, but it shows what sets the load generator's wall time
  (httpx's pool gets slower with every idle connection it holds, until the server closes them);
- one 200 MB upstream answer through a fresh server of ours: RSS before / peak / after.

Targets: all 1,000 succeed; wall ≤ 2 × upstream delay + client overhead (direct wall − delay);
RSS ≤ 256 MB during the load; the 200 MB answer raises RSS by < 30 MB.

Needs flask, flask-cors, requests, gunicorn (`pip install -r bench/requirements.txt`).
Run: `.venv/bin/python bench/bench_gateway.py`. Prints a Markdown table and writes it to
bench/results/gateway.md.
"""

from __future__ import annotations

import argparse
import time

import httpx
from _servers import (
    LOAD_LIMITS,
    ROOT,
    RssSampler,
    cpu_seconds,
    fake_upstream,
    loadgen,
    machine_note,
    make_users,
    ours,
    seed_baseline,
    upstreams_env,
)

DELAY_S = 2.0
BIG_SIZE = 200_000_000
BIG_CAP = 256 * 1024 * 1024
BODY = {"prompt": "Calm ambient music", "duration": 10, "mood": "Happy", "tempo": 120}


def big_answer(base: str, token: str) -> int:
    """One /studio-generate whose upstream answers 200 MB; the body is read and discarded."""
    received = 0
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.stream(
        "POST", base + "/studio-generate", json=BODY, headers=headers, timeout=180
    ) as response:
        if response.status_code != 200:
            response.read()
            raise RuntimeError(f"200 MB answer: HTTP {response.status_code} {response.text}")
        for chunk in response.iter_bytes(1 << 20):
            received += len(chunk)
    return received


def load_ours(
    env: dict[str, str], n: int, users: int
) -> tuple[dict[str, object], RssSampler, float]:
    """``n`` concurrent /studio-generate against a fresh server of ours: the load generator's
    summary, the server's RSS and the CPU it used."""
    with ours(env) as (base, process):
        tokens = make_users(base, users)
        loadgen(base + "/studio-generate", 2, 30, tokens[:1])  # first-request warm-up
        time.sleep(1)
        cpu_before = cpu_seconds(process.pid)
        with RssSampler(process.pid) as rss:
            summary = loadgen(base + "/studio-generate", n, 120, tokens)
        return summary, rss, cpu_seconds(process.pid) - cpu_before


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=1000, help="concurrent requests")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seed-timeout", type=float, default=60, help="loadgen timeout (s)")
    parser.add_argument("--skip-seed", action="store_true")
    parser.add_argument(
        "--keep-alive-sweep",
        type=int,
        nargs="*",
        default=[2, 20],
        help="also run the load with our keep-alive at these seconds (server default: 5)",
    )
    args = parser.parse_args()
    note = machine_note()

    with fake_upstream(DELAY_S) as (upstream, _):
        direct = loadgen(upstream, args.n, 60)
        print("upstream directly:", direct, flush=True)

        env = {**LOAD_LIMITS, "AI_MUSIC_UPSTREAMS": upstreams_env(upstream)}
        mine, ours_rss, cpu_used = load_ours(env, args.n, args.users)
        print("ours:", mine, f"rss {ours_rss.before:.0f}/{ours_rss.peak:.0f} MB", flush=True)
        keep_alive_runs = {}
        for seconds in args.keep_alive_sweep:
            swept_env = {**env, "AI_MUSIC_KEEP_ALIVE_S": str(seconds)}
            keep_alive_runs[seconds], _, _ = load_ours(swept_env, args.n, args.users)
            print(f"ours, keep-alive {seconds} s:", keep_alive_runs[seconds], flush=True)

        seed: dict[str, object] = {}
        seed_peak = 0.0
        if not args.skip_seed:
            with seed_baseline(ml_url=upstream) as (seed_base, seed_process):
                with RssSampler(seed_process.pid) as seed_rss:
                    seed = loadgen(seed_base + "/studio-generate", args.n, args.seed_timeout)
                seed_peak = seed_rss.peak
            print("original stand-in:", seed, flush=True)

    with fake_upstream(0.5, BIG_SIZE) as (big_upstream, _):
        env = {
            **LOAD_LIMITS,
            "AI_MUSIC_UPSTREAMS": upstreams_env(big_upstream, max_audio_bytes=BIG_CAP),
        }
        with ours(env) as (base, process):
            (token,) = make_users(base, 1)
            time.sleep(1)
            with RssSampler(process.pid, interval_s=0.02) as big_rss:
                started = time.perf_counter()
                received = big_answer(base, token)
                big_seconds = time.perf_counter() - started
                time.sleep(1)
            print(f"200 MB: {received} bytes in {big_seconds:.1f} s", flush=True)

    overhead = float(direct["wall_s"]) - DELAY_S  # type: ignore[arg-type]
    wall_target = 2 * DELAY_S + overhead
    wall = float(mine["wall_s"])  # type: ignore[arg-type]
    rise = big_rss.peak - big_rss.before

    def ok(passed: bool) -> str:
        return "met" if passed else "**missed**"

    def done(summary: dict[str, object]) -> str:
        errors = summary.get("errors") or {}
        shown = f" (errors: {errors})" if errors else ""
        return f"{summary.get('ok')}/{summary.get('n')}{shown}"

    seed_cells = (
        (f"{done(seed)} within {args.seed_timeout:.0f} s", f"{seed['wall_s']}", f"{seed_peak:.0f}")
        if seed
        else ("not run", "", "")
    )
    rows = [
        (
            f"{args.n} concurrent POSTs completed",
            done(direct),
            seed_cells[0],
            done(mine),
            f"all {args.n}",
            ok(mine["ok"] == args.n),
        ),
        (
            "wall time (s)",
            f"{direct['wall_s']}",
            seed_cells[1],
            f"{wall:.2f}",
            f"≤ 2 × {DELAY_S:g} + {overhead:.2f} = {wall_target:.2f}",
            ok(wall <= wall_target),
        ),
        (
            "latency p50 / p95 (s)",
            f"{direct['p50_s']} / {direct['p95_s']}",
            f"{seed.get('p50_s')} / {seed.get('p95_s')}" if seed else "",
            f"{mine['p50_s']} / {mine['p95_s']}",
            "",
            "",
        ),
        (
            "server RSS idle → peak during the load (MB)",
            "",
            f"{seed_cells[2]} (master + worker)" if seed else "",
            f"{ours_rss.before:.0f} → {ours_rss.peak:.0f}",
            "≤ 256",
            ok(ours_rss.peak <= 256),
        ),
        ("server CPU during the load (s)", "", "", f"{cpu_used:.1f}", "", ""),
        *[
            (
                f"the same with the server's keep-alive at {seconds} s instead of 5 s: "
                "wall time / load generator's CPU (s)",
                "",
                "",
                f"{run['wall_s']} / {run['client_cpu_s']}",
                "(not a target)",
                "",
            )
            for seconds, run in keep_alive_runs.items()
        ],
        (
            "load generator's own CPU (s)",
            f"{direct['client_cpu_s']}",
            f"{seed['client_cpu_s']}" if seed else "",
            f"{mine['client_cpu_s']}",
            "",
            "",
        ),
        (
            "one 200 MB upstream answer: RSS before / peak / after (MB)",
            "",
            "",
            f"{big_rss.before:.0f} / {big_rss.peak:.0f} / {big_rss.after:.0f} "
            f"(+{rise:.0f}; {received / 1e6:.0f} MB in {big_seconds:.1f} s)",
            "rise < 30",
            ok(rise < 30 and received == BIG_SIZE),
        ),
    ]
    table = [
        f"Upstream: fake_upstream.py, {DELAY_S:g} s delay, 480 kB answers; client: "
        f"shared loadgen.py, {args.users} users' bearer tokens; one server process each "
        "(ours: `ai-music serve`; original stand-in: gunicorn 1 worker × 2 threads).",
        note,
        "",
        "| measure | upstream directly | original stand-in | ai-music-backend | target | |",
        "|---|---|---|---|---|---|",
        *[f"| {' | '.join(row)} |" for row in rows],
    ]
    text = "\n".join(table)
    print(text)
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / "gateway.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
