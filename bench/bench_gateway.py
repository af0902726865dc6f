"""Gateway benchmark (issues 3 and 13): 1,000 concurrent generations against a slow upstream.

In one run, for each answer size (100 kB and 480 kB by default), the shared load generator
(``../shared/bench/loadgen.py``: one connection per request, bodies counted and dropped)
sends the same 1,000 concurrent POSTs to:

- the upstream directly (``../shared/bench/fake_upstream.py``, 2 s delay): the floor;
- the smallest aiohttp gateway (``bench/ref_gateway.py``: Starlette + aiohttp's client, POST
  upstream, stream to a file, send it): the reference;
- the same gateway with httpx's API over aiohttp (``httpx-aiohttp``): what that API costs;
- ``ai-music serve`` (``/studio-generate``: tokens of 20 users, quotas, jobs, history, stored
  audio), with the server's peak RSS and CPU;
- the original's stand-in (``../shared/bench/seed_baseline.py``, gunicorn 1 worker × 2
  threads), bounded by the load generator's timeout: how many completed.

Then, on fresh servers of ours: one 200 MB upstream answer (RSS before / peak / after), and a
mixed load sized for a 512 MB instance: the built-in engine rendering at its full worker count
while 200 concurrent gateway generations (``colab_url`` jobs to the fake upstream) and history
reads run; its peak RSS.

Targets: all succeed; our wall ≤ 1.3 × the reference's at both sizes and ≤ 2 × delay + the
direct run's overhead at 100 kB; peak RSS ≤ 256 MB at 480 kB; the 200 MB answer adds < 30 MB;
the mixed load peaks < 400 MB. Every table row names the run that printed it.

``--profile`` also records our server under the 480 kB load with py-spy
(bench/results/gateway-profile.txt, the functions with the most samples).

Needs the bench extras: ``.venv/bin/pip install -r bench/requirements.txt``.
Run: ``.venv/bin/python bench/bench_gateway.py`` (about 5 minutes). Prints a Markdown table
and writes it to bench/results/gateway.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import httpx
from _servers import (
    BIN,
    LOAD_LIMITS,
    ROOT,
    RssSampler,
    cpu_seconds,
    fake_upstream,
    loadgen,
    machine_note,
    make_users,
    ours,
    reference_gateway,
    seed_baseline,
    upstreams_env,
)

DELAY_S = 2.0
BIG_SIZE = 200_000_000
BIG_CAP = 256 * 1024 * 1024
BODY = {"prompt": "Calm ambient music", "duration": 10, "mood": "Happy", "tempo": 120}
RESULTS = ROOT / "bench" / "results"
MIXED_ANSWER_BYTES = 480_000
Summary = dict[str, object]


@dataclass
class SizeRun:
    """Every measurement at one answer size."""

    size: int
    direct: Summary = field(default_factory=dict)
    reference: Summary = field(default_factory=dict)
    reference_httpx: Summary = field(default_factory=dict)
    ours: Summary = field(default_factory=dict)
    ours_rss: tuple[float, float] = (0.0, 0.0)
    ours_cpu_s: float = 0.0
    # --compare-src: the same load on our server run from another source tree, right after.
    other: Summary = field(default_factory=dict)
    other_rss: tuple[float, float] = (0.0, 0.0)
    other_cpu_s: float = 0.0
    seed: Summary = field(default_factory=dict)
    seed_peak_mb: float = 0.0


@contextlib.contextmanager
def py_spy(pid: int, out: Path | None) -> Iterator[None]:
    """py-spy recording ``pid`` while the block runs (nothing when ``out`` is None)."""
    if out is None:
        yield
        return
    raw = out.with_suffix(".raw")
    command = [str(BIN / "py-spy"), "record", "-p", str(pid), "-f", "raw", "-o", str(raw)]
    # Only the thread holding the GIL (the event loop's work, not idle pool threads), and
    # without pausing the server at each sample.
    command += ["--gil", "--nonblocking", "--rate", "200"]
    recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        recorder.send_signal(2)  # SIGINT: py-spy writes what it has and exits
        recorder.wait(30)
    out.write_text(top_functions(raw))
    raw.unlink(missing_ok=True)


def module_of(frame: str) -> str:
    """``fetch_audio (ai_music/generation/upstreams/download.py:340)`` → its package or
    module: ``ai_music/generation/upstreams``, ``aiohttp``, ``asyncio``, ``pathlib.py``."""
    path = frame.rpartition(" (")[2].rsplit(":", 1)[0]
    parts = path.split("/")
    if parts[0] == "ai_music":
        return "/".join(parts[:3]) if len(parts) > 3 else "/".join(parts)
    return parts[0]


def top_functions(raw: Path, limit: int = 60) -> str:
    """The functions with the most samples, from py-spy's collapsed stacks: on the stack
    (inclusive), running themselves (self), and self time by module. Shares on the stack
    alone hide work spread thin over many functions; self time by module shows it."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    modules: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = stack.split(";")
        total += count
        own[frames[-1]] = own.get(frames[-1], 0) + count
        module = module_of(frames[-1])
        modules[module] = modules.get(module, 0) + count
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count
    lines = [f"{total} samples of the thread holding the GIL."]
    tables = (("On the stack:", inclusive), ("Running itself:", own), ("Self by module:", modules))
    for title, table in tables:
        ranked = sorted(table.items(), key=lambda item: -item[1])[:limit]
        lines += ["", title]
        lines += [f"{count / max(total, 1):6.1%}  {frame}" for frame, count in ranked]
    return "\n".join(lines) + "\n"


