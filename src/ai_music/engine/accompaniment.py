"""Accompaniment: chords for the harmony voices, counter-lines for the one-note voices, and
the bass line, each played in its genre's way (see the pattern tables below).

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
    "rhodes": (52, 72),
    "guitar": (48, 67),
    "electric_guitar": (40, 62),
    "harp": (55, 79),
    "strings": (55, 76),
    "violin": (62, 84),
    "cello": (43, 62),
    "choir": (55, 74),
    "pad": (50, 70),
    "organ": (53, 72),
    "synth": (60, 79),
    "bells": (72, 88),
    "marimba": (60, 81),
    "flute": (72, 86),
    "clarinet": (58, 77),
    "sax": (56, 74),
    "brass": (55, 74),
}
BASS_RANGE = (33, 52)

Onsets = tuple[tuple[float, float], ...]  # (beat in the bar, length in beats)

# Comping rhythms, one bar each; "sparse" is used in A sections, "busy" in B sections.
_COMP_BARS: dict[str, tuple[Onsets, Onsets]] = {
    "block": (((0, 2), (2, 2)), ((0, 1.5), (1.5, 0.5), (2, 1), (3, 1))),
    "strum": (
        ((0, 1.5), (1.5, 0.5), (2, 1), (3, 1)),
        ((0, 1), (1, 0.5), (1.5, 1), (2.5, 0.5), (3, 0.5), (3.5, 0.5)),
    ),
    "comp": (((0, 1), (1.5, 0.5)), ((0, 0.5), (1.5, 0.5), (2.5, 0.5), (3.5, 0.5))),
    "funk": (
        ((0, 0.2), (0.75, 0.2), (1.5, 0.2), (2.5, 0.2), (3.25, 0.2)),
        ((0, 0.2), (0.5, 0.15), (0.75, 0.2), (1.5, 0.2), (2.25, 0.2), (2.75, 0.2), (3.5, 0.2)),
    ),
    "skank": (((1, 0.35), (3, 0.35)), ((0.5, 0.3), (1.5, 0.3), (2.5, 0.3), (3.5, 0.3))),
    "bossa": (
        ((0, 1), (1.5, 1), (3, 0.75)),
        ((0, 0.75), (1, 0.5), (1.5, 1), (2.5, 0.5), (3.5, 0.5)),
    ),
    "stab": (((0.5, 0.3), (2.5, 0.3)), ((0.5, 0.3), (1.5, 0.3), (2.5, 0.3), (3.5, 0.3))),
    "power": (
        tuple((t / 2, 0.35) for t in range(8)),
        ((0, 1.5), (1.5, 0.5), (2, 1.5), (3.5, 0.5)),
    ),
}
# Broken-chord patterns: step in beats for A and for B.
_ARPEGGIO_STEPS = {"arpeggio": (1.0, 0.5), "gate": (0.5, 0.25), "montuno": (0.5, 0.5)}


def comp_pattern(voice: str, style_comp: str) -> str:
    """The accompaniment pattern a voice plays, given the genre's (or mood's) preference."""
    if voice in ("strings", "pad", "choir", "cello", "brass") and style_comp not in ("stab",):
        return "sustain"
    if voice == "organ":
        return style_comp if style_comp in ("skank", "block", "comp") else "sustain"
    if voice in ("bells", "marimba", "harp", "synth"):
        return "gate" if style_comp == "gate" else "arpeggio"
    if voice == "guitar" and style_comp in ("block", "power"):
        return "strum"
    if voice == "electric_guitar" and style_comp not in ("skank", "funk"):
        return "power"
    return style_comp


class ChordPlayer:
    """Plays chord spans on one harmony voice in a given pattern."""

    def __init__(
        self,
        voice: str,
        pattern: str,
        rng: random.Random,
        tonic: int,
        *,
        low_register: bool = False,
    ) -> None:
        self.voice = voice
        # A voice that also carries the melody accompanies below it, like a pianist's left hand.
        self.shift = -10 if low_register else 0
        self.pattern = pattern
        self.rng = rng
        self.tonic = tonic
        self.previous: list[int] | None = None

    def voicing(self, chord: Chord) -> list[int]:
        low, high = VOICING_RANGES.get(self.voice, (52, 72))
        if self.pattern == "power":
            # Power chords stay low whatever else the guitar plays: that is where they growl.
            root = low + (self.tonic + chord.root - low) % 12
            self.previous = [root, root + 7, root + 12]
            return self.previous
        low, high = low + self.shift, high + self.shift
        classes = chord.voicing_classes(self.tonic)
        size = 4 if len(classes) > 3 or self.voice in ("strings", "pad", "organ", "choir") else 3
        self.previous = voice_chord(classes, self.previous, low, high, size)
        return self.previous

    def play(self, span: ChordSpan, velocity: float, busy: bool) -> list[Note]:
        voicing = self.voicing(span.chord)
        if self.pattern in _ARPEGGIO_STEPS:
            return self._arpeggio(span, voicing, velocity, busy)
        if self.pattern == "sustain" or span.duration < 1:
            return [Note(self.voice, span.start, span.duration, p, velocity) for p in voicing]
        bars = _COMP_BARS.get(self.pattern, _COMP_BARS["block"])
        notes = []
        for onset, length in _bar_onsets(bars[1] if busy else bars[0], span.duration):
            strum_step = 0.02 if self.pattern in ("strum", "power") and length > 0.4 else 0.0
            upstroke = self.pattern == "strum" and onset % 1 == 0.5
            order = list(reversed(voicing)) if upstroke else voicing
            accent = 1.0 if onset % 2 == 0 else 0.85
            for k, pitch in enumerate(order):
                start = span.start + onset + k * strum_step
                notes.append(Note(self.voice, start, length * 0.95, pitch, velocity * accent))
        return notes

    def _arpeggio(
        self, span: ChordSpan, voicing: list[int], velocity: float, busy: bool
    ) -> list[Note]:
        step = _ARPEGGIO_STEPS[self.pattern][1 if busy else 0]
        shape = [*voicing, voicing[0] + 12, *voicing[1:-1][::-1]]
        if self.pattern == "montuno":
            # Piano montuno: octave-doubled chord tones in a syncopated up-and-down figure.
            shape = [voicing[0], voicing[-1], voicing[1], voicing[-1], voicing[0] + 12, voicing[-1]]
        notes = []
        count = int(span.duration / step)
        for i in range(count):
            onset = i * step
            accent = 1.0 if onset % 1 == 0 else 0.8
            # Each note rings over the next ones, like a sustain pedal or a picked guitar.
            ring = min(step * (1.2 if self.pattern == "gate" else 3), span.duration - onset)
            notes.append(
                Note(self.voice, span.start + onset, ring, shape[i % len(shape)], velocity * accent)
            )
        return notes


class LinePlayer:
    """A one-note voice off the melody plays a counter-line: a guide tone per chord (third
    or seventh, nearest the last one), rhythmically alive in B sections."""

    def __init__(self, voice: str, tonic: int) -> None:
        self.voice = voice
        self.tonic = tonic
        low, high = VOICING_RANGES.get(voice, (55, 76))
        self.low, self.high = low, high
        self.last = (low + high) // 2

    def play(self, span: ChordSpan, velocity: float, busy: bool) -> list[Note]:
        classes = span.chord.pitch_classes(self.tonic)
        guides = classes[1:] if len(classes) > 1 else classes
        options = [p for p in range(self.low, self.high + 1) if p % 12 in guides]
        pitch = min(options, key=lambda p: abs(p - self.last)) if options else self.last
        self.last = pitch
        if not busy or span.duration < 2:
            return [Note(self.voice, span.start, span.duration * 0.95, pitch, velocity)]
        half = span.duration / 2
        second = min(options, key=lambda p: (p == pitch, abs(p - pitch))) if options else pitch
        return [
            Note(self.voice, span.start, half * 0.95, pitch, velocity),
            Note(self.voice, span.start + half, half * 0.95, second, velocity * 0.9),
        ]


def _bar_onsets(bar: Onsets, length: float) -> list[tuple[float, float]]:
    """The bar's rhythm repeated across a chord of `length` beats, cut at its end."""
    out = []
    for offset in range(0, max(1, int(length)), BEATS_PER_BAR):
        for onset, duration in bar:
            if offset + onset < length:
                out.append((offset + onset, min(duration, length - offset - onset)))
    return out


