"""Sustained voices (strings, violin, cello, choir, pad, flute, clarinet, sax, brass, organ):
a seamless loop per pitch, built in the frequency domain. Every partial sits on an exact FFT
bin of the loop, so the loop repeats without a seam; detuned copies of each partial give
the ensemble shimmer, random-phase bins the bow or breath noise, and a periodic time warp
the vibrato. The loop is a whole number of beats long (loop_samples)."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from ai_music.engine.sound import SAMPLE_RATE, Signal, Tone, normalise, seeded_rng
from ai_music.engine.sustained_recipes import ARTICULATION, SUSTAINED_RECIPES, Bowed, Formants
from ai_music.engine.theory import midi_to_hz

MIN_LOOP_SECONDS = 2.0  # partials of sustained tones are quantised to 1 / loop length
LOOPED_VOICES = frozenset(ARTICULATION)


@lru_cache(maxsize=64)
def loop_samples(tempo: int) -> int:
    """Loop length for sustained tones: 1, 2, 4 or 8 beats, at least MIN_LOOP_SECONDS.

    Any loop repeats its small ensemble fluctuations once per loop; tying the loop to the
    beat puts that repetition on the metre instead of beating against it.
    """
    beat = 60.0 / tempo
    beats = 2 ** math.ceil(math.log2(MIN_LOOP_SECONDS / beat)) if beat < MIN_LOOP_SECONDS else 1
    return _fft_friendly(round(beats * beat * SAMPLE_RATE))


def _fft_friendly(n: int) -> int:
    """The length nearest n whose prime factors are all at most 13.

    The loop is one inverse FFT of its length. A length with a large prime factor (68 BPM
    gives 155647 = 317 x 491) sends the FFT to Bluestein's algorithm: 30 times slower and
    about 20 MB of scratch memory per tone. The nearest smooth length is at most 0.2 %
    (mean 0.04 %) away over 40-220 BPM, so the loop stays on the beat within a few ms per loop.
    """
    for distance in range(n):
        for candidate in (n - distance, n + distance):
            rest = candidate
            for prime in (2, 3, 5, 7, 11, 13):
                while rest % prime == 0:
                    rest //= prime
            if rest == 1:
                return candidate
    return n


def _body(freqs: Signal, formants: Formants) -> Signal:
    """Spectral envelope: a floor plus one resonance per formant."""
    envelope = np.full(freqs.shape, 0.15)
    for centre, width, gain in formants:
        envelope += gain / (1 + ((freqs - centre) / width) ** 2)
    return np.asarray(envelope)


def _loop(pitch: int, voice: str, length: int, recipe: Bowed) -> Signal:
    """A seamless loop: each partial and its detuned copies land on exact FFT bins, noise is
    random-phase bins in a band, and vibrato warps time periodically, so the loop repeats
    without a seam.

    Detuned copies sit d bins either side with d a power of two, so every beating between them
    repeats 1, 2, 4... times per loop: on the beat grid, never in threes against it.
    """
    freq = midi_to_hz(pitch)
    seconds = length / SAMPLE_RATE
    spectrum = np.zeros(length // 2 + 1, dtype=np.complex128)
    rng = seeded_rng(voice, pitch)
    harmonics = np.arange(1, recipe.partials + 1)
    amplitudes = 1.0 / harmonics**recipe.slope
    amplitudes[1::2] *= recipe.odd_only
    if recipe.rolloff:
        amplitudes *= np.exp(-harmonics / recipe.rolloff)
    if recipe.formants:
        amplitudes *= _body(freq * harmonics, recipe.formants)
    if recipe.lowpass_hz:
        amplitudes /= 1 + (freq * harmonics / recipe.lowpass_hz) ** 4
    kept = freq * harmonics < SAMPLE_RATE * 0.45
    partials, amplitudes = freq * harmonics[kept], amplitudes[kept]
    centres = np.round(partials * seconds).astype(np.int64)
    if recipe.detune_cents > 0:
        # Each partial draws its own phase, then its two detuned copies' (in that order).
        phases = np.exp(2j * np.pi * rng.random((len(partials), 3)))
        spread_bins = partials * (2 ** (recipe.detune_cents / 1200) - 1) * seconds
        offsets = 2 ** np.maximum(0, np.round(np.log2(np.maximum(1.0, spread_bins))))
        sides = (centres, centres - offsets.astype(np.int64), centres + offsets.astype(np.int64))
        for column, (bins, gain) in enumerate(zip(sides, (1.0, 0.7, 0.7), strict=True)):
            np.add.at(spectrum, bins, gain * amplitudes * phases[:, column])
        touched = np.unique(np.concatenate(sides))
    else:
        np.add.at(spectrum, centres, amplitudes * np.exp(2j * np.pi * rng.random(len(partials))))
        touched = np.unique(centres)
    if recipe.noise:
        low, high = (round(f * seconds) for f in recipe.noise_band)
        count = max(1, high - low)
        # The tone's energy, from the few bins that hold it (a sum over the whole spectrum
        # costs more than the rest of the loop).
        energy = float(np.sum(np.abs(spectrum[touched]) ** 2))
        level = math.sqrt(recipe.noise * energy / count)
        phases = np.exp(2j * np.pi * rng.random(count))
        shape = _body(np.arange(low, high) / seconds, recipe.formants) if recipe.formants else 1.0
        spectrum[low:high] += level * phases * shape
    loop = np.fft.irfft(spectrum, n=length)
    if recipe.vibrato_hz:
        loop = _vibrato(loop, recipe.vibrato_hz, recipe.vibrato_cents)
    return normalise(loop)


def _vibrato(loop: Signal, rate_hz: float, cents: float) -> Signal:
    """Periodic time warp t + D sin(2 pi f t): the pitch swings by `cents` at a rate that
    fits a whole number of times in the loop, so the loop stays seamless."""
    index, fraction = _warp(len(loop), rate_hz, cents)
    ring = np.append(loop.astype(np.float32), np.float32(loop[0]))
    before: Signal = np.take(ring, index)
    # Linear interpolation between the two samples around each read position.
    before += (np.take(ring[1:], index) - before) * fraction
    return before


@lru_cache(maxsize=16)
def _warp(n: int, rate_hz: float, cents: float) -> tuple[np.ndarray, Signal]:
    """The vibrato's read positions for a loop of n samples (shared by all its pitches), as
    the sample before each position and the fraction of the way to the next."""
    seconds = n / SAMPLE_RATE
    rate = max(1, round(rate_hz * seconds)) / seconds
    depth = (2 ** (cents / 1200) - 1) / (2 * np.pi * rate) * SAMPLE_RATE  # samples
    positions = np.arange(n) + depth * np.sin(2 * np.pi * rate * np.arange(n) / SAMPLE_RATE)
    positions %= n
    index = positions.astype(np.int32)
    fraction = (positions - index).astype(np.float32)
    index.setflags(write=False)
    fraction.setflags(write=False)
    return index, fraction


def _breath(voice: str, pitch: int, seconds: float = 0.08, smooth: int = 4) -> Signal:
    """A short burst of noise for the start of a note: breath, bow scratch, key click."""
    n = int(seconds * SAMPLE_RATE)
    noise = seeded_rng(voice, pitch).standard_normal(n).astype(np.float32)
    smoothed = np.convolve(noise, np.ones(smooth, dtype=np.float32) / smooth, mode="same")
    decay = np.exp(-np.arange(n, dtype=np.float32) / np.float32(seconds / 4 * SAMPLE_RATE))
    return np.asarray(smoothed * decay, dtype=np.float32)


def sustained(voice: str, pitch: int, length: int) -> Tone:
    attack, release, level, seconds, smooth = ARTICULATION[voice]
    if voice == "organ":
        samples = _organ_loop(pitch, length)
    else:
        samples = _loop(pitch, voice, length, SUSTAINED_RECIPES[voice])
    transient = level * _breath(voice, pitch, seconds, smooth) if level else None
    return Tone(samples, looped=True, attack=attack, release=release, transient=transient)


def _organ_loop(pitch: int, length: int) -> Signal:
    """Drawbars 8', 4', 2 2/3', 2', 1 3/5'... and a rotating speaker's slow chorale warble."""
    levels = {1: 1.0, 2: 0.8, 3: 0.6, 4: 0.45, 6: 0.25, 8: 0.25, 10: 0.1}
    drawbars = np.zeros(16)
    for harmonic, level in levels.items():
        drawbars[harmonic - 1] = level
    freq = midi_to_hz(pitch)
    seconds = length / SAMPLE_RATE
    spectrum = np.zeros(length // 2 + 1, dtype=np.complex128)
    rng = seeded_rng("organ", pitch)
    for harmonic, level in enumerate(drawbars, start=1):
        partial = freq * harmonic
        if level and partial < SAMPLE_RATE * 0.45:
            spectrum[round(partial * seconds)] += level * np.exp(2j * np.pi * rng.random())
    return normalise(_vibrato(np.fft.irfft(spectrum, n=length), 6.5, 7.0))
