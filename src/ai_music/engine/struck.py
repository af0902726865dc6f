"""Struck voices, each a decaying one-shot tone: additive partials with per-partial decays
(piano, bells, bass, lead synth, marimba) or FM (the electric piano)."""

from __future__ import annotations

import numpy as np

from ai_music.engine.sound import (
    SAMPLE_RATE,
    Signal,
    Tone,
    fade_in,
    normalise,
    seeded_rng,
    time_axis,
)
from ai_music.engine.theory import midi_to_hz

_BLOCK = 1024


def additive(
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
    body = additive(freq, ratios, amplitudes, decays, min(3.0, 3 * base_decay))
    # A fast-decaying copy of the lower partials gives the two-stage piano decay.
    strike = additive(freq, ratios[:4], amplitudes[:4], [0.12] * 4, 0.5)
    body[: len(strike)] += 0.6 * strike
    hammer = seeded_rng("piano", pitch).standard_normal(int(0.008 * SAMPLE_RATE)).astype(np.float32)
    body[: len(hammer)] += 0.04 * hammer * np.linspace(1, 0, len(hammer), dtype=np.float32)
    return Tone(normalise(fade_in(body, 0.002)), looped=False, attack=0.0, release=0.15)


def bells(pitch: int) -> Tone:
    """Glockenspiel and celesta: a metal bar's inharmonic partials (2.76 and 5.40 times the
    fundamental) that ring for seconds, with a bright strike."""
    freq = midi_to_hz(pitch)
    scale = float(np.clip((523.0 / freq) ** 0.3, 0.6, 1.6))
    body = additive(
        freq,
        [1.0, 2.76, 5.40, 8.93, 2.0],
        [1.0, 0.45, 0.25, 0.1, 0.1],
        [2.4 * scale, 1.1 * scale, 0.5 * scale, 0.2 * scale, 1.5 * scale],
        3.0,
    )
    return Tone(normalise(fade_in(body, 0.0005)), looped=False, attack=0.0, release=0.5)


def bass(pitch: int) -> Tone:
    freq = midi_to_hz(pitch)
    harmonics = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    body = additive(
        freq, harmonics, [1.0, 0.45, 0.22, 0.1, 0.05, 0.03], [1.6, 0.9, 0.5, 0.3, 0.2, 0.15], 3.0
    )
    return Tone(normalise(fade_in(body, 0.006)), looped=False, attack=0.0, release=0.08)


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
    body = additive(freq, list(harmonics * 1.0), list(pulse), decays, 2.0)
    detuned = additive(freq * 1.006, list(harmonics * 1.0), list(0.6 * pulse), decays, 2.0)
    return Tone(normalise(fade_in(body + detuned, 0.004)), looped=False, attack=0.0, release=0.12)


def rhodes(pitch: int) -> Tone:
    """Electric piano by FM: a sine carrier whose 1:1 modulation index decays (the bark of a
    hard strike mellowing into a near-sine), plus the tine's short metallic ping at 14:1."""
    freq = midi_to_hz(pitch)
    t = time_axis(2.5)
    index = 1.6 * np.exp(-t / np.float32(0.35)) + np.float32(0.15)
    modulator = np.sin(np.float32(2 * np.pi * freq) * t)
    body = np.sin(np.float32(2 * np.pi * freq) * t + index * modulator)
    tine_freq = min(freq * 14, SAMPLE_RATE * 0.4)
    tine = 0.18 * np.sin(np.float32(2 * np.pi * tine_freq) * t) * np.exp(-t / np.float32(0.03))
    decay = float(np.clip(2.2 * (261.6 / freq) ** 0.4, 0.6, 4.0))
    out = (body + tine) * np.exp(-t / np.float32(decay))
    return Tone(normalise(fade_in(out.astype(np.float32), 0.002)), False, 0.0, 0.2)


def marimba(pitch: int) -> Tone:
    """A tuned wooden bar: fundamental, the 4th and 10th partials tuned by the maker, all
    short, and a dull mallet knock. Bells ring on; a marimba note is gone in a second."""
    freq = midi_to_hz(pitch)
    body = additive(freq, [1.0, 3.93, 9.2], [1.0, 0.35, 0.08], [0.45, 0.09, 0.03], 1.3)
    noise = seeded_rng("marimba", pitch).standard_normal(int(0.01 * SAMPLE_RATE)).astype(np.float32)
    knock = np.convolve(noise, np.ones(8, dtype=np.float32) / 8, mode="same")
    body[: len(knock)] += 0.15 * knock * np.linspace(1, 0, len(knock), dtype=np.float32)
    return Tone(normalise(fade_in(body, 0.001)), looped=False, attack=0.0, release=0.05)