# Bass rhythms, one bar each: (beat, length, chord tone): 0 root, 1 fifth, 2 octave,
# 3 the third, 4 the sixth, 5 the seventh.
_BASS_BARS: dict[str, tuple[tuple[float, float, int], ...]] = {
    "whole": ((0, 4, 0),),
    "root_fifth": ((0, 2, 0), (2, 2, 1)),
    "pulse": tuple((t / 2, 0.45, 0) for t in range(8)),
    "chug": tuple((t / 4, 0.22, 0) for t in range(16)),
    "syncopated": ((0, 1.4, 0), (1.5, 0.9, 0), (2.5, 1.4, 1)),
    "funk": (
        (0, 0.4, 0),
        (0.75, 0.2, 2),
        (1, 0.2, 0),
        (1.75, 0.4, 5),
        (2.5, 0.4, 0),
        (3.25, 0.2, 1),
        (3.5, 0.4, 2),
    ),
    "reggae": ((0, 0.9, 0), (1.5, 0.4, 0), (2, 0.9, 1), (3, 0.9, 3)),
    "bossa": ((0, 1.4, 0), (1.5, 0.5, 1), (2, 1.4, 1), (3.5, 0.5, 0)),
    "tumbao": ((1.5, 1.4, 0), (3, 1, 1)),
    "octave": tuple((t / 2, 0.4, 2 if t % 2 else 0) for t in range(8)),
    "offbeat": tuple((t + 0.5, 0.4, 0) for t in range(4)),
    "boogie": ((0, 1, 0), (1, 1, 3), (2, 1, 1), (3, 1, 4)),
    "sub": ((0, 2.5, 0), (2.5, 1.5, 0)),
    "wobble": tuple((t / 4, 0.24, 0) for t in range(16)),
}


