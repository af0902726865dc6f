"""Scales, modes and chords: the small amount of music theory the composer needs.

Pitches are MIDI note numbers; pitch classes are 0..11 with C = 0. Chords are written as
Roman numerals relative to the key's tonic ("I", "vi", "bVII", "V7", "ii7", "IVmaj7",
"Vsus4"), so mood tables read like a musician's chart. Degrees count from the major scale,
so minor keys spell their own degrees with flats: "i", "bIII", "iv", "bVI", "bVII".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MODES: dict[str, tuple[int, ...]] = {
    "ionian": (0, 2, 4, 5, 7, 9, 11),
    "lydian": (0, 2, 4, 6, 7, 9, 11),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "aeolian": (0, 2, 3, 5, 7, 8, 10),
    "phrygian": (0, 1, 3, 5, 7, 8, 10),
    "harmonic_minor": (0, 2, 3, 5, 7, 8, 11),
    "major_pentatonic": (0, 2, 4, 7, 9),
    "minor_pentatonic": (0, 3, 5, 7, 10),
    "blues": (0, 3, 5, 6, 7, 10),
}

MAJOR_MODES = frozenset({"ionian", "lydian", "mixolydian", "major_pentatonic"})

NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")

# Semitones above the tonic for each Roman numeral degree in a major scale; flats and sharps
# in the numeral shift from there, which is how chord charts spell borrowed chords.
_DEGREE_SEMITONES = {"i": 0, "ii": 2, "iii": 4, "iv": 5, "v": 7, "vi": 9, "vii": 11}

_QUALITY_INTERVALS: dict[str, tuple[int, ...]] = {
    "maj": (0, 4, 7),
    "min": (0, 3, 7),
    "dim": (0, 3, 6),
    "aug": (0, 4, 8),
    "sus2": (0, 2, 7),
    "sus4": (0, 5, 7),
}

# Extensions a numeral may carry. "7" is a dominant seventh on a major triad and a minor
# seventh otherwise (m7b5 on a diminished one); "9" and "13" stack on that seventh.
_EXTENSIONS = {"", "7", "maj7", "add9", "9", "maj9", "6", "69", "11", "13"}

_NUMERAL = re.compile(r"^(?P<acc>[b#]?)(?P<deg>[iIvV]+)(?P<dim>o?)(?P<ext>.*)$")


@dataclass(frozen=True)
class Chord:
    """A chord as a root pitch class offset from the tonic plus its intervals."""

    symbol: str
    root: int  # semitones above the tonic, 0..11
    intervals: tuple[int, ...]

    def pitch_classes(self, tonic: int) -> tuple[int, ...]:
        return tuple((tonic + self.root + i) % 12 for i in self.intervals)

    def voicing_classes(self, tonic: int) -> tuple[int, ...]:
        """The pitch classes a comping voice plays: on extended chords (ninths and up) the
        fifth is left out, as jazz pianists do, so the colour tones fit in four voices."""
        if len(self.intervals) <= 4:
            return self.pitch_classes(tonic)
        kept = [i for i in self.intervals if i != 7]
        return tuple((tonic + self.root + i) % 12 for i in kept)

    @property
    def is_tonic(self) -> bool:
        return self.root == 0


def parse_numeral(symbol: str) -> Chord:
    """Parse a Roman numeral like "bVII", "ii7", "IVmaj7", "Vsus4" or "viio"."""
    match = _NUMERAL.match(symbol)
    if match is None or match["deg"].lower() not in _DEGREE_SEMITONES:
        raise ValueError(f"not a chord numeral: {symbol!r}")
    degree = match["deg"]
    root = _DEGREE_SEMITONES[degree.lower()] + {"b": -1, "#": 1, "": 0}[match["acc"]]
    quality = "maj" if degree.isupper() else "min"
    if match["dim"]:
        quality = "dim"
    ext = match["ext"]
    if ext.startswith("sus"):
        quality, ext = ext[:4], ext[4:]
    if ext == "5":
        # A power chord: root, fifth and octave, no third (rock and metal guitar).
        return Chord(symbol=symbol, root=root % 12, intervals=(0, 7, 12))
    if ext not in _EXTENSIONS:
        raise ValueError(f"unknown chord extension in {symbol!r}")
    intervals = list(_QUALITY_INTERVALS[quality]) + _extension(ext)
    return Chord(symbol=symbol, root=root % 12, intervals=tuple(intervals))


def _extension(ext: str) -> list[int]:
    seventh = [11] if ext.startswith("maj") else [10]
    return {
        "": [],
        "7": seventh,
        "maj7": seventh,
        "add9": [14],
        "9": [*seventh, 14],
        "maj9": [*seventh, 14],
        "6": [9],
        "69": [9, 14],
        "11": [*seventh, 14, 17],
        "13": [*seventh, 14, 21],
    }[ext]


def scale_pitches(tonic: int, mode: str, low: int, high: int) -> list[int]:
    """All MIDI pitches of the scale between low and high inclusive."""
    steps = MODES[mode]
    return [p for p in range(low, high + 1) if (p - tonic) % 12 in steps]


def nearest_pitch_with_class(target: float, pitch_classes: tuple[int, ...]) -> int:
    """The MIDI pitch closest to target whose pitch class is in pitch_classes."""
    best = round(target)
    best_distance = 99.0
    for candidate in range(round(target) - 6, round(target) + 7):
        if candidate % 12 in pitch_classes and abs(candidate - target) < best_distance:
            best, best_distance = candidate, abs(candidate - target)
    return best


def midi_to_hz(pitch: float) -> float:
    return float(440.0 * 2.0 ** ((pitch - 69.0) / 12.0))


def key_name(tonic: int, mode: str) -> str:
    return f"{NOTE_NAMES[tonic % 12]} {mode.replace('_', ' ')}"
