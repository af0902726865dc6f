"""Drum sounds from sines and shaped noise, one cached one-shot per General MIDI key."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from ai_music.engine.score import (
    CLAP,
    CLOSED_HAT,
    CRASH,
    HIGH_TOM,
    KICK,
    LOW_TOM,
    OPEN_HAT,
    RIDE,
    RIMSHOT,
    SNARE,
)
from ai_music.engine.synth import SAMPLE_RATE, Signal, Tone

_NOISE_SEED = 20240


def _time(seconds: float) -> Signal:
    return np.arange(int(seconds * SAMPLE_RATE), dtype=np.float32) / np.float32(SAMPLE_RATE)


def _noise(seconds: float, low_hz: float, high_hz: float, key: int) -> Signal:
    """White noise band-limited in the frequency domain."""
    n = int(seconds * SAMPLE_RATE)
    rng = np.random.default_rng(_NOISE_SEED + key)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    spectrum[(freqs < low_hz) | (freqs > high_hz)] = 0
    return np.asarray(np.fft.irfft(spectrum, n) / np.sqrt(n), dtype=np.float32)


def _decay(t: Signal, seconds: float) -> Signal:
    return np.exp(t * np.float32(-1.0 / seconds))


def _swept_sine(t: Signal, start_hz: float, end_hz: float, sweep_s: float) -> Signal:
    """A sine whose pitch falls exponentially from start_hz to end_hz: kicks and toms."""
    freq = end_hz + (start_hz - end_hz) * np.exp(-t / sweep_s)
    phase = np.cumsum(freq) * (2 * np.pi / SAMPLE_RATE)
    return np.sin(phase).astype(np.float32)


def _peak_normalised(signal: Signal, level: float) -> Signal:
    peak = float(np.max(np.abs(signal))) or 1.0
    faded = signal.copy()
    tail = min(len(faded), int(0.01 * SAMPLE_RATE))
    faded[-tail:] *= np.linspace(1, 0, tail, dtype=np.float32)  # no click at the sample's end
    return (faded * (level / peak)).astype(np.float32)


def _kick() -> Signal:
    t = _time(0.5)
    body = _swept_sine(t, 160, 48, 0.035) * _decay(t, 0.16)
    click = _noise(0.5, 1000, 6000, KICK) * _decay(t, 0.004)
    return _peak_normalised(body + 2.0 * click, 1.0)


def _snare() -> Signal:
    t = _time(0.4)
    rattle = _noise(0.4, 1500, 12000, SNARE) * _decay(t, 0.07)
    body = np.sin(2 * np.pi * 190 * t) * _decay(t, 0.05)
    return _peak_normalised(4 * rattle + body, 0.8)


def _rimshot() -> Signal:
    t = _time(0.15)
    click = _noise(0.15, 800, 5000, RIMSHOT) * _decay(t, 0.012)
    knock = np.sin(2 * np.pi * 1700 * t) * _decay(t, 0.02)
    return _peak_normalised(3 * click + 0.5 * knock, 0.55)


def _clap() -> Signal:
    t = _time(0.35)
    envelope = _decay(t, 0.09)
    for burst in (0.0, 0.011, 0.022):
        envelope = np.maximum(
            envelope, np.where(t >= burst, _decay(np.maximum(t - burst, 0), 0.006), 0)
        )
    return _peak_normalised(_noise(0.35, 900, 8000, CLAP) * envelope, 0.75)


def _hat(seconds: float, decay_s: float, key: int, level: float) -> Signal:
    t = _time(seconds)
    return _peak_normalised(_noise(seconds, 7000, 16000, key) * _decay(t, decay_s), level)


def _cymbal(seconds: float, decay_s: float, key: int, level: float, ping: float) -> Signal:
    t = _time(seconds)
    wash = _noise(seconds, 3500, 16000, key) * _decay(t, decay_s)
    # A few inharmonic partials give the cymbal its metallic ring.
    metal = sum(np.sin(2 * np.pi * f * t) for f in (3100.0, 4270.0, 5510.0, 7330.0)) * _decay(
        t, decay_s * 1.5
    )
    return _peak_normalised(wash * 6 + ping * metal * 0.05, level)


def _tom(start_hz: float, end_hz: float) -> Signal:
    t = _time(0.6)
    body = _swept_sine(t, start_hz, end_hz, 0.06) * _decay(t, 0.22)
    return _peak_normalised(
        body + 0.6 * _noise(0.6, 300, 4000, int(end_hz)) * _decay(t, 0.02), 0.85
    )


_SOUNDS: dict[int, Callable[[], Signal]] = {
    KICK: _kick,
    SNARE: _snare,
    RIMSHOT: _rimshot,
    CLAP: _clap,
    CLOSED_HAT: lambda: _hat(0.25, 0.035, CLOSED_HAT, 0.35),
    OPEN_HAT: lambda: _hat(0.7, 0.22, OPEN_HAT, 0.35),
    CRASH: lambda: _cymbal(2.2, 0.7, CRASH, 0.5, 0.5),
    RIDE: lambda: _cymbal(1.2, 0.35, RIDE, 0.3, 2.0),
    LOW_TOM: lambda: _tom(130, 85),
    HIGH_TOM: lambda: _tom(190, 130),
}


@lru_cache(maxsize=16)
def drum(key: int) -> Tone:
    """The one-shot for a drum key; unknown keys play the closed hi-hat."""
    make = _SOUNDS.get(key, _SOUNDS[CLOSED_HAT])
    return Tone(make(), looped=False, attack=0.0, release=0.0)