class BassPlayer:
    def __init__(
        self, pattern: str, tonic: int, rng: random.Random, *, drone: bool = False
    ) -> None:
        self.pattern = pattern
        self.drone = drone
        self.tonic = tonic
        self.rng = rng
        self.last = (BASS_RANGE[0] + BASS_RANGE[1]) // 2

    def _near(self, pitch_class: int) -> int:
        low, high = BASS_RANGE
        options = [p for p in range(low, high + 1) if p % 12 == pitch_class]
        return min(options, key=lambda p: abs(p - self.last))

    def play(
        self, span: ChordSpan, next_chord: Chord | None, velocity: float, *, held: bool = False
    ) -> list[Note]:
        if self.drone:
            # A pedal point: the tonic sounds under every chord, whatever the harmony does.
            tonic = self._near(self.tonic)
            return [Note("bass", span.start, span.duration * 0.98, tonic, velocity)]
        root = self._near((self.tonic + span.chord.root) % 12)
        self.last = root
        intervals = span.chord.intervals
        tones = (
            root,
            root + 7,
            root + 12 if root + 12 <= 60 else root,
            root + (intervals[1] if len(intervals) > 1 and intervals[1] < 7 else 4),
            root + 9,
            root + (intervals[3] if len(intervals) > 3 else 10),
        )
        pattern = "whole" if held or span.duration < 2 else self.pattern
        if pattern == "walking":
            events = self._walk(span, root, next_chord)
        else:
            events = [
                (offset + onset, length, tones[tone])
                for offset in range(0, max(1, int(span.duration)), BEATS_PER_BAR)
                for onset, length, tone in _BASS_BARS[pattern]
                if offset + onset < span.duration
            ]
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
        tones = [root + i for i in span.chord.intervals if i < 12]
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
