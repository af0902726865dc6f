"""The optional SoundFont path, with a one-sine SoundFont written by the test itself."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from ai_music.engine import EngineInputError, EnginePool, EngineRequest, render
from ai_music.engine.composer import compose
from ai_music.engine.plan import make_plan, variation
from tests.engine.analysis import average_spectrum, chroma, estimate_tempo, read_wav
from tests.engine.tiny_sf2 import tiny_sf2

pytest.importorskip(
    "tinysoundfont", reason="the SoundFont path needs the 'soundfont' extra (tinysoundfont)"
)

REQUEST = {"mood": "calm", "instruments": "piano, bass", "duration": 8.0, "seed": 5}


@pytest.fixture(scope="module")
def sine_font(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Only program 0 and a drum kit: the bass (GM 33) falls back to program 0.
    path = tmp_path_factory.mktemp("sf2") / "sine.sf2"
    path.write_bytes(tiny_sf2(((0, 0), (128, 0))))
    return path


def _wav(font: Path, **fields: object) -> tuple[np.ndarray, int, bytes]:
    request = EngineRequest(format="wav", **{**REQUEST, **fields})  # type: ignore[arg-type]
    result = render(request, soundfont=str(font))
    audio, rate = read_wav(result.audio)
    return audio, rate, result.audio


def test_the_soundfont_plays_the_score_s_notes(sine_font: Path) -> None:
    audio, rate, data = _wav(sine_font)
    assert audio.shape == (2, round(REQUEST["duration"] * rate))  # type: ignore[operator]
    assert 0.05 < np.abs(audio).max() <= 10 ** (-1 / 20)
    mono = audio.mean(axis=0)
    # The font's only sample is a sine: almost nothing above 3 kHz, unlike the built-in piano.
    power, freqs = average_spectrum(mono, rate)
    assert power[freqs > 3000].sum() / power.sum() < 1e-3
    # The pitch classes heard are the score's.
    plan = make_plan(prompt="", duration=8.0, mood="calm", tempo=None, instruments="piano, bass")
    score = compose(plan, variation(5, ""))
    expected = np.zeros(12)
    for note in score.notes:
        expected[note.pitch % 12] += note.duration
    assert float(np.corrcoef(chroma(mono, rate), expected)[0, 1]) > 0.7
    # Same seed, same bytes.
    assert _wav(sine_font)[2] == data


def test_notes_sit_on_the_requested_tempo(sine_font: Path) -> None:
    audio, rate, _ = _wav(
        sine_font, mood="happy", instruments="piano, bass", tempo=112, duration=12.0
    )
    estimated = estimate_tempo(audio.mean(axis=0), rate, near=112)
    assert abs(estimated - 112) / 112 <= 0.02


def test_drums_play_on_channel_10_only_when_the_font_has_a_kit(
    sine_font: Path, tmp_path: Path
) -> None:
    no_kit = tmp_path / "nokit.sf2"
    no_kit.write_bytes(tiny_sf2(((0, 0),)))
    fields = {"mood": "energetic", "instruments": "drums", "duration": 4.0}
    with_kit, _, _ = _wav(sine_font, **fields)
    assert np.abs(with_kit).max() > 0.05
    with pytest.raises(EngineInputError, match="no preset"):
        _wav(no_kit, **fields)


async def test_the_pool_renders_with_its_soundfont(sine_font: Path) -> None:
    pool = EnginePool(max_workers=1, soundfont=str(sine_font))
    try:
        result = await pool.render(EngineRequest(format="wav", **REQUEST))  # type: ignore[arg-type]
    finally:
        await pool.aclose()
    assert result.audio == _wav(sine_font)[2]


def test_a_bad_soundfont_is_a_clear_input_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.sf2"
    with pytest.raises(EngineInputError, match="cannot load SoundFont"):
        render(EngineRequest(**REQUEST), soundfont=str(missing))  # type: ignore[arg-type]
    junk = tmp_path / "junk.sf2"
    junk.write_bytes(b"RIFF\x04\x00\x00\x00junk")
    with pytest.raises(EngineInputError, match="cannot load SoundFont"):
        render(EngineRequest(**REQUEST), soundfont=str(junk))  # type: ignore[arg-type]


def test_without_tinysoundfont_the_error_says_what_to_install(
    sine_font: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "tinysoundfont", None)
    with pytest.raises(EngineInputError, match=r"ai-music-backend\[soundfont\]"):
        render(EngineRequest(**REQUEST), soundfont=str(sine_font))  # type: ignore[arg-type]
