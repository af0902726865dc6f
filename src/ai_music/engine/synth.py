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


_BLOCK = 1024


def _additive(
    freq: float,
    ratios: list[float],
    amplitudes: list[float],
    decays: list[float],
    seconds: float,
) -> Signal:
    """Sum of sine partials, each with its own exponential decay, skipping those above Nyquist.

    Each partial is a damped complex exponential z_k(n) = exp(s_k n), so sample n = j B + m
    is z_k(j B) z_k(m): one block of B samples per partial and one factor per block. The
    whole sum is then a single small complex matrix product instead of a sine and an
    exponential per partial and sample (several times faster for a piano tone).
    """
    count = int(seconds * SAMPLE_RATE)
    blocks = -(-count // _BLOCK)
    kept = [
        (freq * r, a, d)
        for r, a, d in zip(ratios, amplitudes, decays, strict=True)
        if freq * r < SAMPLE_RATE * 0.45
    ]
    if not kept:
        return np.zeros(count, dtype=np.float32)
    rates = np.array([-1.0 / d + 2j * np.pi * f for f, _, d in kept]) / SAMPLE_RATE
    amps = np.array([a for _, a, _ in kept])
    within = np.exp(np.outer(rates, np.arange(_BLOCK))) * amps[:, None]  # (partials, B)
    per_block = np.exp(np.outer(np.arange(blocks) * _BLOCK, rates))  # (blocks, partials)
    # Im(p w) = Re(p) Im(w) + Im(p) Re(w), summed with outer products rather than a matrix
    # product: BLAS would start threads of its own inside the engine's worker threads.
    w_re, w_im = within.real.astype(np.float32), within.imag.astype(np.float32)
    p_re, p_im = per_block.real.astype(np.float32), per_block.imag.astype(np.float32)
    out = np.zeros((blocks, _BLOCK), dtype=np.float32)
    for k in range(len(kept)):
        out += np.multiply.outer(p_re[:, k], w_im[k])
        out += np.multiply.outer(p_im[:, k], w_re[k])
    return out.reshape(-1)[:count]


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
    """Glockenspiel and celesta: a metal bar's inharmonic partials (2.76 and 5.40 times the
    fundamental) that ring for seconds, with a bright strike."""
    freq = midi_to_hz(pitch)
    scale = float(np.clip((523.0 / freq) ** 0.3, 0.6, 1.6))
    body = _additive(
        freq,
        [1.0, 2.76, 5.40, 8.93, 2.0],
        [1.0, 0.45, 0.25, 0.1, 0.1],
        [2.4 * scale, 1.1 * scale, 0.5 * scale, 0.2 * scale, 1.5 * scale],
        3.0,
    )
    return Tone(_normalise(_fade_in(body, 0.0005)), looped=False, attack=0.0, release=0.5)


def bass(pitch: int) -> Tone:
    freq = midi_to_hz(pitch)
    harmonics = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    body = _additive(
        freq, harmonics, [1.0, 0.45, 0.22, 0.1, 0.05, 0.03], [1.6, 0.9, 0.5, 0.3, 0.2, 0.15], 3.0
    )
    return Tone(_normalise(_fade_in(body, 0.006)), looped=False, attack=0.0, release=0.08)


def synth(pitch: int) -> Tone:
    """A lead synth: a detuned pulse wave (hollow, odd-heavy) through a resonant filter fixed
    near 1.8 kHz that closes after the attack, so it is neither the strings' sawtooth nor
    the pad's soft wash."""
    freq = midi_to_hz(pitch)
    harmonics = np.arange(1, 25)
    # A 30 % pulse: odd harmonics strong, even ones weaker but present.
    pulse = np.abs(np.sin(np.pi * harmonics * 0.3)) / harmonics
    pulse *= harmonics**0.3 * (0.25 + 1.5 / (1 + ((freq * harmonics - 2500.0) / 600.0) ** 2))
    decays = list(1.5 / (1 + 0.1 * harmonics))
    body = _additive(freq, list(harmonics * 1.0), list(pulse), decays, 2.0)
    detuned = _additive(freq * 1.006, list(harmonics * 1.0), list(0.6 * pulse), decays, 2.0)
    return Tone(_normalise(_fade_in(body + detuned, 0.004)), looped=False, attack=0.0, release=0.12)


def rhodes(pitch: int) -> Tone:
    """Electric piano by FM: a sine carrier whose 1:1 modulation index decays (the bark of a
    hard strike mellowing into a near-sine), plus the tine's short metallic ping at 14:1."""
    freq = midi_to_hz(pitch)
    t = _time(2.5)
    index = 1.6 * np.exp(-t / np.float32(0.35)) + np.float32(0.15)
    modulator = np.sin(np.float32(2 * np.pi * freq) * t)
    body = np.sin(np.float32(2 * np.pi * freq) * t + index * modulator)
    tine_freq = min(freq * 14, SAMPLE_RATE * 0.4)
    tine = 0.18 * np.sin(np.float32(2 * np.pi * tine_freq) * t) * np.exp(-t / np.float32(0.03))
    decay = float(np.clip(2.2 * (261.6 / freq) ** 0.4, 0.6, 4.0))
    out = (body + tine) * np.exp(-t / np.float32(decay))
    return Tone(_normalise(_fade_in(out.astype(np.float32), 0.002)), False, 0.0, 0.2)


def marimba(pitch: int) -> Tone:
    """A tuned wooden bar: fundamental, the 4th and 10th partials tuned by the maker, all
    short, and a dull mallet knock. Bells ring on; a marimba note is gone in a second."""
    freq = midi_to_hz(pitch)
    body = _additive(freq, [1.0, 3.93, 9.2], [1.0, 0.35, 0.08], [0.45, 0.09, 0.03], 1.3)
    noise = _rng("marimba", pitch).standard_normal(int(0.01 * SAMPLE_RATE)).astype(np.float32)
    knock = np.convolve(noise, np.ones(8, dtype=np.float32) / 8, mode="same")
    body[: len(knock)] += 0.15 * knock * np.linspace(1, 0, len(knock), dtype=np.float32)
    return Tone(_normalise(_fade_in(body, 0.001)), looped=False, attack=0.0, release=0.05)


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
    excitation = _rng(voice, pitch).uniform(-1, 1, period + 1)
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
    return Tone(_normalise(_fade_in(tuned, 0.001)), looped=False, attack=0.0, release=0.08)


def harp(pitch: int) -> Tone:
    """A harp string: plucked with the fingertip (a wide, soft excitation), ringing long."""
    tuned = _karplus_strong("harp", pitch, 3.0, 9, 0.0)
    fundamental = _additive(midi_to_hz(pitch), [1.0], [0.5], [1.5], 3.0)
    return Tone(_normalise(_fade_in(tuned + fundamental, 0.002)), False, 0.0, 0.3)


def electric_guitar(pitch: int) -> Tone:
    """An overdriven electric guitar: a bright pick on a steel string, driven into a soft
    clipper (odd harmonics, compressed sustain), then a 4x12 cabinet's treble roll-off."""
    string = _karplus_strong("electric_guitar", pitch, 2.0, 1, 0.6)
    string /= float(np.max(np.abs(string))) or 1.0
    driven = np.tanh(np.float32(7.0) * string)
    cabinet = _one_pole_lowpass(_one_pole_lowpass(driven, 3500.0), 3500.0)
    cabinet -= _one_pole_lowpass(cabinet, 90.0)  # tighten the low end
    return Tone(_normalise(_fade_in(cabinet, 0.001)), False, 0.0, 0.06)


def _one_pole_lowpass(signal: Signal, cutoff_hz: float) -> Signal:
    """A one-pole low-pass applied as its frequency response (the tone decays to silence, so
    the FFT's circular wrap-around adds nothing audible)."""
    n = len(signal)
    size = 1 << (n - 1).bit_length()
    alpha = 1 - math.exp(-2 * math.pi * cutoff_hz / SAMPLE_RATE)
    z = np.exp(-2j * np.pi * np.fft.rfftfreq(size))
    response = alpha / (1 - (1 - alpha) * z)
    return np.fft.irfft(np.fft.rfft(signal, size) * response, size)[:n].astype(np.float32)


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


@dataclass(frozen=True)
class Bowed:
    """A recipe for a sustained voice's loop: a source spectrum shaped by a body or vocal
    tract (formants), ensemble copies, breath or bow noise and vibrato."""

    slope: float  # source partial amplitudes fall as 1 / h**slope
    formants: tuple[tuple[float, float, float], ...] = ()  # (centre Hz, width Hz, gain)
    odd_only: float = 1.0  # weight of the even partials (a clarinet's are weak)
    partials: int = 32
    rolloff: float = 0.0  # extra exp(-h / rolloff) low-pass; 0 = none
    detune_cents: float = 0.0  # ensemble copies either side; 0 = a soloist
    noise: float = 0.0  # noise energy relative to the tone (bow, breath)
    noise_band: tuple[float, float] = (1500.0, 8000.0)
    vibrato_hz: float = 0.0
    vibrato_cents: float = 0.0
    lowpass_hz: float = 0.0  # a fixed (not pitch-relative) 24 dB/octave roll-off; 0 = none


def _body(freqs: Signal, formants: tuple[tuple[float, float, float], ...]) -> Signal:
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
    rng = _rng(voice, pitch)
    harmonics = np.arange(1, recipe.partials + 1)
    amplitudes = 1.0 / harmonics**recipe.slope
    amplitudes[1::2] *= recipe.odd_only
    if recipe.rolloff:
        amplitudes *= np.exp(-harmonics / recipe.rolloff)
    if recipe.formants:
        amplitudes *= _body(freq * harmonics, recipe.formants)
    if recipe.lowpass_hz:
        amplitudes /= 1 + (freq * harmonics / recipe.lowpass_hz) ** 4
    for harmonic, amplitude in zip(harmonics, amplitudes, strict=True):
        partial = freq * harmonic
        if partial >= SAMPLE_RATE * 0.45:
            break
        centre = round(partial * seconds)
        spectrum[centre] += amplitude * np.exp(2j * np.pi * rng.random())
        if recipe.detune_cents > 0:
            spread_bins = partial * (2 ** (recipe.detune_cents / 1200) - 1) * seconds
            offset = 2 ** max(0, round(math.log2(max(1.0, spread_bins))))
            for side in (-offset, offset):
                spectrum[centre + side] += 0.7 * amplitude * np.exp(2j * np.pi * rng.random())
    if recipe.noise:
        low, high = (round(f * seconds) for f in recipe.noise_band)
        count = max(1, high - low)
        level = math.sqrt(recipe.noise * float(np.sum(np.abs(spectrum) ** 2)) / count)
        phases = np.exp(2j * np.pi * rng.random(count))
        shape = _body(np.arange(low, high) / seconds, recipe.formants) if recipe.formants else 1.0
        spectrum[low:high] += level * phases * shape
    loop = np.fft.irfft(spectrum, n=length)
    if recipe.vibrato_hz:
        loop = _vibrato(loop, recipe.vibrato_hz, recipe.vibrato_cents)
    return _normalise(loop)


def _vibrato(loop: Signal, rate_hz: float, cents: float) -> Signal:
    """Periodic time warp t + D sin(2 pi f t): the pitch swings by `cents` at a rate that
    fits a whole number of times in the loop, so the loop stays seamless."""
    n = len(loop)
    positions = _warp(n, rate_hz, cents)
    return np.asarray(np.interp(positions, np.arange(n + 1), np.append(loop, loop[0])))


@lru_cache(maxsize=16)
def _warp(n: int, rate_hz: float, cents: float) -> Signal:
    """The vibrato's read positions for a loop of n samples (shared by all its pitches)."""
    seconds = n / SAMPLE_RATE
    rate = max(1, round(rate_hz * seconds)) / seconds
    depth = (2 ** (cents / 1200) - 1) / (2 * np.pi * rate) * SAMPLE_RATE  # samples
    positions = np.arange(n) + depth * np.sin(2 * np.pi * rate * np.arange(n) / SAMPLE_RATE)
    warp = np.asarray(positions % n)
    warp.setflags(write=False)
    return warp


def _breath(voice: str, pitch: int, seconds: float = 0.08, smooth: int = 4) -> Signal:
    """A short burst of noise for the start of a note: breath, bow scratch, key click."""
    n = int(seconds * SAMPLE_RATE)
    noise = _rng(voice, pitch).standard_normal(n).astype(np.float32)
    smoothed = np.convolve(noise, np.ones(smooth, dtype=np.float32) / smooth, mode="same")
    decay = np.exp(-np.arange(n, dtype=np.float32) / np.float32(seconds / 4 * SAMPLE_RATE))
    return np.asarray(smoothed * decay, dtype=np.float32)


# Formants: a violin's air and wood resonances and its "bridge hill" near 2.5 kHz; the
# cello's body an octave and more lower; the sung vowel "ah"; a saxophone's bore; brass bells.
_VIOLIN_BODY = ((280.0, 60.0, 0.8), (460.0, 120.0, 0.4), (3000.0, 900.0, 2.5))
_CELLO_BODY = ((110.0, 30.0, 0.6), (220.0, 60.0, 0.9), (600.0, 200.0, 0.6), (1500.0, 500.0, 0.6))
_VOWEL_AH = ((730.0, 90.0, 1.6), (1090.0, 110.0, 0.9), (2440.0, 160.0, 0.5))
_SAX_BORE = ((520.0, 200.0, 1.2), (1500.0, 400.0, 0.9), (3000.0, 700.0, 0.3))
_BRASS_BELL = ((1200.0, 700.0, 1.5), (2600.0, 800.0, 0.5))

SUSTAINED_RECIPES: dict[str, Bowed] = {
    "strings": Bowed(
        1.0,
        ((450.0, 250.0, 0.6), (2500.0, 1200.0, 0.8)),
        lowpass_hz=6000.0,
        detune_cents=9.0,
        noise=0.006,
        vibrato_hz=5.0,
        vibrato_cents=8.0,
    ),
    "violin": Bowed(
        0.7,
        _VIOLIN_BODY,
        partials=40,
        noise=0.015,
        noise_band=(2000.0, 9000.0),
        vibrato_hz=6.0,
        vibrato_cents=25.0,
    ),
    "cello": Bowed(
        0.85,
        _CELLO_BODY,
        partials=40,
        noise=0.008,
        noise_band=(800.0, 5000.0),
        vibrato_hz=5.0,
        vibrato_cents=16.0,
    ),
    "choir": Bowed(
        1.3,
        _VOWEL_AH,
        partials=40,
        detune_cents=12.0,
        noise=0.01,
        noise_band=(600.0, 4000.0),
        vibrato_hz=5.2,
        vibrato_cents=14.0,
    ),
    "pad": Bowed(0.8, partials=24, lowpass_hz=1200.0, detune_cents=14.0, noise=0.003),
    "flute": Bowed(
        2.6, partials=6, noise=0.03, noise_band=(1000.0, 7000.0), vibrato_hz=5.0, vibrato_cents=12.0
    ),
    "clarinet": Bowed(
        1.0,
        ((1500.0, 500.0, 0.3),),
        odd_only=0.08,
        partials=20,
        noise=0.004,
        vibrato_hz=4.5,
        vibrato_cents=3.0,
    ),
    "sax": Bowed(
        0.7,
        _SAX_BORE,
        partials=30,
        noise=0.02,
        noise_band=(1200.0, 6000.0),
        vibrato_hz=5.2,
        vibrato_cents=16.0,
    ),
    "brass": Bowed(
        0.55,
        _BRASS_BELL,
        partials=30,
        rolloff=12.0,
        detune_cents=5.0,
        vibrato_hz=4.8,
        vibrato_cents=5.0,
    ),
}
# (attack s, release s, transient level, transient seconds, transient smoothing)
_ARTICULATION: dict[str, tuple[float, float, float, float, int]] = {
    "strings": (0.18, 0.35, 0.0, 0.0, 1),
    "violin": (0.07, 0.18, 0.06, 0.06, 2),  # the bow's bite
    "cello": (0.09, 0.25, 0.06, 0.07, 3),
    "choir": (0.22, 0.4, 0.03, 0.1, 6),
    "pad": (0.6, 1.0, 0.0, 0.0, 1),
    "flute": (0.07, 0.12, 0.15, 0.08, 4),  # the chiff of breath
    "clarinet": (0.04, 0.1, 0.05, 0.04, 6),
    "sax": (0.035, 0.1, 0.12, 0.05, 3),
    "brass": (0.05, 0.12, 0.1, 0.04, 2),  # the lips' blat
    "organ": (0.008, 0.08, 0.12, 0.006, 1),  # key click
}


def sustained(voice: str, pitch: int, length: int) -> Tone:
    attack, release, level, seconds, smooth = _ARTICULATION[voice]
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
    rng = _rng("organ", pitch)
    for harmonic, level in enumerate(drawbars, start=1):
        partial = freq * harmonic
        if level and partial < SAMPLE_RATE * 0.45:
            spectrum[round(partial * seconds)] += level * np.exp(2j * np.pi * rng.random())
    return _normalise(_vibrato(np.fft.irfft(spectrum, n=length), 6.5, 7.0))


ONE_SHOT_VOICES = {
    "piano": piano,
    "rhodes": rhodes,
    "guitar": guitar,
    "electric_guitar": electric_guitar,
    "harp": harp,
    "bass": bass,
    "bells": bells,
    "marimba": marimba,
    "synth": synth,
}
LOOPED_VOICES = frozenset(_ARTICULATION)


def tone(voice: str, pitch: int, tempo: int) -> Tone:
    """The tone of a voice at a pitch (drums live in drumkit.py); looped tones fit the tempo."""
    pitch = int(np.clip(pitch, 21, 108))
    if voice in LOOPED_VOICES:
        return _cached_tone(voice, pitch, loop_samples(tempo))
    return _cached_tone(voice, pitch, 0)


@lru_cache(maxsize=64)
def _cached_tone(voice: str, pitch: int, length: int) -> Tone:
    if voice in LOOPED_VOICES:
        return sustained(voice, pitch, length)
    return ONE_SHOT_VOICES[voice](pitch)
