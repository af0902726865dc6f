"""Brute force against one account from one address, on a real `ai-music serve` on loopback.

2,000 wrong passwords from one address, twice: spread over 30 s (within a minute, as the issue
asks), then as fast as 16 connections allow. Meanwhile the account's owner signs in every
200 ms, each time from another address. Addresses are simulated with X-Forwarded-For, believed
because the server is started with AI_MUSIC_TRUSTED_PROXIES=127.0.0.1. Printed: how many
attempts reached the password hasher (the server's own counter,
ai_music_password_hash_operations_total{operation="verify"}), the server's CPU time for the
attack (/proc/<pid>/stat), and the owner's sign-in latencies.

    .venv/bin/python bench/bench_bruteforce.py [--attempts 2000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import statistics
import sys
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _servers import ROOT, cpu_seconds, ours

ATTACKER = "203.0.113.66"
OWNER_HOME = "198.51.100.7"


def owner_address(n: int) -> str:
    """Each legitimate sign-in from its own address: people sign in once, not 5 times a second."""
    return f"198.51.100.{10 + n % 200}"


VICTIM = {
    "fullName": "Victim",
    "username": "victim",
    "email": "v@example.com",
    "password": "the-real-one",
}


def hasher_verifications(base: str) -> float:
    text = httpx.get(base + "/metrics").text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "ai_music_password_hash_operations_total" and sample.labels == {
                "operation": "verify"
            }:
                return sample.value
    return 0.0


async def attack(
    client: httpx.AsyncClient, attempts: int, concurrency: int, seconds: float
) -> collections.Counter[int]:
    """``attempts`` wrong passwords, the n-th sent no earlier than n * seconds / attempts."""
    statuses: collections.Counter[int] = collections.Counter()
    queue = iter(range(attempts))
    start = time.perf_counter()

    async def worker() -> None:
        for n in queue:
            await asyncio.sleep(max(0.0, start + n * seconds / attempts - time.perf_counter()))
            response = await client.post(
                "/signin",
                json={"username": VICTIM["username"], "password": f"guess-{n}"},
                headers={"X-Forwarded-For": ATTACKER},
            )
            statuses[response.status_code] += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return statuses


async def owner_signins(client: httpx.AsyncClient, stop: asyncio.Event) -> list[tuple[int, float]]:
    results: list[tuple[int, float]] = []
    while not stop.is_set():
        started = time.perf_counter()
        response = await client.post(
            "/signin",
            json={"username": VICTIM["username"], "password": VICTIM["password"]},
            headers={"X-Forwarded-For": owner_address(len(results))},
        )
        results.append((response.status_code, (time.perf_counter() - started) * 1000))
        await asyncio.sleep(0.2)
    return results


async def run(base: str, pid: int, attempts: int, concurrency: int, seconds: float) -> list[str]:
    limits = httpx.Limits(max_connections=concurrency + 2)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        created = await client.post("/signup", json=VICTIM, headers={"X-Forwarded-For": OWNER_HOME})
        created.raise_for_status()
        verified_before = hasher_verifications(base)
        cpu_before = cpu_seconds(pid)
        stop = asyncio.Event()
        owner = asyncio.create_task(owner_signins(client, stop))
        started = time.perf_counter()
        statuses = await attack(client, attempts, concurrency, seconds)
        elapsed = time.perf_counter() - started
        stop.set()
        owner_results = await owner
        cpu = cpu_seconds(pid) - cpu_before
        reached = hasher_verifications(base) - verified_before
    owner_ok = [ms for status, ms in owner_results if status == 200]
    owner_codes = collections.Counter(status for status, _ in owner_results)
    assert owner_ok, owner_codes
    return [
        f"attack: {attempts} wrong passwords for one account from one address, "
        f"{concurrency} connections, in {elapsed:.1f} s",
        f"attack answers: {dict(sorted(statuses.items()))}",
        f"attacker's attempts that reached the password hasher: "
        f"{reached - len(owner_results) + owner_codes[429]:.0f} of {attempts} "
        f"(hasher counter +{reached:.0f}, "
        f"{len(owner_results) - owner_codes[429]} of them the owner's)",
        f"server CPU time during the attack: {cpu:.2f} s",
        f"owner's sign-ins from another address during the attack: {dict(owner_codes)}, "
        f"latency ms min {min(owner_ok):.0f} / median {statistics.median(owner_ok):.0f} / "
        f"max {max(owner_ok):.0f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attempts", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--spread", type=float, default=30.0, help="seconds for the paced run")
    args = parser.parse_args()
    env = {"AI_MUSIC_TRUSTED_PROXIES": "127.0.0.1", "AI_MUSIC_LOG_LEVEL": "INFO"}
    lines = [
        "ai-music serve, default limits (sign-in: 10 per 5 minutes per address+account,",
        "60 per minute per address), argon2id defaults, one worker, JSON request logs, loopback.",
    ]
    for title, seconds in ((f"paced over {args.spread:.0f} s", args.spread), ("flat out", 0.0)):
        with ours(env) as (base, process):
            lines += ["", f"## {title}"]
            lines += asyncio.run(run(base, process.pid, args.attempts, args.concurrency, seconds))
    text = "\n".join(lines)
    print(text)
    (ROOT / "bench" / "results" / "bruteforce.txt").write_text(text + "\n")


if __name__ == "__main__":
    main()
