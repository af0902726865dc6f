"""A light convolution reverb: a synthetic stereo room impulse response.

The impulse response is decaying noise whose high frequencies die sooner (as in a real
room), different in each ear for width, after a short pre-delay. The send is convolved at
half the sample rate (a reverb tail holds little above 11 kHz) by overlap-add FFT blocks,
which halves the cost and keeps memory bounded for long pieces.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import numpy as np

from ai_music.engine.sound import SAMPLE_RATE, Signal

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
    """Low-pass with a [1, 2, 1] / 4 kernel and keep every second sample.

    Only the kept samples are computed (edges repeat the end samples), in float32.
    """
    even = signal[0::2]
    odd = signal[1::2]
    before = np.empty_like(even)  # signal[2k - 1]
    before[0] = signal[0]
    before[1:] = odd[: len(even) - 1]
    after = np.empty_like(even)  # signal[2k + 1]
    after[: len(odd)] = odd
    after[len(odd) :] = signal[-1]
    before *= np.float32(0.25)
    before += np.float32(0.5) * even
    after *= np.float32(0.25)
    before += after
    return before


def _wet_segments(send: Signal) -> Iterator[Signal]:
    """The half-rate wet signal (2, m), one finished overlap-add block at a time.

    Block k's convolution reaches into the next blocks, so only a carry of one FFT length
    is kept; a block is final once every earlier block has been added to it.
    """
    reduced = _half_rate(send)
    spectra = impulse_spectra()
    block = FFT_SIZE - int(IR_SECONDS * RATE)
    carry = np.zeros((2, FFT_SIZE), dtype=np.float32)
    for start in range(0, len(reduced), block):
        chunk = np.fft.rfft(reduced[start : start + block], FFT_SIZE)
        carry += np.fft.irfft(chunk * spectra, FFT_SIZE).astype(np.float32)
        yield carry[:, : min(block, len(reduced) - start)].copy()
        carry[:, :-block] = carry[:, block:]
        carry[:, -block:] = 0


def add_reverb(send: Signal, stereo: Signal) -> None:
    """Add the wet stereo signal for a mono send to `stereo` (2, len(send)), in place.

    The wet signal is computed at half the rate and brought back to the full rate by linear
    interpolation (even samples as they are, odd ones the midpoint of their neighbours), a
    block at a time: no full-length copy of the wet signal is ever held.
    """
    length = len(send)
    if length < 4 or not np.any(send):
        return
    position = 0  # half-rate index of the segment's first sample
    pending: Signal | None = None  # the previous segment's last sample, per channel
    for segment in _wet_segments(send):
        size = segment.shape[1]
        stereo[:, 2 * position : 2 * (position + size) : 2] += segment
        if pending is not None:
            # The odd sample between the previous segment's end and this one's start.
            stereo[:, 2 * position - 1] += (pending + segment[:, 0]) * np.float32(0.5)
        middle = segment[:, :-1] + segment[:, 1:]
        middle *= np.float32(0.5)
        stereo[:, 2 * position + 1 : 2 * (position + size) - 1 : 2] += middle
        pending = segment[:, -1].copy()
        position += size
    # The very last odd sample (if the piece has an even length) repeats the last one.
    if pending is not None and 2 * position - 1 < length:
        stereo[:, 2 * position - 1] += pending


def reverb(send: Signal) -> Signal:
    """The wet stereo signal (2, len(send)) for a mono send."""
    wet = np.zeros((2, len(send)), dtype=np.float32)
    add_reverb(send, wet)
    return wet
