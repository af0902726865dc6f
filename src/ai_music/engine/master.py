"""Mastering: DC removal, the ending fade, loudness to -16 LUFS and a peak limiter.

The limiter computes one gain per short block, spreads each block's gain reduction over
its neighbours (look-ahead and release) and interpolates between blocks, so gain changes
are smooth and every sample stays under the ceiling without clipping.
"""

from __future__ import annotations

import math

import numpy as np

from ai_music.engine.loudness import integrated_loudness
from ai_music.engine.sound import SAMPLE_RATE, Signal

TARGET_LUFS = -16.0
# Sample-peak ceiling with a margin under the promised -1 dBFS for 16-bit rounding and MP3.
CEILING_DBFS = -1.5
FADE_OUT_SECONDS = 1.5
FADE_IN_SECONDS = 0.005
_LIMITER_BLOCK = 64
_LIMITER_CHUNK = 1 << 16
_LIMITER_SMOOTH_BLOCKS = 24  # ~35 ms either side at 44.1 kHz


def master(stereo: Signal) -> Signal:
    """A release-ready (2, n) float32 signal: peaks <= CEILING_DBFS, about TARGET_LUFS."""
    # Works in place on the mix: a long piece's buffers are the engine's largest allocations.
    out = stereo
    out -= stereo.mean(axis=1, keepdims=True)
    _fade_edges(out)
    ceiling = 10 ** (CEILING_DBFS / 20)
    loudness = integrated_loudness(out, SAMPLE_RATE)
    if math.isfinite(loudness):
        out *= np.float32(min(10 ** ((TARGET_LUFS - loudness) / 20), 60.0))
        before = _mean_square(out)
        out = limit(out, ceiling)
        # Limiting lowers the loudness by about the energy it removed: give that back once.
        lost = before / max(_mean_square(out), 1e-12)
        if lost > 1.02:
            out *= np.float32(min(math.sqrt(lost), 1.5))
            out = limit(out, ceiling)
    else:
        out = limit(out, ceiling)
    # The fades end the signal at exact zero, so the last DC correction cannot undo them.
    out -= out.mean(axis=1, keepdims=True)
    _fade_edges(out)
    np.clip(out, -ceiling, ceiling, out=out)
    return out


def _mean_square(stereo: Signal) -> float:
    flat = stereo.reshape(-1)
    # einsum, not np.dot: BLAS would wake its own threads, which spin on a shared machine.
    return float(np.einsum("i,i->", flat, flat)) / max(1, flat.size)


def _fade_edges(stereo: Signal) -> None:
    n = stereo.shape[1]
    fade_in = min(n, int(FADE_IN_SECONDS * SAMPLE_RATE))
    stereo[:, :fade_in] *= np.linspace(0, 1, fade_in, dtype=np.float32)
    fade_out = min(n // 3, int(FADE_OUT_SECONDS * SAMPLE_RATE))
    if fade_out:
        curve = np.cos(np.linspace(0, np.pi / 2, fade_out, dtype=np.float32)) ** 2
        stereo[:, n - fade_out :] *= curve


def _sliding_min(values: np.ndarray, radius: int) -> np.ndarray:
    padded = np.pad(values, radius, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * radius + 1)
    return np.asarray(windows.min(axis=1))


def limit(stereo: Signal, ceiling: float) -> Signal:
    """Smooth gain reduction so that no sample exceeds ceiling."""
    n = stereo.shape[1]
    blocks = -(-n // _LIMITER_BLOCK)
    block_peak = np.zeros(blocks, dtype=np.float32)
    # Block peaks a chunk at a time (the chunk is a whole number of blocks): no full-length
    # temporaries.
    for start in range(0, n, _LIMITER_CHUNK):
        stop = min(n, start + _LIMITER_CHUNK)
        peak = np.zeros(-(-(stop - start) // _LIMITER_BLOCK) * _LIMITER_BLOCK, dtype=np.float32)
        np.maximum(
            np.abs(stereo[0, start:stop]), np.abs(stereo[1, start:stop]), out=peak[: stop - start]
        )
        first = start // _LIMITER_BLOCK
        block_peak[first : first + len(peak) // _LIMITER_BLOCK] = peak.reshape(
            -1, _LIMITER_BLOCK
        ).max(axis=1)
    if float(block_peak.max()) <= ceiling:
        return stereo
    needed = np.minimum(1.0, ceiling / np.maximum(block_peak, 1e-9))
    radius = _LIMITER_SMOOTH_BLOCKS
    # The minimum over a window wider than the average's window keeps each averaged gain at
    # or below what every block it touches needs, including the neighbours interpolated to.
    floor = _sliding_min(needed, radius + 1)
    smooth = np.convolve(
        np.pad(floor, radius, mode="edge"), np.ones(2 * radius + 1) / (2 * radius + 1), "valid"
    )
    centres = (np.arange(blocks) + 0.5) * _LIMITER_BLOCK
    # Applied in chunks, in place, so a long piece needs no second full-length buffer.
    for start in range(0, n, _LIMITER_CHUNK):
        positions = np.arange(start, min(n, start + _LIMITER_CHUNK))
        stereo[:, positions[0] : positions[-1] + 1] *= np.interp(positions, centres, smooth).astype(
            np.float32
        )
    return stereo
