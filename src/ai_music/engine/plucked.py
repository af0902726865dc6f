"""Plucked voices: Karplus-Strong strings for the nylon guitar, the harp and the overdriven
electric guitar (with its cabinet)."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ai_music.engine.sound import SAMPLE_RATE, Signal, Tone, fade_in, normalise, seeded_rng
from ai_music.engine.struck import additive
from ai_music.engine.theory import midi_to_hz


def _karplus_strong(
    voice: str, pitch: int, seconds: float, smoothing: int, brightness: float
) -> Signal:
    """Karplus-Strong plucked string, computed a period at a time, then tuned exactly.

    smoothing widens the pluck (a fingertip rather than a plectrum); brightness (0..1) is
    how much of the upper overtones survive each round trip of the string.
    """
    freq = midi_to_hz(pitch)
    period = max(2, int(SAMPLE_RATE / freq))
    produced = SAMPLE_RATE / (period + 0.5)
    wanted = int(seconds * SAMPLE_RATE)
    total = int(wanted * freq / produced) + 2 * period
    # Per-period loss: lower strings ring longer, as on a real guitar.
    loss = float(np.clip(0.996 + 0.0025 * (110.0 / freq), 0.99, 0.9995))
    excitation = seeded_rng(voice, pitch).uniform(-1, 1, period + 1)
    excitation = np.convolve(excitation, np.ones(smoothing) / smoothing, mode="same")
    line = np.zeros(total + period + 1)
    line[: period + 1] = excitation
    newer = 0.5 + 0.35 * brightness  # weight of the newer sample in the averaging filter
    for start in range(period + 1, total + 1, period):
        end = min(start + period, len(line))
        previous = line[start - period - 1 : end - period]
        line[start:end] = loss * (newer * previous[1:] + (1 - newer) * previous[:-1])
    positions = np.arange(wanted) * (freq / produced)
    return np.asarray(np.interp(positions, np.arange(len(line)), line), dtype=np.float32)


def guitar(pitch: int) -> Tone:
    """Acoustic (nylon) guitar: a plucked string, pick softened a little."""
    tuned = _karplus_strong("guitar", pitch, 2.5, 3, 0.0)
    return Tone(normalise(fade_in(tuned, 0.001)), looped=False, attack=0.0, release=0.08)


def harp(pitch: int) -> Tone:
    """A harp string: plucked with the fingertip (a wide, soft excitation), ringing long."""
    tuned = _karplus_strong("harp", pitch, 3.0, 9, 0.0)
    fundamental = additive(midi_to_hz(pitch), [1.0], [0.5], [1.5], 3.0)
    return Tone(normalise(fade_in(tuned + fundamental, 0.002)), False, 0.0, 0.3)


def electric_guitar(pitch: int) -> Tone:
    """An overdriven electric guitar: a bright pick on a steel string, driven into a soft
    clipper (odd harmonics, compressed sustain), then a 4x12 cabinet's treble roll-off."""
    string = _karplus_strong("electric_guitar", pitch, 2.0, 1, 0.6)
    string /= float(np.max(np.abs(string))) or 1.0
    driven = np.tanh(np.float32(7.0) * string)
    cabinet = _filtered(driven, _cabinet_response())
    return Tone(normalise(fade_in(cabinet, 0.001)), False, 0.0, 0.06)


_CABINET_FFT = 1 << 17  # a power of two above the 2 s electric guitar tone


def _one_pole_response(cutoff_hz: float) -> np.ndarray:
    alpha = 1 - math.exp(-2 * math.pi * cutoff_hz / SAMPLE_RATE)
    z = np.exp(-2j * np.pi * np.fft.rfftfreq(_CABINET_FFT))
    response: np.ndarray = alpha / (1 - (1 - alpha) * z)
    return response


@lru_cache(maxsize=1)
def _cabinet_response() -> np.ndarray:
    """Two one-pole low-passes at 3.5 kHz, then the low end tightened (the signal minus its
    90 Hz low-pass)."""
    response: np.ndarray = _one_pole_response(3500.0) ** 2 * (1 - _one_pole_response(90.0))
    response.setflags(write=False)
    return response


def _filtered(signal: Signal, response: np.ndarray) -> Signal:
    """A filter applied as its frequency response, in one FFT (the tone decays to silence, so
    the circular wrap-around adds nothing audible)."""
    n = len(signal)
    spectrum = np.fft.rfft(signal.astype(np.float64), _CABINET_FFT) * response
    return np.asarray(np.fft.irfft(spectrum, _CABINET_FFT)[:n], dtype=np.float32)
