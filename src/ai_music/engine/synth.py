"""Per-voice synthesis: one tone per (voice, pitch), rendered once and reused.

The engine works like a sampler whose samples it synthesizes itself. Struck and plucked
voices (struck.py, plucked.py: piano, guitar, bass, bells, synth...) get a decaying one-shot
tone. Sustained voices (sustained.py: strings, pad, organ, flute...) get a seamless loop a
whole number of beats long. A note is then a slice of its tone, which keeps rendering cheap
(a few array operations per sample) and deterministic. Drums live in drumkit.py.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from ai_music.engine.plucked import electric_guitar, guitar, harp
from ai_music.engine.sound import SAMPLE_RATE, Signal, Tone
from ai_music.engine.struck import bass, bells, marimba, piano, rhodes, synth
from ai_music.engine.sustained import LOOPED_VOICES, loop_samples, sustained

__all__ = ["SAMPLE_RATE", "Signal", "Tone", "loop_samples", "tone", "tones_for"]

ONE_SHOT_VOICES: dict[str, Callable[[int], Tone]] = {
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


def tone(voice: str, pitch: int, tempo: int) -> Tone:
    """The tone of a voice at a pitch (drums live in drumkit.py); looped tones fit the tempo."""
    pitch = int(np.clip(pitch, 21, 108))
    if voice in LOOPED_VOICES:
        return _cached_tone(voice, pitch, loop_samples(tempo))
    return _cached_tone(voice, pitch, 0)


def tones_for(notes: set[tuple[str, int]], tempo: int) -> dict[tuple[str, int], Tone]:
    """The tones of a piece's (voice, pitch) pairs, looked up once each."""
    return {(voice, pitch): tone(voice, pitch, tempo) for voice, pitch in notes}


@lru_cache(maxsize=64)
def _cached_tone(voice: str, pitch: int, length: int) -> Tone:
    if voice in LOOPED_VOICES:
        return sustained(voice, pitch, length)
    return ONE_SHOT_VOICES[voice](pitch)
