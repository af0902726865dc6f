"""Drum parts: one-bar patterns per feel, fills at section ends, a crash on new sections."""

from __future__ import annotations

import random

from ai_music.engine.harmony import BEATS_PER_BAR
from ai_music.engine.score import (
    CLAP,
    CLOSED_HAT,
    CRASH,
    HIGH_TOM,
    KICK,
    LOW_TOM,
    OPEN_HAT,
    RIDE,
    RIMSHOT,
    SNARE,
    Note,
    Section,
)

Hit = tuple[float, int, float]  # (beat within the bar, drum key, velocity)

_EIGHTHS = [i / 2 for i in range(8)]

PATTERNS: dict[str, list[Hit]] = {
    "groove": [(0, KICK, 1.0), (2.5, KICK, 0.8), (1, SNARE, 0.9), (3, SNARE, 0.9)]
    + [(t, CLOSED_HAT, 0.6 if t % 1 else 0.75) for t in _EIGHTHS],
    "driving": [(0, KICK, 1.0), (1.5, KICK, 0.8), (2, KICK, 0.95), (1, SNARE, 1.0), (3, SNARE, 1.0)]
    + [(t, CLOSED_HAT, 0.7 if t % 1 else 0.85) for t in _EIGHTHS],
    "four_on_floor": [(t, KICK, 1.0) for t in range(4)]
    + [(1, CLAP, 0.9), (3, CLAP, 0.9)]
    + [(t + 0.5, OPEN_HAT, 0.6) for t in range(4)],
    "lofi": [(0, KICK, 0.9), (1.75, KICK, 0.6), (2.5, KICK, 0.8), (1, SNARE, 0.7), (3, SNARE, 0.75)]
    + [(t, CLOSED_HAT, 0.45 if t % 1 else 0.55) for t in _EIGHTHS],
    "jazz": [
        (0, RIDE, 0.7),
        (1, RIDE, 0.75),
        (1.5, RIDE, 0.5),
        (2, RIDE, 0.7),
        (3, RIDE, 0.75),
        (3.5, RIDE, 0.5),
        (1, CLOSED_HAT, 0.5),
        (3, CLOSED_HAT, 0.5),
        (0, KICK, 0.45),
        (2, KICK, 0.4),
    ],
    "brushes": [(0, KICK, 0.6), (2, KICK, 0.5), (1, RIMSHOT, 0.55), (3, RIMSHOT, 0.55)]
    + [(t, CLOSED_HAT, 0.35) for t in _EIGHTHS],
    "epic": [(0, KICK, 1.0), (0.75, KICK, 0.7), (2, KICK, 0.9), (1, SNARE, 0.8), (3, SNARE, 0.9)]
    + [(2.5, LOW_TOM, 0.7), (3.5, HIGH_TOM, 0.6)]
    + [(t, CLOSED_HAT, 0.5) for t in range(4)],
}

_FILL_FEELS = {"groove", "driving", "epic", "four_on_floor"}


def drum_feel(mood_feel: str, style_feel: str | None, soft: bool, mood_velocity: float) -> str:
    """The feel to play when drums are in the ensemble."""
    feel = style_feel if style_feel and style_feel != "none" else mood_feel
    if soft or feel == "none":
        # Drums were asked for where the mood has none: play them gently.
        return "brushes" if soft or mood_velocity < 0.6 else "groove"
    return feel


def drum_part(
    feel: str, sections: list[Section], velocity: float, swing: float, rng: random.Random
) -> list[Note]:
    pattern = PATTERNS[feel]
    notes: list[Note] = []
    for section in sections:
        if section.name == "intro":
            # The intro keeps only the time-keeping voices, so the band enters at A.
            section_pattern = [h for h in pattern if h[1] in (CLOSED_HAT, RIDE, KICK)]
        else:
            section_pattern = pattern
        for bar in range(section.start_bar, section.start_bar + section.bars):
            is_fill_bar = bar == section.start_bar + section.bars - 1 and section.bars >= 4
            hits = _fill(pattern) if is_fill_bar and feel in _FILL_FEELS else section_pattern
            if bar == section.start_bar and section.name in ("A", "B") and feel in _FILL_FEELS:
                hits = [*hits, (0.0, CRASH, 0.8)]
            for beat, key, hit_velocity in hits:
                onset = bar * BEATS_PER_BAR + _swung(beat, swing)
                accent = rng.uniform(0.9, 1.05)
                notes.append(
                    Note("drums", onset, 0.25, key, min(1.0, velocity * hit_velocity * accent))
                )
    return notes


def _fill(pattern: list[Hit]) -> list[Hit]:
    """The first half of the groove, then sixteenth notes down the snare and toms."""
    first_half = [h for h in pattern if h[0] < 2]
    toms = (SNARE, SNARE, HIGH_TOM, HIGH_TOM, LOW_TOM, LOW_TOM, KICK, KICK)
    return first_half + [(2 + i * 0.25, key, 0.55 + 0.05 * i) for i, key in enumerate(toms)]


def _swung(beat: float, swing: float) -> float:
    """Off-beat eighths are delayed by the swing amount; beats stay on the grid."""
    if swing and abs(beat % 1 - 0.5) < 1e-9:
        return beat + swing * 0.5
    return beat


def final_hit(start: float, velocity: float, feel: str) -> list[Note]:
    keys = (KICK, CRASH) if feel in _FILL_FEELS else (KICK,)
    return [Note("drums", start, 1.0, key, velocity * 0.8) for key in keys]
