"""The score: what the composer writes and the synthesizer, the MIDI writer and the
SoundFont renderer all read. Times are in beats so the grid is exactly the tempo."""

from __future__ import annotations

from dataclasses import dataclass, field

from ai_music.engine.theory import Chord

# General MIDI percussion keys used by the drum parts.
KICK, RIMSHOT, SNARE, CLAP, CLOSED_HAT, LOW_TOM, OPEN_HAT, HIGH_TOM, CRASH, RIDE = (
    36,
    37,
    38,
    39,
    42,
    45,
    46,
    50,
    49,
    51,
)
SHAKER, CLAVE = 70, 75  # Maracas and Claves in General MIDI
DRUM_KEYS = (
    KICK,
    RIMSHOT,
    SNARE,
    CLAP,
    CLOSED_HAT,
    LOW_TOM,
    OPEN_HAT,
    HIGH_TOM,
    CRASH,
    RIDE,
    SHAKER,
    CLAVE,
)


@dataclass(frozen=True)
class Note:
    voice: str
    start: float  # beats from the start of the piece
    duration: float  # beats
    pitch: int  # MIDI pitch, or a General MIDI drum key for the drums voice
    velocity: float  # 0..1


@dataclass(frozen=True)
class ChordSpan:
    start: float  # beats
    duration: float  # beats
    chord: Chord


@dataclass(frozen=True)
class Section:
    name: str  # "intro", "A", "B", "outro", "ending"
    start_bar: int
    bars: int


@dataclass
class Score:
    tempo: int
    duration_s: float
    tonic: int  # pitch class
    mode: str
    voices: tuple[str, ...]
    sections: list[Section] = field(default_factory=list)
    chords: list[ChordSpan] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @property
    def seconds_per_beat(self) -> float:
        return 60.0 / self.tempo

    @property
    def total_beats(self) -> float:
        return self.duration_s / self.seconds_per_beat
