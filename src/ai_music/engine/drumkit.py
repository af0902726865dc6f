"""Drum sounds from swept sines and band-shaped noise, one cached one-shot per General MIDI
key and velocity layer (three layers: a soft hit is darker and shorter, not only quieter)."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from ai_music.engine import score as gm  # the General MIDI drum keys
from ai_music.engine.sound import SAMPLE_RATE, Signal, Tone, time_axis

_NOISE_SEED = 20240


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


def _kick(hard: float) -> Signal:
    t = time_axis(0.5)
    body = _swept_sine(t, 130 + 60 * hard, 48, 0.03 + 0.01 * hard) * _decay(t, 0.16)
    click = _noise(0.5, 1000, 4000 + 4000 * hard, gm.KICK) * _decay(t, 0.004)
    return _peak_normalised(body + (1.0 + 2.0 * hard) * click, 1.0)


def _snare(hard: float) -> Signal:
    t = time_axis(0.4)
    # Harder hits excite more of the snares' high rattle and more of the shell's ring.
    rattle = _noise(0.4, 1500, 7000 + 6000 * hard, gm.SNARE) * _decay(t, 0.05 + 0.04 * hard)
    body = (np.sin(2 * np.pi * 185 * t) + 0.5 * np.sin(2 * np.pi * 330 * t)) * _decay(t, 0.05)
    return _peak_normalised((2.5 + 2.5 * hard) * rattle + body, 0.8)


def _rimshot(hard: float) -> Signal:
    t = time_axis(0.15)
    click = _noise(0.15, 800, 5000, gm.RIMSHOT) * _decay(t, 0.012)
    knock = np.sin(2 * np.pi * 1700 * t) * _decay(t, 0.02)
    return _peak_normalised((2 + 2 * hard) * click + 0.5 * knock, 0.55)


def _clap(hard: float) -> Signal:
    t = time_axis(0.35)
    envelope = _decay(t, 0.07 + 0.04 * hard)
    for burst in (0.0, 0.011, 0.022):
        envelope = np.maximum(
            envelope, np.where(t >= burst, _decay(np.maximum(t - burst, 0), 0.006), 0)
        )
    return _peak_normalised(_noise(0.35, 900, 6000 + 4000 * hard, gm.CLAP) * envelope, 0.75)


def _hat(seconds: float, decay_s: float, key: int, level: float, hard: float) -> Signal:
    t = time_axis(seconds)
    low = 9000 - 3000 * hard  # a harder stick brings out the lower, louder wash
    return _peak_normalised(_noise(seconds, low, 16000, key) * _decay(t, decay_s), level)


def _cymbal(
    seconds: float, decay_s: float, key: int, level: float, ping: float, hard: float
) -> Signal:
    t = time_axis(seconds)
    wash = _noise(seconds, 3500 - 1500 * hard, 16000, key) * _decay(t, decay_s * (0.7 + 0.5 * hard))
    # A few inharmonic partials give the cymbal its metallic ring.
    metal = sum(np.sin(2 * np.pi * f * t) for f in (3100.0, 4270.0, 5510.0, 7330.0)) * _decay(
        t, decay_s * 1.5
    )
    return _peak_normalised(wash * 6 + ping * metal * 0.05, level)


def _tom(start_hz: float, end_hz: float, hard: float) -> Signal:
    t = time_axis(0.6)
    body = _swept_sine(t, start_hz * (1 + 0.15 * hard), end_hz, 0.06) * _decay(t, 0.22)
    return _peak_normalised(
        body + (0.3 + 0.5 * hard) * _noise(0.6, 300, 4000, int(end_hz)) * _decay(t, 0.02), 0.85
    )


def _shaker(hard: float) -> Signal:
    t = time_axis(0.12)
    grains = _noise(0.12, 4000, 14000, gm.SHAKER) * np.sin(np.pi * np.minimum(t / 0.06, 1)) ** 2
    return _peak_normalised(grains * _decay(t, 0.03 + 0.02 * hard), 0.3)


def _clave(hard: float) -> Signal:
    t = time_axis(0.2)
    ping = np.sin(2 * np.pi * 2500 * t) * _decay(t, 0.025 + 0.01 * hard)
    return _peak_normalised(ping + 0.1 * _noise(0.2, 2000, 8000, gm.CLAVE) * _decay(t, 0.003), 0.5)


_SOUNDS: dict[int, Callable[[float], Signal]] = {
    gm.KICK: _kick,
    gm.SNARE: _snare,
    gm.RIMSHOT: _rimshot,
    gm.CLAP: _clap,
    gm.CLOSED_HAT: lambda hard: _hat(0.25, 0.025 + 0.02 * hard, gm.CLOSED_HAT, 0.35, hard),
    gm.OPEN_HAT: lambda hard: _hat(0.7, 0.15 + 0.12 * hard, gm.OPEN_HAT, 0.35, hard),
    gm.CRASH: lambda hard: _cymbal(2.2, 0.7, gm.CRASH, 0.5, 0.5, hard),
    gm.RIDE: lambda hard: _cymbal(1.2, 0.35, gm.RIDE, 0.3, 2.0, hard),
    gm.LOW_TOM: lambda hard: _tom(130, 85, hard),
    gm.HIGH_TOM: lambda hard: _tom(190, 130, hard),
    gm.SHAKER: _shaker,
    gm.CLAVE: _clave,
}
VELOCITY_LAYERS = 3


def layer_for(velocity: float) -> int:
    """Which of the velocity layers a hit of this velocity (0..1) plays."""
    return min(VELOCITY_LAYERS - 1, int(velocity * VELOCITY_LAYERS))


@lru_cache(maxsize=48)
def drum(key: int, layer: int = VELOCITY_LAYERS - 1) -> Tone:
    """The one-shot for a drum key at a velocity layer (soft hits are darker and shorter,
    hard ones brighter: not only quieter); unknown keys play the closed hi-hat."""
    make = _SOUNDS.get(key, _SOUNDS[gm.CLOSED_HAT])
    return Tone(make(layer / (VELOCITY_LAYERS - 1)), looped=False, attack=0.0, release=0.0)
