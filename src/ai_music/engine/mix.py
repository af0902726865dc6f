"""Mixing: place every note of the score into a stereo buffer, then add the reverb.

Each note is a slice of its voice's tone with an attack ramp (sustained voices) and a
raised-cosine release after note-off, so no note edge clicks. Notes go straight into the
left, right and reverb-send buffers with constant-power panning, which keeps memory at
three float32 buffers however many voices play.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ai_music.engine.drumkit import drum, layer_for
from ai_music.engine.reverb import add_reverb
from ai_music.engine.score import (
    CLOSED_HAT,
    CRASH,
    HIGH_TOM,
    LOW_TOM,
    OPEN_HAT,
    RIDE,
    SHAKER,
    SNARE,
    Note,
    Score,
)
from ai_music.engine.sound import SAMPLE_RATE, Signal, Tone
from ai_music.engine.synth import tones_for


@dataclass(frozen=True)
class VoiceMix:
    level: float
    pan: float  # -1 left .. +1 right
    send: float  # reverb send
    spread: float = 0.0  # random pan spread per note, for sections and pads


VOICE_MIX = {
    "piano": VoiceMix(0.42, 0.0, 0.30, 0.25),
    "rhodes": VoiceMix(0.40, -0.1, 0.30, 0.3),
    "organ": VoiceMix(0.14, -0.2, 0.30, 0.3),
    "guitar": VoiceMix(0.40, -0.3, 0.25, 0.1),
    "electric_guitar": VoiceMix(0.22, -0.35, 0.15, 0.1),
    "harp": VoiceMix(0.36, 0.3, 0.45, 0.2),
    "strings": VoiceMix(0.17, 0.25, 0.45, 0.5),
    "violin": VoiceMix(0.24, -0.25, 0.40, 0.0),
    "cello": VoiceMix(0.26, 0.3, 0.35, 0.0),
    "choir": VoiceMix(0.16, 0.0, 0.55, 0.6),
    "pad": VoiceMix(0.12, 0.0, 0.60, 0.8),
    "synth": VoiceMix(0.24, 0.3, 0.30, 0.3),
    "flute": VoiceMix(0.30, 0.2, 0.40, 0.0),
    "clarinet": VoiceMix(0.28, 0.15, 0.35, 0.0),
    "sax": VoiceMix(0.26, 0.15, 0.35, 0.0),
    "brass": VoiceMix(0.22, -0.15, 0.35, 0.2),
    "bells": VoiceMix(0.22, -0.3, 0.50, 0.3),
    "marimba": VoiceMix(0.36, -0.25, 0.30, 0.3),
    "bass": VoiceMix(0.55, 0.0, 0.05, 0.0),
}
DRUM_PANS = {
    SNARE: 0.05,
    CLOSED_HAT: 0.3,
    OPEN_HAT: 0.3,
    RIDE: -0.3,
    CRASH: -0.25,
    LOW_TOM: -0.2,
    HIGH_TOM: 0.2,
    SHAKER: 0.4,
}
DRUM_LEVEL = 0.6
DRUM_SEND = 0.12


def _velocity_gain(velocity: float) -> float:
    return float(velocity**1.6)


def _pan_gains(pan: float) -> tuple[float, float]:
    angle = (min(1.0, max(-1.0, pan)) + 1) * math.pi / 4
    return math.cos(angle), math.sin(angle)


@lru_cache(maxsize=256)
def _ramp(length: int, rising: bool) -> Signal:
    """A raised-cosine fade of `length` samples (cached: most notes share a few lengths)."""
    curve = np.linspace(0, np.pi / 2, length, dtype=np.float32)
    ramp = np.sin(curve) ** 2 if rising else np.cos(curve) ** 2
    ramp.setflags(write=False)
    return ramp


def _note_signal(sound: Tone, length: int, offset: int) -> Signal:
    """The tone shaped to a note of `length` samples, including its release tail."""
    release = int(sound.release * SAMPLE_RATE)
    total = length + release
    if sound.looped:
        loop = sound.samples
        start = offset % len(loop)
        reps = (start + total) // len(loop) + 1
        signal = np.tile(loop, reps)[start : start + total]
        attack = min(total, int(sound.attack * SAMPLE_RATE))
        if attack:
            signal[:attack] *= _ramp(attack, True)
    else:
        signal = sound.samples[:total].copy()
    if sound.transient is not None:
        head = min(len(signal), len(sound.transient))
        signal[:head] += sound.transient[:head]
    if release and len(signal) > length:
        tail = len(signal) - length
        signal[length:] *= _ramp(tail, False)
    return signal


def mix_score(score: Score, total_samples: int, reverb_amount: float, seed: int) -> Signal:
    """The stereo mix (2, total_samples) of the score, float32, before mastering."""
    # Left, right and the reverb send in one buffer, so a note is added to all three at once.
    buses = np.zeros((3, total_samples), dtype=np.float32)
    rng = random.Random(seed)
    samples_per_beat = SAMPLE_RATE * score.seconds_per_beat
    tones = tones_for({(n.voice, n.pitch) for n in score.notes if n.voice != "drums"}, score.tempo)
    for note in score.notes:
        start = round(note.start * samples_per_beat)
        if start >= total_samples:
            continue
        signal, pan, level, note_send = _voice_note(note, start, tones, samples_per_beat, rng)
        end = min(total_samples, start + len(signal))
        gain = level * _velocity_gain(note.velocity)
        gains = np.array([*_pan_gains(pan), note_send], dtype=np.float32) * np.float32(gain)
        buses[:, start:end] += gains[:, None] * signal[: end - start]
    stereo, send = buses[:2], buses[2]
    send *= np.float32(reverb_amount)
    add_reverb(send, stereo)
    return stereo


def _voice_note(
    note: Note,
    start: int,
    tones: dict[tuple[str, int], Tone],
    samples_per_beat: float,
    rng: random.Random,
) -> tuple[Signal, float, float, float]:
    if note.voice == "drums":
        sound = drum(note.pitch, layer_for(note.velocity))
        return sound.samples, DRUM_PANS.get(note.pitch, 0.0), DRUM_LEVEL, DRUM_SEND
    settings = VOICE_MIX[note.voice]
    sound = tones[note.voice, note.pitch]
    length = max(1, int(note.duration * samples_per_beat))
    # Loops start in phase with the beat grid, like a tempo-synced modulation.
    signal = _note_signal(sound, length, start)
    pan = settings.pan + settings.spread * rng.uniform(-1, 1)
    if note.voice == "piano":
        # Low notes sit a little left and high notes right, as heard from the piano bench.
        pan += (note.pitch - 64) / 60
    return signal, pan, settings.level, settings.send
