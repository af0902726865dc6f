"""Foundation benchmark: our server against the original's stand-in, on this machine.

Measures, for one server process each: requests/s of GET /health and of an authenticated
GET /get-history/<username> returning 50 entries (ours checks the bearer token on every
request; the original checks nothing), and our server's idle and loaded RSS.

Needs: wrk (Debian package `wrk`), and flask, flask-cors, requests for the stand-in
(`pip install -r bench/requirements.txt`). Run: `.venv/bin/python bench/bench_api.py`.
Prints a Markdown table and writes it to bench/results/api.md.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import threading
import time

import httpx
from _servers import ROOT, ours, rss_mb, seed_baseline, tree_rss_mb

HISTORY_ROWS = 50
ENTRY = {
    "prompt": "Calm ambient music",
    "mood": "Happy",
    "instruments": "piano",
    "tempo": 120,
    "duration": 20,
}


def wrk(url: str, seconds: int, headers: dict[str, str] | None = None) -> float:
    command = ["wrk", "-t2", "-c50", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        raise RuntimeError(f"{url}: {non_2xx.group(1)} error responses under load")
    assert match, output
    return float(match.group(1))


USER = {
    "fullName": "Bench",
    "username": "bench",
    "email": "bench@example.com",
    "password": "benchmark-pw",
}


def prepare_ours(base: str) -> dict[str, str]:
    httpx.post(base + "/signup", json=USER).raise_for_status()
    token = httpx.post(base + "/signin", json=USER).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    for _ in range(HISTORY_ROWS):
        httpx.post(base + "/save-history", json=ENTRY, headers=headers).raise_for_status()
    rows = httpx.get(base + "/get-history/bench", headers=headers).json()
    assert len(rows) == HISTORY_ROWS, len(rows)
    return headers


def prepare_seed(base: str) -> None:
    httpx.post(base + "/signup", json=USER).raise_for_status()
    for _ in range(HISTORY_ROWS):
        httpx.post(base + "/save-history", json={"username": "bench", **ENTRY}).raise_for_status()
    assert len(httpx.get(base + "/get-history/bench").json()) == HISTORY_ROWS


class PeakRss:
    """Samples a process tree's RSS every 50 ms while a load runs."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_mb(self.pid))
            time.sleep(0.05)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="median of this many wrk runs")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

    def median_rate(url: str, headers: dict[str, str] | None = None) -> float:
        return statistics.median(wrk(url, args.seconds, headers) for _ in range(args.rounds))

    with seed_baseline() as (seed, seed_process):
        prepare_seed(seed)
        seed_health = median_rate(seed + "/health")
        seed_history = median_rate(seed + "/get-history/bench")
        seed_rss = tree_rss_mb(seed_process.pid)

    with ours() as (base, process):
        headers = prepare_ours(base)
        time.sleep(1)
        idle_rss = rss_mb(process.pid)
        with PeakRss(process.pid) as peak:
            our_health = median_rate(base + "/health")
            our_history = median_rate(base + "/get-history/bench", headers)

    # The same read with the history page cache off: every request queries and renders.
    with ours({"AI_MUSIC_HISTORY_CACHE_BYTES": "0"}) as (base, process):
        headers = prepare_ours(base)
        uncached_history = median_rate(base + "/get-history/bench", headers)

    rows = [
        (
            "GET /health (req/s)",
            f"{seed_health:,.0f}",
            f"{our_health:,.0f}",
            f"{our_health / seed_health:.2f}×",
            "≥ 2×",
        ),
        (
            f"GET /get-history, {HISTORY_ROWS} rows (req/s)",
            f"{seed_history:,.0f} (no auth)",
            f"{our_history:,.0f} (bearer token checked; page cache on, the default)",
            f"{our_history / seed_history:.2f}×",
            "≥ 1.5×",
        ),
        (
            "the same, history page cache off",
            "",
            f"{uncached_history:,.0f}",
            f"{uncached_history / seed_history:.2f}×",
            "",
        ),
        ("idle RSS (MB)", f"{seed_rss:.0f} (master + worker)", f"{idle_rss:.0f}", "", "≤ 80"),
        ("peak RSS under load (MB)", "", f"{peak.peak:.0f}", "", ""),
    ]
    table = [
        f"wrk -t2 -c50 -d{args.seconds}s, median of {args.rounds} runs; one server process each.",
        "",
        "| measure | original stand-in | ai-music-backend | ratio | target |",
        "|---|---|---|---|---|",
        *[f"| {' | '.join(row)} |" for row in rows],
    ]
    text = "\n".join(table)
    print(text)
    (ROOT / "bench" / "results" / "api.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
