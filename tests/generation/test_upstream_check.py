"""``ai-music upstream check`` against real Gradio apps on loopback, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ai_music.generation.upstream_check import fix_for
from ai_music.generation.upstreams.base import (
    UpstreamBadAnswer,
    UpstreamConnectionError,
    UpstreamError,
    UpstreamHTTPError,
    UpstreamTimeout,
)
from ai_music.generation.upstreams.config import UpstreamConfig
from tests.generation.job_support import gradio_received
from tests.support.app import loopback_upstream


def check(tmp_path: Path, upstreams: list[dict[str, Any]], *args: str) -> tuple[int, str]:
    env = {
        **os.environ,
        "AI_MUSIC_DATA_DIR": str(tmp_path / "data"),
        "AI_MUSIC_UPSTREAMS": json.dumps(upstreams),
    }
    done = subprocess.run(
        [sys.executable, "-m", "ai_music.cli", "upstream", "check", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr


def space(name: str, url: str, **options: Any) -> dict[str, Any]:
    return loopback_upstream(name, url, kind="gradio", **options)


def test_check_prints_the_mapping_and_runs_a_test_generation(
    tmp_path: Path, gradio_apps_url: str
) -> None:
    status, output = check(tmp_path, [space("sliders", f"{gradio_apps_url}/sliders")])
    assert status == 0, output
    for expected in (
        "sliders (gradio)",
        "described: /gradio_api/info",
        "protocol:  queue",
        "endpoint:  /music",
        "text ('Describe the music') [textbox] ← prompt + instruments written into the text",
        "length ('Length (seconds)') [slider 1–15] ← duration",
        "mood ('Mood') [dropdown of Happy, Sad, Energetic, Calm] ← mood",
        "bpm ('BPM') [slider 60–140] ← tempo",
        "temperature ('Temperature') [slider 0.1–1.5] ← its default 0.7",
        "outputs:   audio (taken as the music)",
        "100% done",
        "✓ test generation: WAV",
    ):
        assert expected in output, output
    calls = gradio_received(gradio_apps_url, "sliders", "a short test tune")
    assert calls, "the test generation did not reach the app"


def test_check_fails_with_a_fix_it_message(tmp_path: Path, gradio_apps_url: str) -> None:
    upstreams = [
        space("blocks", f"{gradio_apps_url}/blocks"),
        space("readme", f"{gradio_apps_url}/readme"),
    ]
    status, output = check(tmp_path, upstreams, "--no-generate")
    assert status == 1, output
    assert "endpoint:  /generate" in output  # the other upstream is still checked
    assert "/compose_song → audio (taken as the music)" in output
    assert "fix: set this upstream's api_name" in output
    assert "test generation" not in output


def test_check_names_an_unknown_upstream(tmp_path: Path) -> None:
    status, output = check(tmp_path, [space("a", "http://127.0.0.1:9/")], "b")
    assert status == 2 and "no upstream named 'b'" in output


@pytest.mark.parametrize(
    ("error", "url", "advice"),
    [
        (UpstreamHTTPError("x", http_status=404), "https://huggingface.co/spaces/a/b", "hf_token"),
        (UpstreamHTTPError("x", http_status=401), "https://a-b.hf.space", "private Space"),
        (UpstreamHTTPError("x", http_status=503), "https://a-b.hf.space", "starting, sleeping"),
        (UpstreamConnectionError("x"), "https://0a1b.gradio.live", "paste the new one"),
        (UpstreamTimeout("x"), "https://a-b.hf.space", "raise timeout_s (now 180)"),
        (UpstreamBadAnswer("x"), "https://a-b.hf.space", "gr.Audio"),
    ],
)
def test_fix_it_messages(error: UpstreamError, url: str, advice: str) -> None:
    config = UpstreamConfig(name="s", kind="gradio", url=url)
    assert advice in fix_for(error, config)