def load_ours(
    env: dict[str, str], n: int, users: int, profile: Path | None = None
) -> tuple[Summary, RssSampler, float]:
    """``n`` concurrent /studio-generate against a fresh server of ours: the load generator's
    summary, the server's RSS and the CPU it used."""
    with ours(env) as (base, process):
        tokens = make_users(base, users)
        loadgen(base + "/studio-generate", 2, 30, tokens[:1])  # first-request warm-up
        time.sleep(1)
        cpu_before = cpu_seconds(process.pid)
        with RssSampler(process.pid) as rss, py_spy(process.pid, profile):
            summary = loadgen(base + "/studio-generate", n, 120, tokens)
        return summary, rss, cpu_seconds(process.pid) - cpu_before


def load_reference(upstream: str, client: str, n: int) -> Summary:
    """The load against a fresh reference gateway; ``server_cpu_s`` is the CPU it used."""
    with reference_gateway(upstream, client) as (url, process):
        loadgen(url, 2, 30)  # warm-up
        cpu_before = cpu_seconds(process.pid)
        summary = loadgen(url, n, 120)
        summary["server_cpu_s"] = round(cpu_seconds(process.pid) - cpu_before, 1)
        return summary


def run_size(size: int, args: argparse.Namespace) -> SizeRun:
    run = SizeRun(size)
    label = f"{size // 1000} kB"
    with fake_upstream(DELAY_S, size) as (upstream, _):
        run.direct = loadgen(upstream, args.n, 60)
        print(f"[{label}] upstream directly:", run.direct, flush=True)
        if not args.skip_reference:
            run.reference = load_reference(upstream, "aiohttp", args.n)
            print(f"[{label}] reference (aiohttp):", run.reference, flush=True)
            run.reference_httpx = load_reference(upstream, "httpx-aiohttp", args.n)
            print(f"[{label}] reference (httpx over aiohttp):", run.reference_httpx, flush=True)
        env = {**LOAD_LIMITS, "AI_MUSIC_UPSTREAMS": upstreams_env(upstream)}
        profile = (
            RESULTS / "gateway-profile.txt" if args.profile and size == max(args.sizes) else None
        )
        run.ours, rss, run.ours_cpu_s = load_ours(env, args.n, args.users, profile)
        run.ours_rss = (rss.before, rss.peak)
        print(f"[{label}] ours:", run.ours, f"rss {rss.before:.0f} → {rss.peak:.0f} MB", flush=True)
        if args.compare_src:
            other_env = {**env, "PYTHONPATH": str(args.compare_src)}
            run.other, rss, run.other_cpu_s = load_ours(other_env, args.n, args.users)
            run.other_rss = (rss.before, rss.peak)
            print(f"[{label}] ours from {args.compare_src}:", run.other, flush=True)
        if not args.skip_seed:
            with seed_baseline(ml_url=upstream) as (seed_base, seed_process):
                with RssSampler(seed_process.pid) as seed_rss:
                    run.seed = loadgen(seed_base + "/studio-generate", args.n, args.seed_timeout)
                run.seed_peak_mb = seed_rss.peak
            print(f"[{label}] original stand-in:", run.seed, flush=True)
    return run


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


