"""LiveJob's progress: the figure a client sees never goes backwards."""

from __future__ import annotations

import time

from ai_music.generation.live_job import LiveJob
from ai_music.generation.service import JobSpec
from ai_music.generation.upstreams.base import GenerationParams, Progress

PARAMS = GenerationParams(
    prompt="x", duration=5, mood="Happy", tempo=120, instruments="piano", seed=None
)


def running_job(seconds_ago: float) -> LiveJob:
    live = LiveJob(spec=JobSpec(job_id="j", user_id=1, params=PARAMS, format="wav"))
    live.status, live.started_at = "running", time.monotonic() - seconds_ago
    return live


def test_the_estimate_grows_with_elapsed_time_and_stops_short_of_1() -> None:
    progress, eta = running_job(3).estimate(10)
    assert 0.29 <= progress <= 0.4
    assert eta is not None and 6 <= eta <= 7.1
    assert running_job(100).estimate(10)[0] == 0.95


def test_an_upstream_that_starts_reporting_late_does_not_move_progress_back() -> None:
    live = running_job(3)
    shown, _ = live.estimate(10)
    live.on_progress(Progress(fraction=0.0, eta_seconds=20))  # e.g. Gradio's queue estimate
    assert live.estimate(10)[0] >= shown
    live.on_progress(Progress(fraction=0.5))
    assert live.estimate(10)[0] == 0.5
    live.on_progress(Progress(fraction=0.25))
    assert live.estimate(10)[0] == 0.5
