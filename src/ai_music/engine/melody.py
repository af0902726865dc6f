"""Melody from motifs: two-bar phrases that call and answer.

A motif is a one-bar rhythm plus a contour of scale steps. A call phrase states the motif
and varies it, ending open on a chord tone other than the root; the answer restates the
motif and closes on the chord root. Strong beats land on chord tones, other notes walk the
scale, and leaps are capped and followed by a step back, so the line stays singable.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ai_music.engine.harmony import BEATS_PER_BAR
from ai_music.engine.score import ChordSpan, Note, Section

Rhythm = tuple[tuple[float, float], ...]  # (onset, duration) in beats within one bar

_RHYTHMS_SPARSE: tuple[Rhythm, ...] = (
    ((0, 2), (2, 2)),
    ((0, 3), (3, 1)),
    ((0, 1.5), (1.5, 2.5)),
    ((0, 1), (1, 3)),
)
_RHYTHMS_MEDIUM: tuple[Rhythm, ...] = (
    ((0, 1), (1, 1), (2, 2)),
    ((0, 1.5), (1.5, 0.5), (2, 2)),
    ((0, 1), (1, 0.5), (1.5, 0.5), (2, 2)),
    ((0, 2), (2, 1), (3, 1)),
)
_RHYTHMS_DENSE: tuple[Rhythm, ...] = (
    ((0, 0.5), (0.5, 0.5), (1, 1), (2, 0.5), (2.5, 0.5), (3, 1)),
    ((0, 1), (1, 0.5), (1.5, 0.5), (2, 1), (3, 0.5), (3.5, 0.5)),
    ((0, 0.75), (0.75, 0.25), (1, 1), (2, 0.5), (2.5, 1.5)),
    ((0, 0.5), (0.5, 1), (1.5, 0.5), (2, 1), (3, 1)),
)
_CADENCE_RHYTHMS: tuple[Rhythm, ...] = (
    ((0, 1), (1, 3)),
    ((0, 2), (2, 2)),
    ((0, 4),),
    ((0, 1.5), (1.5, 2.5)),
)

MAX_LEAP = 4  # scale steps


@dataclass(frozen=True)
class Motif:
    rhythm: Rhythm
    contour: tuple[int, ...]  # scale steps between successive notes


def rhythms_for(density: float) -> tuple[Rhythm, ...]:
    if density < 0.4:
        return _RHYTHMS_SPARSE
    if density < 0.75:
        return _RHYTHMS_MEDIUM
    return _RHYTHMS_DENSE


def make_motif(density: float, rng: random.Random) -> Motif:
    rhythm = rng.choice(rhythms_for(density))
    steps = [rng.choice((-2, -1, -1, -1, 1, 1, 1, 2, 3, -3)) for _ in rhythm]
    steps[0] = 0
    return Motif(rhythm, tuple(steps))


def vary(motif: Motif, rng: random.Random) -> Motif:
    """Same rhythm family, contour inverted or shifted: recognisably the motif, not a copy."""
    if rng.random() < 0.5:
        contour = tuple(-s for s in motif.contour)
    else:
        contour = tuple(s + rng.choice((-1, 1)) if i else 0 for i, s in enumerate(motif.contour))
    return Motif(motif.rhythm, contour)


class MelodyWriter:
    """Writes a melody across sections for one voice, keeping its position between calls."""

    def __init__(
        self, voice: str, scale: list[int], chords: list[ChordSpan], tonic: int, rng: random.Random
    ) -> None:
        self.voice = voice
        self.scale = scale
        self.chords = chords
        self.tonic = tonic
        self.rng = rng
        self.index = len(scale) // 2

    def chord_at(self, beat: float) -> ChordSpan:
        for span in self.chords:
            if span.start <= beat < span.start + span.duration:
                return span
        return self.chords[-1]

    def section(self, section: Section, motif: Motif, velocity: float) -> list[Note]:
        notes: list[Note] = []
        for pair_start in range(0, section.bars, 2):
            bar = section.start_bar + pair_start
            call = (pair_start // 2) % 2 == 0
            notes += self._bar(bar, motif, velocity, restart=True)
            if pair_start + 1 >= section.bars:
                break
            if call:
                notes += self._bar(
                    bar + 1, vary(motif, self.rng), velocity, restart=False, end="open"
                )
            else:
                cadence = Motif(self.rng.choice(_CADENCE_RHYTHMS), motif.contour)
                notes += self._bar(bar + 1, cadence, velocity, restart=False, end="closed")
        return notes

    def final_note(self, start: float, duration: float, velocity: float) -> Note:
        self.index = self._nearest_index_with_classes(self.index, (self.tonic,))
        return Note(self.voice, start, duration, self.scale[self.index], velocity)

    def _bar(
        self, bar: int, motif: Motif, velocity: float, *, restart: bool, end: str | None = None
    ) -> list[Note]:
        notes = []
        if restart:
            self.index = self._phrase_start_index()
        for position, ((onset, duration), step) in enumerate(
            zip(motif.rhythm, motif.contour, strict=False)
        ):
            beat = bar * BEATS_PER_BAR + onset
            chord = self.chord_at(beat).chord
            tones = chord.pitch_classes(self.tonic)
            self._step(step)
            is_last = position == len(motif.rhythm) - 1
            if is_last and end == "closed":
                self.index = self._nearest_index_with_classes(self.index, tones[:1])
            elif is_last and end == "open":
                self.index = self._nearest_index_with_classes(self.index, tones[1:] or tones)
            elif onset % 2 == 0:
                self.index = self._nearest_index_with_classes(self.index, tones)
            accent = 1.0 if onset % 2 == 0 else 0.88
            # Slightly detached notes breathe; the phrase end is held.
            length = duration if is_last else duration * 0.92
            notes.append(Note(self.voice, beat, length, self.scale[self.index], velocity * accent))
        return notes

    def _phrase_start_index(self) -> int:
        # Phrases restart near the middle of the range so the melody never drifts away, but
        # from where the last phrase ended, so the restart is not itself a leap.
        middle = len(self.scale) // 2
        target = middle + self.rng.choice((-2, -1, 0, 1, 2))
        nearest = max(middle - 3, min(middle + 3, self.index))
        return max(0, min(len(self.scale) - 1, (target + nearest) // 2))

    def _step(self, step: int) -> None:
        step = max(-MAX_LEAP, min(MAX_LEAP, step))
        target = self.index + step
        if target < 0 or target >= len(self.scale):
            target = self.index - step
        self.index = max(0, min(len(self.scale) - 1, target))

    def _nearest_index_with_classes(self, index: int, classes: tuple[int, ...]) -> int:
        best = index
        for distance in range(0, 5):
            for candidate in (index - distance, index + distance):
                if 0 <= candidate < len(self.scale) and self.scale[candidate] % 12 in classes:
                    return candidate
        return best
