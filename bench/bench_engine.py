"""Engine benchmark: prints the figures docs/engine.md and the README quote.

- warm: a 30 s piece composed, synthesized, mastered and MP3-encoded, after warm-up
  (median over prompts of many genres and moods with different seeds, so tone caches are
  only partly warm), in wall-clock seconds and in CPU seconds of the process (all its
  threads): the CPU figure moves much less with the other work on a shared machine;
- first piece: a fresh interpreter imports the engine and renders one 30 s MP3;
- peak RSS of that fresh engine process (ru_maxrss);
- threads vs processes: two pieces rendered concurrently on two workers.
Run with `.venv/bin/python bench/bench_engine.py` on a quiet machine; it prints the load
average before and after, since the figures scale with it on a shared machine.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

from ai_music.engine import EngineRequest, render

PIECE_SECONDS = 30.0
PROMPTS = (
    "happy",
    "lofi hip hop beats to study",
    "energetic rock with drums",
    "late night jazz with a saxophone",
    "epic orchestral soundtrack",
    "calm ambient music",
    "edm festival drop",
    "bossa nova at a cafe",
    "heavy metal",
    "sad classical piece for violin and cello",
)

_FRESH = """
import json, resource, time
started = time.perf_counter()
from ai_music.engine import EngineRequest, render
result = render(EngineRequest(duration=30.0, prompt="happy pop song", seed=1))
first = time.perf_counter() - started
for seed, prompt in zip(range(2, 6), ("rock", "epic orchestral", "jazz", "lofi")):
    render(EngineRequest(duration=30.0, prompt=prompt, seed=seed))
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"first": first, "rss_mb": rss_mb}))
"""


def warm_render_seconds() -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds of each warm render."""
    for seed in range(3):
        render(EngineRequest(duration=PIECE_SECONDS, prompt=PROMPTS[seed], seed=seed))
    wall, cpu = [], []
    for index, prompt in enumerate(PROMPTS * 2):
        started, started_cpu = time.perf_counter(), time.process_time()
        render(EngineRequest(duration=PIECE_SECONDS, prompt=prompt, seed=100 + index))
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return wall, cpu


def fresh_process() -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", _FRESH], capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout))


def concurrent_seconds(kind: str) -> float:
    import asyncio

    from ai_music.engine import EnginePool

    async def run() -> float:
        pool = EnginePool(max_workers=2, kind=kind)  # type: ignore[arg-type]
        await pool.render(EngineRequest(duration=5.0, seed=0))  # start workers, warm caches
        await pool.render(EngineRequest(duration=5.0, seed=1))
        started = time.perf_counter()
        await asyncio.gather(
            *(
                pool.render(EngineRequest(duration=PIECE_SECONDS, prompt=p, seed=7))
                for p in PROMPTS[:4]
            )
        )
        elapsed = time.perf_counter() - started
        await pool.aclose()
        return elapsed

    return asyncio.run(run())


def load_average() -> str:
    with open("/proc/loadavg") as file:
        return " ".join(file.read().split()[:3])


def main() -> None:
    print(f"load average before: {load_average()}")
    times, cpu = warm_render_seconds()
    median = statistics.median(times)
    print(
        f"warm 30 s render + MP3: median {median:.3f} s, "
        f"min {min(times):.3f} s, max {max(times):.3f} s"
        f" ({PIECE_SECONDS / median:.0f}x real time)"
    )
    print(
        f"CPU time of a warm 30 s piece (all threads): median {statistics.median(cpu):.3f} s, "
        f"min {min(cpu):.3f} s, max {max(cpu):.3f} s"
    )
    fresh = [fresh_process() for _ in range(3)]
    print(
        f"first 30 s piece in a fresh process (import + render + MP3): "
        f"{statistics.median(f['first'] for f in fresh):.3f} s (median of 3)"
    )
    print(
        f"peak RSS of the engine process after 5 pieces: {max(f['rss_mb'] for f in fresh):.0f} MB"
    )
    for kind in ("thread", "process"):
        print(f"4 x 30 s pieces on a 2-worker {kind} pool: {concurrent_seconds(kind):.3f} s")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
