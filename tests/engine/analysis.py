"""Independent measurements of rendered audio, used by the engine tests.

Nothing here imports the engine: the tests judge the audio, not the engine's own account
of it.
"""

from __future__ import annotations

import io
import math
import wave

import numpy as np


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    """(channels, samples) float array in -1..1 and the sample rate."""
    with wave.open(io.BytesIO(data)) as reader:
        assert reader.getsampwidth() == 2
        rate = reader.getframerate()
        channels = reader.getnchannels()
        frames = reader.readframes(reader.getnframes())
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float64) / 32768.0
    return samples.reshape(-1, channels).T, rate


def onset_envelope(mono: np.ndarray, rate: int, hop: int = 128) -> np.ndarray:
    """Half-wave rectified spectral flux on log-magnitude spectra."""
    size = 1024
    frames = 1 + (len(mono) - size) // hop
    index = np.arange(size)[None, :] + hop * np.arange(frames)[:, None]
    spectra = np.abs(np.fft.rfft(mono[index] * np.hanning(size), axis=1))
    log_spectra = np.log1p(100 * spectra)
    flux = np.maximum(np.diff(log_spectra, axis=0), 0).sum(axis=1)
    return np.asarray(flux - np.convolve(flux, np.ones(16) / 16, mode="same"))


def estimate_tempo(mono: np.ndarray, rate: int, near: float) -> float:
    """Tempo from the autocorrelation of the onset envelope, folded into the octave of `near`.

    Candidate tempos are scored by the autocorrelation at one to eight beat periods
    (interpolated), which gives a resolution well under 1 %. Metrical octave errors
    (half or double tempo) are folded away, as is usual in tempo evaluation.
    """
    hop = 128
    envelope = np.maximum(onset_envelope(mono, rate, hop), 0)
    envelope = envelope - envelope.mean()
    n = len(envelope)
    spectrum = np.fft.rfft(envelope, 2 * n)
    acf = np.fft.irfft(np.abs(spectrum) ** 2)[:n]
    frames_per_second = rate / hop
    best_bpm, best_score = 0.0, -math.inf
    for bpm in np.arange(40.0, 240.0, 0.05):
        period = 60.0 / bpm * frames_per_second
        lags = period * np.arange(1, 9)
        lags = lags[lags < n - 1]
        if len(lags) == 0:
            continue
        score = float(np.interp(lags, np.arange(n), acf).mean())
        if score > best_score:
            best_bpm, best_score = bpm, score
    while best_bpm < near / math.sqrt(2):
        best_bpm *= 2
    while best_bpm >= near * math.sqrt(2):
        best_bpm /= 2
    return float(best_bpm)


def average_spectrum(
    mono: np.ndarray, rate: int, size: int = 16384
) -> tuple[np.ndarray, np.ndarray]:
    """Mean power spectrum over half-overlapping Hann frames, and the bin frequencies."""
    hop = size // 2
    frames = max(1, 1 + (len(mono) - size) // hop)
    padded = np.pad(mono, (0, max(0, size - len(mono))))
    window = np.hanning(size)
    power = np.zeros(size // 2 + 1)
    for i in range(frames):
        power += np.abs(np.fft.rfft(padded[i * hop : i * hop + size] * window)) ** 2
    return power / frames, np.fft.rfftfreq(size, 1 / rate)


def note_peaks(mono: np.ndarray, rate: int) -> list[tuple[float, float]]:
    """(frequency, power) of spectral peaks that are not overtones of a stronger, lower peak.

    Overtones would otherwise count a note's fifth and major third as played notes (the
    3rd and 5th harmonics), which is exactly what a mode test must not be fooled by.
    """
    power, freqs = average_spectrum(mono, rate)
    band = (freqs > 50) & (freqs < 2500)
    threshold = power[band].max() * 1e-4
    peaks = []
    for i in np.nonzero(band)[0]:
        if power[i] > threshold and power[i] == power[max(0, i - 3) : i + 4].max():
            peaks.append((float(freqs[i]), float(power[i])))
    kept: list[tuple[float, float]] = []
    for freq, level in peaks:
        is_overtone = False
        for base, base_level in kept:
            ratio = freq / base
            harmonic = round(ratio)
            if (
                2 <= harmonic <= 8
                and abs(ratio - harmonic) < 0.012 * harmonic
                and base_level > level
            ):
                is_overtone = True
                break
        if not is_overtone:
            kept.append((freq, level))
    return kept


def chroma(mono: np.ndarray, rate: int) -> np.ndarray:
    """Energy per pitch class (C = 0) of the note peaks, overtones removed."""
    profile = np.zeros(12)
    for freq, level in note_peaks(mono, rate):
        midi = 69 + 12 * math.log2(freq / 440.0)
        if abs(midi - round(midi)) < 0.35:
            profile[round(midi) % 12] += math.sqrt(level)
    return profile / max(profile.sum(), 1e-12)
