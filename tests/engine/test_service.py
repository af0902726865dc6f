"""render(), formats, the worker pool, the standalone server and the CLI."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ai_music.engine import EngineInputError, EnginePool, EngineRequest, render
from ai_music.engine.loudness import integrated_loudness, k_weighting_biquads
from ai_music.engine.server import create_app
from tests.engine.analysis import read_wav


def _mp3_frames(data: bytes) -> int:
    """Count MPEG-1 Layer III frames by walking their headers."""
    bitrates = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
    offset, frames = 0, 0
    while offset + 4 <= len(data):
        b1, b2 = data[offset + 1], data[offset + 2]
        if data[offset] != 0xFF or (b1 & 0xFE) != 0xFA:
            offset += 1
            continue
        bitrate = bitrates[b2 >> 4] * 1000
        padding = (b2 >> 1) & 1
        offset += 144 * bitrate // 44100 + padding
        frames += 1
    return frames


def test_mp3_is_valid_and_about_the_requested_length() -> None:
    result = render(EngineRequest(prompt="folk", duration=8.0, seed=1))
    assert (result.format, result.media_type) == ("mp3", "audio/mpeg")
    seconds = _mp3_frames(result.audio) * 1152 / 44100
    assert 8.0 <= seconds <= 8.2


def test_wav_and_midi_formats() -> None:
    wav = render(EngineRequest(duration=2.0, seed=1, format="wav"))
    audio, rate = read_wav(wav.audio)
    assert (wav.media_type, rate, audio.shape) == ("audio/wav", 44100, (2, 88200))
    mid = render(EngineRequest(duration=2.0, seed=1, format="mid"))
    assert mid.media_type == "audio/midi" and mid.audio.startswith(b"MThd")


def test_bad_input_is_refused_clearly() -> None:
    with pytest.raises(EngineInputError):
        render(EngineRequest(format="ogg"))
    with pytest.raises(EngineInputError):
        render(EngineRequest(duration=float("nan")))


def test_the_engine_s_loudness_meter_agrees_with_pyloudnorm() -> None:
    pyloudnorm = pytest.importorskip("pyloudnorm")
    audio, rate = read_wav(
        render(EngineRequest(mood="energetic", duration=4.0, seed=9, format="wav")).audio
    )
    independent = pyloudnorm.Meter(rate).integrated_loudness(audio.T)
    assert abs(integrated_loudness(audio, rate) - independent) < 0.3


def test_k_weighting_matches_the_published_48k_coefficients() -> None:
    shelf, highpass = k_weighting_biquads(48000)
    assert np.allclose(shelf[0], (1.53512485958697, -2.69169618940638, 1.19839281085285))
    assert np.allclose(shelf[1], (1.0, -1.69065929318241, 0.73248077421585))
    assert np.allclose(highpass[1], (1.0, -1.99004745483398, 0.99007225036621))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prompt=st.text(max_size=60),
    duration=st.floats(min_value=-5, max_value=5.0, allow_nan=False),
    mood=st.none()
    | st.sampled_from(["happy", "sad", "epic", "dreamy", "nope"])
    | st.text(max_size=12),
    tempo=st.none() | st.integers(min_value=-10, max_value=500),
    instruments=st.none()
    | st.text(max_size=40)
    | st.sampled_from(["drums", "bass", "piano, pad", "organ+bells"]),
    seed=st.none() | st.integers(min_value=0, max_value=2**40),
    fmt=st.sampled_from(["wav", "mid"]),
)
def test_any_parameters_give_valid_audio(
    prompt: str,
    duration: float,
    mood: str | None,
    tempo: int | None,
    instruments: str | None,
    seed: int | None,
    fmt: str,
) -> None:
    result = render(EngineRequest(prompt, duration, mood, tempo, instruments, seed, fmt))
    assert 40 <= result.tempo <= 220 and 1.0 <= result.duration_s <= 600
    if fmt == "wav":
        audio, rate = read_wav(result.audio)
        assert audio.shape[1] == round(result.duration_s * rate)
        assert np.abs(audio).max() <= 10 ** (-1 / 20)
    else:
        assert result.audio.startswith(b"MThd")


async def test_pool_renders_off_the_event_loop_within_its_bound() -> None:
    pool = EnginePool(max_workers=2)
    try:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        started = time.perf_counter()
        results = await asyncio.gather(
            *(pool.render(EngineRequest(duration=6.0, seed=s)) for s in range(3))
        )
        elapsed = time.perf_counter() - started
        task.cancel()
        assert [r.seed for r in results] == [0, 1, 2]
        # The loop kept ticking while pieces rendered: it was never blocked for long.
        assert ticks >= elapsed / 0.01 * 0.3
        assert pool._executor is not None and pool._executor._max_workers == 2  # type: ignore[attr-defined]
    finally:
        await pool.aclose()


async def test_server_contract() -> None:
    app = create_app(workers=1)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://engine") as client:
        health = await client.get("/health")
        assert health.status_code == 200
        body = {
            "prompt": "happy folk",
            "duration": 3,
            "mood": "happy",
            "tempo": 100,
            "instruments": "guitar",
            "seed": 5,
        }
        response = await client.post("/generate", json=body)
        assert response.status_code == 200
        assert response.headers["content-type"] == "audio/mpeg"
        assert int(response.headers["content-length"]) == len(response.content) > 1000
        assert response.headers["x-engine-seed"] == "5"
        assert response.headers["x-engine-instruments"] == "guitar"
        assert response.headers["x-engine-tempo"] == "100"
        wav = await client.post("/", json={**body, "format": "wav"})
        assert wav.headers["content-type"] == "audio/wav"
        for bad in (
            {"duration": "long"},
            {"duration": 0},
            {"format": "ogg"},
            {"tempo": 1e9},
            [1, 2],
        ):
            refused = await client.post("/generate", json=bad)
            assert refused.status_code == 400 and "error" in refused.json()
        garbage = await client.post("/generate", content=b"{not json")
        assert garbage.status_code == 400


def test_compose_cli_writes_the_file_with_a_progress_line(tmp_path: Path) -> None:
    output = tmp_path / "night.wav"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "ai_music.engine.cli",
            "compose",
            "calm piano at night",
            "--mood",
            "calm",
            "--tempo",
            "70",
            "--duration",
            "3",
            "--seed",
            "11",
            "-o",
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert "100%" in completed.stderr and "seed 11" in completed.stderr
    audio, _ = read_wav(output.read_bytes())
    assert audio.shape[1] == 3 * 44100


def test_importing_the_engine_starts_no_workers_and_stays_light() -> None:
    code = (
        "import sys, threading; import ai_music.engine as e; "
        "heavy = [m for m in ('lameenc', 'starlette', 'uvicorn', 'fastapi', 'sqlalchemy', "
        "'ai_music.core.config') if m in sys.modules]; "
        "print(threading.active_count(), heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    ).stdout.split(maxsplit=1)
    assert out == ["1", "[]\n"] or out == ["1", "[]"]