def run_big() -> tuple[RssSampler, int, float]:
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
                seconds = time.perf_counter() - started
                time.sleep(1)
    print(f"200 MB: {received} bytes in {seconds:.1f} s", flush=True)
    return big_rss, received, seconds


@dataclass
class MixedResult:
    gateway_ok: int = 0
    gateway_failed: int = 0
    engine_ok: int = 0
    engine_failed: int = 0
    history_reads: int = 0
    history_failed: int = 0
    wall_s: float = 0.0


async def mixed_load(base: str, tokens: list[str], upstream: str, workers: int) -> MixedResult:
    """200 concurrent colab_url generations through the gateway, ``workers`` engine renders
    kept running, and history reads in a loop, until the gateway generations are done."""
    result = MixedResult()
    gateway_body = {**BODY, "use_colab": True, "colab_url": upstream}
    done = asyncio.Event()

    def auth(index: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[index % len(tokens)]}"}

    async def gateway(session: aiohttp.ClientSession, index: int) -> None:
        async with session.post(
            base + "/studio-generate", json=gateway_body, headers=auth(index)
        ) as answer:
            size = len(await answer.read())
        # The upstream's 480 kB, not a 10 s engine piece: the job went to the colab_url.
        if answer.status == 200 and size == MIXED_ANSWER_BYTES:
            result.gateway_ok += 1
        else:
            result.gateway_failed += 1

    async def engine(session: aiohttp.ClientSession, index: int) -> None:
        body = {**BODY, "duration": 30, "format": "wav"}
        while not done.is_set():
            async with session.post(
                base + "/studio-generate", json=body, headers=auth(index)
            ) as answer:
                await answer.read()
            if answer.status == 200:
                result.engine_ok += 1
            else:
                result.engine_failed += 1

    async def history(session: aiohttp.ClientSession, index: int) -> None:
        while not done.is_set():
            async with session.get(base + "/history?limit=50", headers=auth(index)) as answer:
                await answer.read()
            if answer.status == 200:
                result.history_reads += 1
            else:
                result.history_failed += 1
            await asyncio.sleep(0.01)

    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(
        # A connection per request, as loadgen.py: no idle connection for the server to close.
        connector=aiohttp.TCPConnector(limit=0, force_close=True),
        timeout=timeout,
    ) as session:
        started = time.perf_counter()
        background = [asyncio.create_task(engine(session, index)) for index in range(workers)] + [
            asyncio.create_task(history(session, index)) for index in range(20)
        ]
        await asyncio.sleep(1)  # the engine is rendering before the gateway load starts
        await asyncio.gather(*(gateway(session, index) for index in range(200)))
        done.set()
        result.wall_s = time.perf_counter() - started
        await asyncio.gather(*background)
    return result


