"""Integrated loudness (LUFS) after ITU-R BS.1770-4, computed in the frequency domain.

The K-weighting filter is the standard pair of biquads (a high shelf modelling the head,
a high-pass at 38 Hz) with coefficients derived for any sample rate. Instead of running the
recursive filters sample by sample, each 100 ms sub-block's energy is weighted by the
filters' magnitude response (Parseval), and 400 ms gating blocks with 75 % overlap are the
mean of four sub-blocks. The result agrees with the time-domain filter to a small fraction
of a LU on music, at a fraction of the cost.
"""

from __future__ import annotations

import math

import numpy as np

_SUB_BLOCKS_PER_CHUNK = 32

Biquad = tuple[tuple[float, float, float], tuple[float, float, float]]  # (b, a), a[0] == 1


def k_weighting_biquads(sample_rate: float) -> tuple[Biquad, Biquad]:
    """The BS.1770 pre-filter (high shelf) and RLB high-pass for the given sample rate."""
    # High shelf, +4 dB above ~1.7 kHz.
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / sample_rate)
    vh = 10 ** (gain_db / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf: Biquad = (
        ((vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0),
        (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0),
    )
    # High-pass at 38 Hz.
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / sample_rate)
    a0 = 1 + k / q + k * k
    highpass: Biquad = ((1.0, -2.0, 1.0), (1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0))
    return shelf, highpass


def _power_response(biquad: Biquad, freqs: np.ndarray, sample_rate: float) -> np.ndarray:
    z = np.exp(-1j * 2 * np.pi * freqs / sample_rate)
    (b0, b1, b2), (_, a1, a2) = biquad
    response = (b0 + b1 * z + b2 * z * z) / (1 + a1 * z + a2 * z * z)
    return np.asarray(np.abs(response) ** 2)


def integrated_loudness(stereo: np.ndarray, sample_rate: int) -> float:
    """LUFS of a (channels, samples) signal; -inf for silence or pieces under 400 ms."""
    sub = int(0.1 * sample_rate)
    count = stereo.shape[1] // sub
    if count < 4:
        return -math.inf
    freqs = np.fft.rfftfreq(sub, 1 / sample_rate)
    shelf, highpass = k_weighting_biquads(sample_rate)
    weight = _power_response(shelf, freqs, sample_rate) * _power_response(
        highpass, freqs, sample_rate
    )
    # rfft keeps one side of the spectrum: every bin but DC and Nyquist stands for two.
    weight[1:] *= 2
    if sub % 2 == 0:
        weight[-1] /= 2
    weight32 = weight.astype(np.float32)
    energy = np.empty(count, dtype=np.float64)
    # A few seconds of sub-blocks at a time: the spectra of a whole piece at once would be
    # the engine's largest allocation (four times the size of the mix).
    for first in range(0, count, _SUB_BLOCKS_PER_CHUNK):
        last = min(count, first + _SUB_BLOCKS_PER_CHUNK)
        blocks = np.asarray(stereo[:, first * sub : last * sub], dtype=np.float32)
        spectra = np.fft.rfft(blocks.reshape(blocks.shape[0], last - first, sub), axis=2)
        power = spectra.real**2
        power += spectra.imag**2
        # Channels are summed with weight 1.0 each (BS.1770 for left and right).
        # einsum, not a matrix product: BLAS would wake its own threads.
        weighted = np.einsum("cbf,f->b", power, weight32)
        energy[first:last] = weighted.astype(np.float64) / (sub * sub)
    block_power = np.convolve(energy, np.ones(4) / 4, mode="valid")
    return gated_loudness(block_power)


def gated_loudness(block_power: np.ndarray) -> float:
    """Apply the absolute (-70 LUFS) and relative (-10 LU) gates to 400 ms block powers."""
    with np.errstate(divide="ignore"):
        block_lufs = -0.691 + 10 * np.log10(block_power)
    kept = block_power[block_lufs > -70]
    if len(kept) == 0:
        return -math.inf
    relative_gate = -0.691 + 10 * math.log10(float(np.mean(kept))) - 10
    with np.errstate(divide="ignore"):
        kept_lufs = -0.691 + 10 * np.log10(kept)
    final = kept[kept_lufs > relative_gate]
    return -0.691 + 10 * math.log10(float(np.mean(final)))
