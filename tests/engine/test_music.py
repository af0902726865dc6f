"""The music itself, measured from the rendered audio: tempo, length, mode, timbre, levels."""

from __future__ import annotations

import numpy as np
import pytest

from ai_music.engine.moods import MOODS
from tests.engine.analysis import estimate_tempo
from tests.engine.renders import rendered, wav_of


@pytest.mark.parametrize(
    ("mood", "tempo", "instruments"),
    [
        ("happy", 112, None),
        ("energetic", 147, None),
        ("sad", 68, None),
        ("calm", 70, "piano"),
        ("romantic", 90, "piano and bass"),
        ("epic", 100, "strings, drums"),
        (None, 123, "guitar, bass, drums"),
    ],
)
def test_tempo_estimated_from_onsets_is_within_two_percent(
    mood: str | None, tempo: int, instruments: str | None
) -> None:
    audio, rate = wav_of(mood=mood, tempo=tempo, instruments=instruments, duration=16.0, seed=3)
    estimated = estimate_tempo(audio.mean(axis=0), rate, near=tempo)
    assert abs(estimated - tempo) / tempo <= 0.02, f"estimated {estimated:.1f} BPM for {tempo}"


@pytest.mark.parametrize("duration", [1.0, 2.5, 7.3, 12.0, 33.3])
def test_duration_is_exact_to_the_sample_and_ends_in_silence(duration: float) -> None:
    audio, rate = wav_of(duration=duration, mood="happy", seed=1)
    assert audio.shape[1] == round(duration * rate)
    # A proper ending fades to nothing instead of cutting a note off.
    assert np.abs(audio[:, -32:]).max() < 1e-3
    assert np.abs(audio[:, : audio.shape[1] // 2]).max() > 0.05


@pytest.mark.parametrize("mood", sorted(MOODS))
def test_levels_true_peak_under_minus_one_dbtp_no_dc_and_loudness_near_target(mood: str) -> None:
    # pyloudnorm's BS.1770 meter and scipy's 4x oversampling: not the engine's own K-weighting.
    pyloudnorm = pytest.importorskip("pyloudnorm")
    signal = pytest.importorskip("scipy.signal")
    audio, rate = wav_of(mood=mood, duration=10.0, seed=2)
    true_peak = np.abs(signal.resample_poly(audio, 4, 1, axis=1)).max()
    assert 20 * np.log10(true_peak) <= -1.0
    assert np.abs(audio.mean(axis=1)).max() < 1e-3
    assert -17.0 <= pyloudnorm.Meter(rate).integrated_loudness(audio.T) <= -15.0


def test_no_clicks_at_note_edges() -> None:
    # A click is a sample-to-sample jump far larger than the music's own slope.
    audio, _ = wav_of(instruments="piano, strings, pad, flute", mood="calm", duration=10.0, seed=4)
    jumps = np.abs(np.diff(audio, axis=1))
    assert jumps.max() < 0.25
    assert np.percentile(jumps, 99.99) < 0.12


def test_same_seed_same_bytes_and_no_seed_fresh_pieces() -> None:
    first = rendered(prompt="lofi study beat", duration=5.0, seed=42, format="mp3")
    from ai_music.engine import EngineRequest, render

    again = render(EngineRequest(prompt="lofi study beat", duration=5.0, seed=42, format="mp3"))
    assert again.audio == first.audio and again.seed == 42
    fresh_a = render(EngineRequest(prompt="lofi study beat", duration=3.0, format="wav"))
    fresh_b = render(EngineRequest(prompt="lofi study beat", duration=3.0, format="wav"))
    assert fresh_a.seed != fresh_b.seed
    assert fresh_a.audio != fresh_b.audio