def run_mixed(workers: int) -> tuple[MixedResult, RssSampler]:
    with fake_upstream(DELAY_S, MIXED_ANSWER_BYTES) as (upstream, _):
        origin = upstream.rsplit("/", 1)[0]
        env = {
            **LOAD_LIMITS,
            "AI_MUSIC_ENGINE_WORKERS": str(workers),
            "AI_MUSIC_COLAB_URL_ALLOWLIST": origin,
            "AI_MUSIC_COLAB_ALLOW_PRIVATE_NETWORK": "true",
        }
        with ours(env) as (base, process):
            tokens = make_users(base, 20, prefix="mixed")
            time.sleep(1)
            with RssSampler(process.pid) as rss:
                result = asyncio.run(mixed_load(base, tokens, upstream, workers))
    print("mixed:", result, f"rss {rss.before:.0f} → {rss.peak:.0f} MB", flush=True)
    return result, rss


def ok(passed: bool) -> str:
    return "met" if passed else "**missed**"


def done(summary: Summary) -> str:
    errors = summary.get("errors") or {}
    shown = f" (errors: {errors})" if errors else ""
    return f"{summary.get('ok')}/{summary.get('n')}{shown}"


def wall(summary: Summary) -> float:
    return float(summary["wall_s"])  # type: ignore[arg-type]


