"""Old engine against new on the same machine at the same time: warm 30 s renders of ten
genres' prompts, median of 20, alternating old, new, old, new, so a shared machine's load
falls on both alike.

    git archive <commit> | tar -x -C /tmp/engine_old
    .venv/bin/python bench/compare_engines.py /tmp/engine_old/src
"""

from __future__ import annotations

import subprocess
import sys

_RUN = """
import statistics, time
from ai_music.engine import EngineRequest, render
prompts = ["happy", "lofi hip hop beats to study", "energetic rock with drums",
    "late night jazz with a saxophone", "epic orchestral soundtrack", "calm ambient music",
    "edm festival drop", "bossa nova at a cafe", "heavy metal",
    "sad classical piece for violin and cello"]
for i in range(3):
    render(EngineRequest(prompt=prompts[i], duration=30, seed=i))
times = []
for i, prompt in enumerate(prompts * 2):
    started = time.perf_counter()
    render(EngineRequest(prompt=prompt, duration=30, seed=100 + i))
    times.append(time.perf_counter() - started)
print(f"{statistics.median(times):.3f}")
"""


def median_seconds(src: str | None) -> float:
    env = {"PYTHONPATH": src} if src else {}
    out = subprocess.run(
        [sys.executable, "-c", _RUN], capture_output=True, text=True, check=True, env=env
    )
    return float(out.stdout.strip())


def load_average() -> str:
    with open("/proc/loadavg") as file:
        return " ".join(file.read().split()[:3])


def main() -> None:
    old_src = sys.argv[1]
    for run in (1, 2):
        old = median_seconds(old_src)
        new = median_seconds(None)
        print(
            f"run {run}: old {old:.3f} s, new {new:.3f} s, new/old {new / old:.2f} "
            f"(load {load_average()})"
        )


if __name__ == "__main__":
    main()
