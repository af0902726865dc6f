"""Memory floor (issue 2): the RSS a process reaches by importing the stack, before any of our code.

The foundation issue asks for idle RSS ≤ 80 MB and names the stack: FastAPI, Pydantic v2 +
pydantic-settings, SQLAlchemy 2 async (aiosqlite, asyncpg), Alembic, argon2-cffi, PyJWT,
uvicorn[standard]. This measures what importing that stack costs on its own, step by step, each
step in a fresh interpreter that imports everything the steps before it did; then the libraries
the later issues brought (httpx for the gateway, prometheus_client, limits); then our server,
started and idle, as bench_api.py measures it.

Run: `.venv/bin/python bench/bench_memory_floor.py`. Prints a Markdown table and writes it to
bench/results/memory_floor.md.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from _servers import ROOT, machine_note, ours, rss_mb

PROBE = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
for line in open("/proc/self/status"):
    if line.startswith("VmRSS:"):
        print(int(line.split()[1]) / 1024)
"""

STEPS: list[tuple[str, list[str]]] = [
    ("Python 3.11 with asyncio and ssl", ["asyncio", "ssl"]),
    ("+ FastAPI, Pydantic v2, pydantic-settings", ["fastapi", "pydantic_settings"]),
    ("+ uvicorn[standard] (uvloop, httptools)", ["uvicorn", "uvicorn.main", "uvloop", "httptools"]),
    (
        "+ SQLAlchemy 2 async with aiosqlite (imports the ORM)",
        ["sqlalchemy.ext.asyncio", "sqlalchemy.dialects.sqlite.aiosqlite", "aiosqlite"],
    ),
    ("+ argon2-cffi, PyJWT", ["argon2", "jwt"]),
    ("+ httpx (the gateway, issue 3)", ["httpx"]),
    ("+ aiohttp and httpx-aiohttp (the gateway's client, issue 13)", ["aiohttp", "httpx_aiohttp"]),
    ("+ prometheus_client, limits (metrics, rate limits)", ["prometheus_client", "limits"]),
]
RUNS = 3


def import_rss(modules: list[str]) -> float:
    def once() -> float:
        output = subprocess.run(
            [sys.executable, "-c", PROBE, *modules], capture_output=True, text=True, check=True
        ).stdout
        return float(output.strip())

    return statistics.median(once() for _ in range(RUNS))


def main() -> None:
    note = machine_note(load_generator=False)
    rows: list[tuple[str, float]] = []
    modules: list[str] = []
    for label, step in STEPS:
        modules += step
        rows.append((label, import_rss(modules)))
        print(f"{label}: {rows[-1][1]:.1f} MB", flush=True)
    with ours() as (_, process):
        time.sleep(1)
        rows.append(("ai-music-backend started and idle (`ai-music serve`)", rss_mb(process.pid)))
    print(f"{rows[-1][0]}: {rows[-1][1]:.1f} MB", flush=True)

    lines = [
        f"RSS after importing, cumulatively (median of {RUNS} fresh interpreters), then our "
        "server idle.",
        note,
        "",
        "| step | RSS (MB) | added (MB) |",
        "|---|---|---|",
    ]
    previous = 0.0
    for label, rss in rows:
        lines.append(f"| {label} | {rss:.1f} | {rss - previous:+.1f} |")
        previous = rss
    text = "\n".join(lines)
    print(text)
    (ROOT / "bench" / "results" / "memory_floor.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
