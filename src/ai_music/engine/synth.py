"""Per-voice synthesis: one tone per (voice, pitch), rendered once and reused.

The engine works like a sampler whose samples it synthesizes itself. Struck and plucked
voices (piano, guitar, bass, bells, synth) get a decaying one-shot tone: additive partials
with per-partial envelopes, or Karplus-Strong for the guitar. Sustained voices (strings,
pad, organ, flute) get a seamless loop built in the frequency domain: every partial sits on
an exact FFT bin of the loop, so the loop repeats without a seam, and detuned copies of each
partial give the ensemble shimmer. A note is then a slice of its tone, which keeps rendering
cheap (a few array operations per sample) and deterministic.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ai_music.engine.theory import midi_to_hz

SAMPLE_RATE = 44100
MIN_LOOP_SECONDS = 2.0  # partials of sustained tones are quantised to 1 / loop length

Signal = np.ndarray


@dataclass(frozen=True)
class Tone:
    samples: Signal  # float32, peak about 1
    looped: bool  # sustained: repeat samples for as long as the note lasts
    attack: float  # seconds of fade-in applied to looped tones
    release: float  # seconds of fade-out after the note ends
    transient: Signal | None = None  # added at the start of each note (breath, key click)


def _rng(voice: str, pitch: int) -> np.random.Generator:
    # crc32, not hash(): the same tone must come out in every process.
    return np.random.default_rng(zlib.crc32(f"{voice}:{pitch}".encode()))


def _time(seconds: float) -> Signal:
    return np.arange(int(seconds * SAMPLE_RATE), dtype=np.float32) / np.float32(SAMPLE_RATE)


def _normalise(signal: Signal) -> Signal:
    peak = float(np.max(np.abs(signal))) or 1.0
    return (signal / peak).astype(np.float32)


def _fade_in(signal: Signal, seconds: float) -> Signal:
    n = min(len(signal), max(1, int(seconds * SAMPLE_RATE)))
    signal[:n] *= np.linspace(0.0, 1.0, n, dtype=np.float32)
    return signal


def _additive(
    freq: float,
    ratios: list[float],
    amplitudes: list[float],
    decays: list[float],
    seconds: float,
) -> Signal:
    """Sum of sine partials, each with its own exponential decay, skipping those above Nyquist."""
    t = _time(seconds)
    out = np.zeros_like(t)
    for ratio, amplitude, decay in zip(ratios, amplitudes, decays, strict=True):
        partial_freq = freq * ratio
        if partial_freq >= SAMPLE_RATE * 0.45:
            continue
        out += (
            np.float32(amplitude)
            * np.sin(np.float32(2 * np.pi * partial_freq) * t)
            * np.exp(t * np.float32(-1.0 / decay))
        )
    return out


def piano(pitch: int) -> Tone:
    freq = midi_to_hz(pitch)
    base_decay = float(np.clip(3.0 * (261.6 / freq) ** 0.5, 0.5, 6.0))
    count = 14
    harmonics = np.arange(1, count + 1)
    # Piano strings are stiff, so their overtones run slightly sharp.
    ratios = list(harmonics * np.sqrt(1 + 0.0004 * harmonics**2))
    amplitudes = list(1.0 / harmonics**1.4)
    decays = list(base_decay / (1 + 0.5 * (harmonics - 1)))
    body = _additive(freq, ratios, amplitudes, decays, min(3.0, 3 * base_decay))
    # A fast-decaying copy of the lower partials gives the two-stage piano decay.
    strike = _additive(freq, ratios[:4], amplitudes[:4], [0.12] * 4, 0.5)
    body[: len(strike)] += 0.6 * strike
    hammer = _rng("piano", pitch).standard_normal(int(0.008 * SAMPLE_RATE)).astype(np.float32)
    body[: len(hammer)] += 0.04 * hammer * np.linspace(1, 0, len(hammer), dtype=np.float32)
    return Tone(_normalise(_fade_in(body, 0.002)), looped=False, attack=0.0, release=0.15)


def bells(pitch: int) -> Tone:
    freq = midi_to_hz(pitch)
    scale = float(np.clip((523.0 / freq) ** 0.3, 0.6, 1.6))
    # Celesta-like: nearly harmonic, with one soft inharmonic partial for the metallic shine.
    body = _additive(
        freq,
        [1.0, 2.0, 3.0, 4.07, 2.76],
        [1.0, 0.3, 0.06, 0.1, 0.06],
        [2.2 * scale, 1.0 * scale, 0.6 * scale, 0.35 * scale, 0.3 * scale],
        3.0,
    )
    return Tone(_normalise(_fade_in(body, 0.001)), looped=False, attack=0.0, release=0.4)


def bass(pitch: int) -> Tone:
    freq = midi_to_hz(pitch)
    harmonics = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    body = _additive(
        freq, harmonics, [1.0, 0.45, 0.22, 0.1, 0.05, 0.03], [1.6, 0.9, 0.5, 0.3, 0.2, 0.15], 3.0
    )
    return Tone(_normalise(_fade_in(body, 0.006)), looped=False, attack=0.0, release=0.08)


def synth(pitch: int) -> Tone:
    """A plucky band-limited sawtooth whose upper partials fade first, like a closing filter."""
    freq = midi_to_hz(pitch)
    harmonics = np.arange(1, 25)
    body = _additive(
        freq, list(harmonics * 1.0), list(1.0 / harmonics), list(0.9 / (1 + 0.35 * harmonics)), 2.0
    )
    detuned = _additive(
        freq * 1.004,
        list(harmonics * 1.0),
        list(0.5 / harmonics),
        list(0.9 / (1 + 0.35 * harmonics)),
        2.0,
    )
    return Tone(_normalise(_fade_in(body + detuned, 0.003)), looped=False, attack=0.0, release=0.1)


def guitar(pitch: int) -> Tone:
    """Karplus-Strong plucked string, computed a period at a time, then tuned exactly."""
    freq = midi_to_hz(pitch)
    period = max(2, int(SAMPLE_RATE / freq))
    seconds = 2.5
    produced = SAMPLE_RATE / (period + 0.5)
    wanted = int(seconds * SAMPLE_RATE)
    total = int(wanted * freq / produced) + 2 * period
    # Per-period loss: lower strings ring longer, as on a real guitar.
    loss = float(np.clip(0.996 + 0.0025 * (110.0 / freq), 0.99, 0.9995))
    excitation = _rng("guitar", pitch).uniform(-1, 1, period + 1)
    # Smoothing the burst softens the pick; plucking off-centre thins the lowest overtones.
    excitation = np.convolve(excitation, np.ones(3) / 3, mode="same")
    line = np.zeros(total + period + 1)
    line[: period + 1] = excitation
    for start in range(period + 1, total + 1, period):
        end = min(start + period, len(line))
        previous = line[start - period - 1 : end - period]
        line[start:end] = loss * 0.5 * (previous[1:] + previous[:-1])
    positions = np.arange(wanted) * (freq / produced)
    tuned = np.interp(positions, np.arange(len(line)), line).astype(np.float32)
    return Tone(_normalise(_fade_in(tuned, 0.001)), looped=False, attack=0.0, release=0.08)


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


def _loop(pitch: int, voice: str, length: int, amplitudes: Signal, detune_cents: float) -> Signal:
    """A seamless loop: each partial and its two detuned copies land on exact FFT bins.

    The copies sit d bins either side with d a power of two, so every beating between them
    repeats 1, 2, 4... times per loop: on the beat grid, never in threes against it.
    """
    freq = midi_to_hz(pitch)
    seconds = length / SAMPLE_RATE
    spectrum = np.zeros(length // 2 + 1, dtype=np.complex128)
    rng = _rng(voice, pitch)
    for index, amplitude in enumerate(amplitudes):
        partial = freq * (index + 1)
        if partial >= SAMPLE_RATE * 0.45 or amplitude <= 0:
            continue
        centre = round(partial * seconds)
        spectrum[centre] += amplitude * np.exp(2j * np.pi * rng.random())
        if detune_cents > 0:
            spread_bins = partial * (2 ** (detune_cents / 1200) - 1) * seconds
            offset = 2 ** max(0, round(math.log2(max(1.0, spread_bins))))
            for side in (-offset, offset):
                spectrum[centre + side] += 0.7 * amplitude * np.exp(2j * np.pi * rng.random())
    return _normalise(np.fft.irfft(spectrum, n=length))


def _breath(voice: str, pitch: int) -> Signal:
    """A short burst of breath noise for the start of a wind note."""
    n = int(0.08 * SAMPLE_RATE)
    noise = _rng(voice, pitch).standard_normal(n).astype(np.float32)
    smoothed = np.convolve(noise, np.ones(4, dtype=np.float32) / 4, mode="same")
    return np.asarray(
        smoothed * np.exp(-np.arange(n, dtype=np.float32) / (0.02 * SAMPLE_RATE)), dtype=np.float32
    )


def strings(pitch: int, length: int) -> Tone:
    harmonics = np.arange(1, 33)
    amplitudes = (1.0 / harmonics) * np.exp(-harmonics / 10.0)
    return Tone(
        _loop(pitch, "strings", length, amplitudes, 9.0), looped=True, attack=0.18, release=0.35
    )


def pad(pitch: int, length: int) -> Tone:
    harmonics = np.arange(1, 17)
    amplitudes = (1.0 / harmonics) * np.exp(-harmonics / 3.0)
    return Tone(_loop(pitch, "pad", length, amplitudes, 14.0), looped=True, attack=0.6, release=1.0)


def organ(pitch: int, length: int) -> Tone:
    drawbars = np.zeros(16)
    for harmonic, level in ((1, 1.0), (2, 0.8), (3, 0.5), (4, 0.4), (6, 0.2), (8, 0.2)):
        drawbars[harmonic - 1] = level
    return Tone(
        _loop(pitch, "organ", length, drawbars, 0.0), looped=True, attack=0.01, release=0.08
    )


def flute(pitch: int, length: int) -> Tone:
    amplitudes = np.array([1.0, 0.3, 0.12, 0.05, 0.02])
    return Tone(
        _loop(pitch, "flute", length, amplitudes, 0.0),
        looped=True,
        attack=0.07,
        release=0.12,
        transient=0.15 * _breath("flute", pitch),
    )


ONE_SHOT_VOICES = {"piano": piano, "guitar": guitar, "bass": bass, "bells": bells, "synth": synth}
LOOPED_VOICES = {"strings": strings, "pad": pad, "organ": organ, "flute": flute}


def tone(voice: str, pitch: int, tempo: int) -> Tone:
    """The tone of a voice at a pitch (drums live in drumkit.py); looped tones fit the tempo."""
    pitch = int(np.clip(pitch, 21, 108))
    if voice in LOOPED_VOICES:
        return _cached_tone(voice, pitch, loop_samples(tempo))
    return _cached_tone(voice, pitch, 0)


@lru_cache(maxsize=48)
def _cached_tone(voice: str, pitch: int, length: int) -> Tone:
    if voice in LOOPED_VOICES:
        return LOOPED_VOICES[voice](pitch, length)
    return ONE_SHOT_VOICES[voice](pitch)