def size_rows(run: SizeRun, args: argparse.Namespace) -> list[tuple[str, ...]]:
    label = f"{run.size // 1000} kB"
    ref_target = 1.3 * wall(run.reference) if run.reference else float("nan")
    overhead = wall(run.direct) - DELAY_S
    rows = [
        (
            f"{label}: completed",
            done(run.direct),
            done(run.reference),
            done(run.reference_httpx),
            done(run.ours),
            f"{done(run.seed)} within {args.seed_timeout:.0f} s" if run.seed else "not run",
            f"all {args.n}",
            ok(run.ours.get("ok") == args.n),
        ),
        (
            f"{label}: wall time (s)",
            f"{run.direct['wall_s']}",
            f"{run.reference.get('wall_s', '')}",
            f"{run.reference_httpx.get('wall_s', '')}",
            f"{run.ours['wall_s']}",
            f"{run.seed['wall_s']}" if run.seed else "",
            f"≤ 1.3 × reference = {ref_target:.2f}",
            ok(wall(run.ours) <= ref_target),
        ),
    ]
    if run.size <= 100_000:
        target = 2 * DELAY_S + overhead
        rows.append(
            (
                f"{label}: wall time against the upstream's delay (s)",
                "",
                "",
                "",
                f"{run.ours['wall_s']}",
                "",
                f"≤ 2 × {DELAY_S:g} + {overhead:.2f} = {target:.2f}",
                ok(wall(run.ours) <= target),
            )
        )
    rows += [
        (
            f"{label}: latency p50 / p95 (s)",
            *(
                f"{summary.get('p50_s')} / {summary.get('p95_s')}" if summary else ""
                for summary in (run.direct, run.reference, run.reference_httpx, run.ours, run.seed)
            ),
            "",
            "",
        ),
        (
            f"{label}: server RSS idle → peak (MB)",
            "",
            "",
            "",
            f"{run.ours_rss[0]:.0f} → {run.ours_rss[1]:.0f}",
            f"{run.seed_peak_mb:.0f} (master + worker)" if run.seed else "",
            "≤ 256 (480 kB)" if run.size >= 480_000 else "",
            ok(run.ours_rss[1] <= 256) if run.size >= 480_000 else "",
        ),
        (
            f"{label}: server CPU during the load (s)",
            "",
            f"{run.reference.get('server_cpu_s')}",
            f"{run.reference_httpx.get('server_cpu_s')}",
            f"{run.ours_cpu_s:.1f}",
            "",
            "",
            "",
        ),
    ]
    if run.other:
        rows.append(
            (
                f"{label}, the same load on our server from {args.compare_src}: completed, "
                "wall (s), p50 / p95 (s), RSS idle → peak (MB), server CPU (s)",
                "",
                "",
                "",
                f"{done(run.other)}; {run.other['wall_s']}; {run.other.get('p50_s')} / "
                f"{run.other.get('p95_s')}; {run.other_rss[0]:.0f} → {run.other_rss[1]:.0f}; "
                f"{run.other_cpu_s:.1f}",
                "",
                "not a target: A/B",
                "",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n", 1)[0],
        epilog="Writes bench/results/gateway.md. Needs bench/requirements.txt installed.",
    )
    parser.add_argument("-n", type=int, default=1000, help="concurrent requests (default 1000)")
    parser.add_argument("--users", type=int, default=20, help="signed-in users sending them")
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="*",
        default=[100_000, 480_000],
        help="upstream answer sizes in bytes (default 100000 480000; none: skip these runs)",
    )
    parser.add_argument(
        "--seed-timeout", type=float, default=60, help="loadgen timeout for the stand-in (s)"
    )
    parser.add_argument("--skip-seed", action="store_true", help="do not run the stand-in")
    parser.add_argument("--skip-big", action="store_true", help="skip the 200 MB answer")
    parser.add_argument("--skip-mixed", action="store_true", help="skip the mixed load")
    parser.add_argument(
        "--engine-workers", type=int, default=2, help="engine workers in the mixed load (2)"
    )
    parser.add_argument(
        "--compare-src",
        type=Path,
        help="also run our server from this source tree (its PYTHONPATH) after ours, same load",
    )
    parser.add_argument("--skip-reference", action="store_true", help="skip the two references")
    parser.add_argument("--out", type=Path, default=RESULTS / "gateway.md", help="results file")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="py-spy our server under the largest size's load (bench/results/gateway-profile.txt)",
    )
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    note = machine_note()

    runs = [run_size(size, args) for size in args.sizes]
    rows = [row for run in runs for row in size_rows(run, args)]
    if not args.skip_big:
        big_rss, received, big_seconds = run_big()
        rise = big_rss.peak - big_rss.before
        rows.append(
            (
                "one 200 MB upstream answer: RSS before / peak / after (MB)",
                "",
                "",
                "",
                f"{big_rss.before:.0f} / {big_rss.peak:.0f} / {big_rss.after:.0f} "
                f"(+{rise:.0f}; {received / 1e6:.0f} MB in {big_seconds:.1f} s)",
                "",
                "rise < 30",
                ok(rise < 30 and received == BIG_SIZE),
            )
        )
    if not args.skip_mixed:
        mixed, mixed_rss = run_mixed(args.engine_workers)
        rows.append(
            (
                f"mixed load: engine at {args.engine_workers} workers + 200 concurrent gateway "
                "generations + history reads: peak RSS (MB)",
                "",
                "",
                "",
                f"{mixed_rss.before:.0f} → {mixed_rss.peak:.0f} (gateway {mixed.gateway_ok}/200 "
                f"in {mixed.wall_s:.1f} s, failed {mixed.gateway_failed}; engine renders "
                f"{mixed.engine_ok}, failed {mixed.engine_failed}; history reads "
                f"{mixed.history_reads}, failed {mixed.history_failed})",
                "",
                "< 400, all 200 succeed",
                ok(mixed_rss.peak < 400 and mixed.gateway_ok == 200),
            )
        )
    table = [
        f"Upstream: fake_upstream.py, {DELAY_S:g} s delay; client: shared loadgen.py "
        f"({args.n} concurrent POSTs; ours with {args.users} users' bearer tokens); one server "
        "process each (reference: bench/ref_gateway.py under uvicorn; ours: `ai-music serve`; "
        "original stand-in: gunicorn 1 worker × 2 threads). Printed by "
        f"`.venv/bin/python bench/bench_gateway.py{''.join(' ' + a for a in sys.argv[1:])}`.",
        note,
        f"Load average at the end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}.",
        "",
        "| measure | upstream directly | reference: Starlette + aiohttp | the same, httpx API "
        "over aiohttp | ai-music-backend | original stand-in | target | |",
        "|---|---|---|---|---|---|---|---|",
        *[f"| {' | '.join(row)} |" for row in rows],
    ]
    text = "\n".join(table)
    print(text)
    args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
