"""Accompaniment: chords for the harmony voices and the bass line, played in a style's way.

Every harmony voice keeps its previous voicing so each chord change moves as little as
possible (voice leading); the bass picks the octave of each root nearest its last note.
"""

from __future__ import annotations

import random

from ai_music.engine.harmony import BEATS_PER_BAR, voice_chord
from ai_music.engine.score import ChordSpan, Note
from ai_music.engine.theory import Chord

# (low, high) MIDI ranges for the chord voicings of each harmony voice.
VOICING_RANGES = {
    "piano": (52, 72),
    "guitar": (48, 67),
    "strings": (55, 76),
    "pad": (50, 70),
    "organ": (53, 72),
    "synth": (60, 79),
    "bells": (72, 88),
    "flute": (72, 86),
}
BASS_RANGE = (33, 52)


def _hits(pattern: str, span: ChordSpan, density: float) -> list[tuple[float, float]]:
    """(onset, duration) pairs, relative to the chord's start, for a chord pattern."""
    length = span.duration
    if pattern == "sustain" or length < 1:
        return [(0.0, length)]
    bar: tuple[float, ...]
    if pattern == "strum":
        bar = (0.0, 1.0, 1.5, 2.5, 3.0) if density >= 0.6 else (0.0, 1.5, 2.0, 3.0)
    elif density >= 0.6:
        bar = (0.0, 1.5, 2.0, 3.0)
    elif density >= 0.35:
        bar = (0.0, 2.0)
    else:
        bar = (0.0,)
    onsets = [
        b + offset
        for offset in range(0, int(length), BEATS_PER_BAR)
        for b in bar
        if b + offset < length
    ]
    return [
        (onset, (onsets[i + 1] if i + 1 < len(onsets) else length) - onset)
        for i, onset in enumerate(onsets)
    ]


class ChordPlayer:
    """Plays chord spans on one harmony voice in a given pattern."""

    def __init__(
        self,
        voice: str,
        pattern: str,
        density: float,
        rng: random.Random,
        tonic: int,
        *,
        low_register: bool = False,
    ) -> None:
        self.voice = voice
        # A voice that also carries the melody accompanies below it, like a pianist's left hand.
        self.shift = -10 if low_register else 0
        self.pattern = pattern
        self.density = density
        self.rng = rng
        self.tonic = tonic
        self.previous: list[int] | None = None

    def play(self, span: ChordSpan, velocity: float) -> list[Note]:
        low, high = VOICING_RANGES.get(self.voice, (52, 72))
        low, high = low + self.shift, high + self.shift
        size = (
            4 if len(span.chord.intervals) > 3 or self.voice in ("strings", "pad", "organ") else 3
        )
        voicing = voice_chord(span.chord.pitch_classes(self.tonic), self.previous, low, high, size)
        self.previous = voicing
        if self.pattern == "arpeggio":
            return self._arpeggio(span, voicing, velocity)
        notes = []
        for onset, duration in _hits(self.pattern, span, self.density):
            strum_step = 0.025 if self.pattern == "strum" else 0.0
            upstroke = self.pattern == "strum" and onset % 1 == 0.5
            order = list(reversed(voicing)) if upstroke else voicing
            accent = 1.0 if onset % 2 == 0 else 0.85
            for k, pitch in enumerate(order):
                notes.append(
                    Note(
                        self.voice,
                        span.start + onset + k * strum_step,
                        duration * 0.97,
                        pitch,
                        velocity * accent,
                    )
                )
        return notes

    def _arpeggio(self, span: ChordSpan, voicing: list[int], velocity: float) -> list[Note]:
        step = 0.5 if self.density >= 0.5 else 1.0
        shape = [*voicing, voicing[0] + 12, *voicing[1:-1][::-1]]
        notes = []
        count = int(span.duration / step)
        for i in range(count):
            onset = i * step
            accent = 1.0 if onset % 2 == 0 else 0.8
            # Each note rings over the next ones, like a sustain pedal or a picked guitar.
            ring = min(step * 3, span.duration - onset)
            notes.append(
                Note(self.voice, span.start + onset, ring, shape[i % len(shape)], velocity * accent)
            )
        return notes


class BassPlayer:
    def __init__(
        self,
        pattern: str,
        tonic: int,
        scale_steps: tuple[int, ...],
        rng: random.Random,
        *,
        drone: bool = False,
    ) -> None:
        self.pattern = pattern
        self.drone = drone
        self.tonic = tonic
        self.scale_steps = scale_steps
        self.rng = rng
        self.last = (BASS_RANGE[0] + BASS_RANGE[1]) // 2

    def _near(self, pitch_class: int) -> int:
        low, high = BASS_RANGE
        options = [p for p in range(low, high + 1) if p % 12 == pitch_class]
        return min(options, key=lambda p: abs(p - self.last))

    def play(self, span: ChordSpan, next_chord: Chord | None, velocity: float) -> list[Note]:
        if self.drone:
            # A pedal point: the tonic sounds under every chord, whatever the harmony does.
            tonic = self._near(self.tonic)
            return [Note("bass", span.start, span.duration * 0.98, tonic, velocity)]
        root = self._near((self.tonic + span.chord.root) % 12)
        fifth_class = (
            self.tonic
            + span.chord.root
            + span.chord.intervals[2 if len(span.chord.intervals) > 2 else -1]
        ) % 12
        fifth = self._near(fifth_class)
        self.last = root
        pattern = self.pattern if span.duration >= 2 else "whole"
        events: list[tuple[float, float, int]]
        if pattern == "whole":
            events = [(0.0, span.duration, root)]
        elif pattern == "root_fifth":
            half = min(2.0, span.duration / 2)
            events = [
                (t, half, root if (t // half) % 2 == 0 else fifth)
                for t in _grid(span.duration, half)
            ]
        elif pattern == "pulse":
            events = [
                (t, 0.45, root + (12 if t % 4 == 3.5 and root + 12 <= 60 else 0))
                for t in _grid(span.duration, 0.5)
            ]
        elif pattern == "walking":
            events = self._walk(span, root, next_chord)
        else:  # syncopated
            events = []
            for bar in _grid(span.duration, BEATS_PER_BAR):
                events += [(bar, 1.4, root), (bar + 1.5, 0.9, root), (bar + 2.5, 1.4, fifth)]
            events = [e for e in events if e[0] < span.duration]
        notes = []
        for onset, duration, pitch in events:
            length = min(duration, span.duration - onset)
            accent = 1.0 if onset % 2 == 0 else 0.85
            notes.append(Note("bass", span.start + onset, length * 0.95, pitch, velocity * accent))
        return notes

    def _walk(
        self, span: ChordSpan, root: int, next_chord: Chord | None
    ) -> list[tuple[float, float, int]]:
        beats = _grid(span.duration, 1.0)
        tones = [root + i for i in span.chord.intervals]
        pitches = [root]
        for _ in beats[1:-1]:
            pitches.append(
                self.rng.choice([*tones[1:], root + 12 if root + 12 <= BASS_RANGE[1] else root])
            )
        if len(beats) > 1:
            target = self._near((self.tonic + next_chord.root) % 12) if next_chord else root
            # A chromatic approach from a semitone away leads into the next root.
            pitches.append(target + self.rng.choice((-1, 1)))
        return [(t, 1.0, p) for t, p in zip(beats, pitches, strict=False)]


def _grid(length: float, step: float) -> list[float]:
    count = max(1, int(length / step + 1e-9))
    return [i * step for i in range(count)]
