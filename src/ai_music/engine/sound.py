"""What every synthesized voice shares: the sample rate, the Tone a voice renders once per
pitch, and the small helpers for making one (a per-tone random generator, normalising, a
click-free start)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 44100

Signal = np.ndarray


@dataclass(frozen=True)
class Tone:
    samples: Signal  # float32, peak about 1
    looped: bool  # sustained: repeat samples for as long as the note lasts
    attack: float  # seconds of fade-in applied to looped tones
    release: float  # seconds of fade-out after the note ends
    transient: Signal | None = None  # added at the start of each note (breath, key click)


def seeded_rng(voice: str, pitch: int) -> np.random.Generator:
    # crc32, not hash(): the same tone must come out in every process.
    return np.random.default_rng(zlib.crc32(f"{voice}:{pitch}".encode()))


def time_axis(seconds: float) -> Signal:
    """Sample times in seconds, float32."""
    return np.arange(int(seconds * SAMPLE_RATE), dtype=np.float32) / np.float32(SAMPLE_RATE)


def normalise(signal: Signal) -> Signal:
    peak = float(np.max(np.abs(signal))) or 1.0
    return (signal / peak).astype(np.float32)


def fade_in(signal: Signal, seconds: float) -> Signal:
    n = min(len(signal), max(1, int(seconds * SAMPLE_RATE)))
    signal[:n] *= np.linspace(0.0, 1.0, n, dtype=np.float32)
    return signal
