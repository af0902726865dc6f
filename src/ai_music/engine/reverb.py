"""A light convolution reverb: a synthetic stereo room impulse response.

The impulse response is decaying noise whose high frequencies die sooner (as in a real
room), different in each ear for width, after a short pre-delay. The send is convolved at
half the sample rate (a reverb tail holds little above 11 kHz) by overlap-add FFT blocks,
which halves the cost and keeps memory bounded for long pieces.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ai_music.engine.synth import SAMPLE_RATE, Signal

RATE = SAMPLE_RATE // 2
IR_SECONDS = 1.6
DECAY_SECONDS = 1.4  # RT60 of the low frequencies
PREDELAY_SECONDS = 0.018
FFT_SIZE = 1 << 16


@lru_cache(maxsize=1)
def impulse_spectra() -> np.ndarray:
    """FFT of the stereo impulse response, shape (2, FFT_SIZE // 2 + 1)."""
    rng = np.random.default_rng(1234)
    n = int(IR_SECONDS * RATE)
    t = np.arange(n) / RATE
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    responses = []
    for _ in range(2):
        noise = np.fft.rfft(rng.standard_normal(n))
        # Two bands: the bright one decays three times faster than the dark one.
        dark = np.fft.irfft(noise * (freqs < 2500), n) * np.exp(-6.9 * t / DECAY_SECONDS)
        bright = np.fft.irfft(noise * (freqs >= 2500), n) * np.exp(-6.9 * t / (DECAY_SECONDS / 3))
        response = dark + 0.6 * bright
        response[: int(PREDELAY_SECONDS * RATE)] = 0
        response /= np.sqrt(np.sum(response**2))
        responses.append(np.fft.rfft(response, FFT_SIZE))
    return np.stack(responses)


def _half_rate(signal: Signal) -> Signal:
    """Low-pass with a [1, 2, 1] / 4 kernel and keep every second sample."""
    padded = np.concatenate([signal[:1], signal, signal[-1:]])
    smoothed = 0.25 * padded[:-2] + 0.5 * padded[1:-1] + 0.25 * padded[2:]
    return smoothed[::2]


def _full_rate(signal: Signal, length: int) -> Signal:
    """Linear interpolation back to the full sample rate."""
    out = np.empty(2 * len(signal), dtype=np.float32)
    out[0::2] = signal
    out[1:-1:2] = 0.5 * (signal[:-1] + signal[1:])
    out[-1] = signal[-1]
    return out[:length]


def reverb(send: Signal) -> Signal:
    """The wet stereo signal (2, len(send)) for a mono send."""
    length = len(send)
    if length < 4 or not np.any(send):
        return np.zeros((2, length), dtype=np.float32)
    reduced = _half_rate(send)
    spectra = impulse_spectra()
    ir_length = int(IR_SECONDS * RATE)
    block = FFT_SIZE - ir_length
    wet = np.zeros((2, len(reduced) + FFT_SIZE), dtype=np.float32)
    for start in range(0, len(reduced), block):
        chunk = np.fft.rfft(reduced[start : start + block], FFT_SIZE)
        wet[:, start : start + FFT_SIZE] += np.fft.irfft(chunk * spectra, FFT_SIZE).astype(
            np.float32
        )
    return np.stack(
        [_full_rate(wet[0, : len(reduced)], length), _full_rate(wet[1, : len(reduced)], length)]
    )
