"""Drum parts: a one-bar groove per feel, a busier variant for the B section (chorus), fills
into every new section, an EDM build (a snare roll rising into the drop, the kick held back
in the breakdown), crashes on section starts, and an intro that only keeps time.

Swing is not applied here: the composer swings every part alike (composer.apply_swing).
"""

from __future__ import annotations

import random

from ai_music.engine.harmony import BEATS_PER_BAR
from ai_music.engine.score import (
    CLAP,
    CLAVE,
    CLOSED_HAT,
    CRASH,
    HIGH_TOM,
    KICK,
    LOW_TOM,
    OPEN_HAT,
    RIDE,
    RIMSHOT,
    SHAKER,
    SNARE,
    Note,
    Section,
)

Hit = tuple[float, int, float]  # (beat within the bar, drum key, velocity)

_EIGHTHS = [i / 2 for i in range(8)]
_SIXTEENTHS = [i / 4 for i in range(16)]


def _hats(key: int, grid: list[float], on: float, off: float) -> list[Hit]:
    return [(t, key, on if t % 1 == 0 else off) for t in grid]


PATTERNS: dict[str, list[Hit]] = {
    "groove": [
        (0, KICK, 1.0),
        (2.5, KICK, 0.8),
        (1, SNARE, 0.9),
        (3, SNARE, 0.9),
        *_hats(CLOSED_HAT, _EIGHTHS, 0.75, 0.55),
    ],
    "driving": [
        (0, KICK, 1.0),
        (1.5, KICK, 0.8),
        (2, KICK, 0.95),
        (1, SNARE, 1.0),
        (3, SNARE, 1.0),
        *_hats(CLOSED_HAT, _EIGHTHS, 0.85, 0.65),
    ],
    "metal": [(t, KICK, 0.85 if t % 1 else 1.0) for t in _SIXTEENTHS]
    + [(1, SNARE, 1.0), (3, SNARE, 1.0)]
    + _hats(RIDE, [0.0, 1.0, 2.0, 3.0], 0.8, 0.8),
    "punk": [
        (0, KICK, 1.0),
        (1.5, KICK, 0.8),
        (2, KICK, 1.0),
        (3.5, KICK, 0.8),
        (1, SNARE, 1.0),
        (3, SNARE, 1.0),
        *_hats(CLOSED_HAT, _EIGHTHS, 0.9, 0.8),
    ],
    "four_on_floor": [(t, KICK, 1.0) for t in range(4)]
    + [(1, CLAP, 0.9), (3, CLAP, 0.9)]
    + [(t + 0.5, OPEN_HAT, 0.55) for t in range(4)]
    + [(t, CLOSED_HAT, 0.3) for t in _SIXTEENTHS if t % 0.5],
    "disco": [(t, KICK, 1.0) for t in range(4)]
    + [(1, SNARE, 0.9), (3, SNARE, 0.9)]
    + [(t + 0.5, OPEN_HAT, 0.6) for t in range(4)]
    + [(float(t), CLOSED_HAT, 0.5) for t in range(4)],
    "techno": [(t, KICK, 1.0) for t in range(4)]
    + [(1, CLAP, 0.6), (3, CLAP, 0.6), (3.75, RIMSHOT, 0.4)]
    + _hats(CLOSED_HAT, _SIXTEENTHS, 0.5, 0.35)
    + [(t + 0.5, OPEN_HAT, 0.5) for t in range(4)],
    "halftime": [
        (0, KICK, 1.0),
        (2.75, KICK, 0.7),
        (2, SNARE, 1.0),
        (2, CLAP, 0.6),
        *_hats(CLOSED_HAT, _EIGHTHS, 0.6, 0.45),
    ],
    "trap": [(0, KICK, 1.0), (1.75, KICK, 0.8), (2.5, KICK, 0.7), (2, CLAP, 1.0), (2, SNARE, 0.5)]
    + _hats(CLOSED_HAT, _SIXTEENTHS[:12], 0.6, 0.45)
    + [(3 + i / 8, CLOSED_HAT, 0.35 + 0.04 * i) for i in range(8)],
    "breakbeat": [
        (0, KICK, 1.0),
        (2.5, KICK, 0.9),
        (1, SNARE, 1.0),
        (3, SNARE, 1.0),
        (1.75, SNARE, 0.3),
        (3.25, SNARE, 0.3),
        *_hats(CLOSED_HAT, _EIGHTHS, 0.6, 0.45),
        (3.5, OPEN_HAT, 0.5),
    ],
    "boombap": [
        (0, KICK, 1.0),
        (1.75, KICK, 0.6),
        (2.25, KICK, 0.8),
        (1, SNARE, 0.95),
        (3, SNARE, 1.0),
        *_hats(CLOSED_HAT, _EIGHTHS, 0.6, 0.4),
    ],
    "lofi": [
        (0, KICK, 0.9),
        (1.75, KICK, 0.6),
        (2.5, KICK, 0.8),
        (1, SNARE, 0.7),
        (3, SNARE, 0.75),
        *_hats(CLOSED_HAT, _EIGHTHS, 0.55, 0.4),
    ],
    "funk": [
        (0, KICK, 1.0),
        (0.75, KICK, 0.7),
        (2.5, KICK, 0.85),
        (3.25, KICK, 0.6),
        (1, SNARE, 1.0),
        (3, SNARE, 1.0),
        (1.75, SNARE, 0.25),
        (2.25, SNARE, 0.25),
        (3.75, SNARE, 0.3),
        *_hats(CLOSED_HAT, _SIXTEENTHS, 0.7, 0.4),
    ],
    "jazz": [
        (0, RIDE, 0.7),
        (1, RIDE, 0.8),
        (1.5, RIDE, 0.5),
        (2, RIDE, 0.7),
        (3, RIDE, 0.8),
        (3.5, RIDE, 0.5),
        (1, CLOSED_HAT, 0.5),
        (3, CLOSED_HAT, 0.5),
        (0, KICK, 0.35),
        (2, KICK, 0.3),
        (2.5, SNARE, 0.2),
    ],
    "shuffle": [
        (0, KICK, 0.9),
        (2, KICK, 0.8),
        (1, SNARE, 0.85),
        (3, SNARE, 0.9),
        *_hats(RIDE, _EIGHTHS, 0.7, 0.5),
    ],
    "brushes": [
        (0, KICK, 0.6),
        (2, KICK, 0.5),
        (1, RIMSHOT, 0.55),
        (3, RIMSHOT, 0.55),
        *_hats(CLOSED_HAT, _EIGHTHS, 0.4, 0.3),
    ],
    "train": [(0, KICK, 0.8), (2, KICK, 0.7)]
    + [(t, SNARE, 0.75 if t in (1, 3) else 0.3) for t in _EIGHTHS],
    "one_drop": [
        (2, KICK, 1.0),
        (2, RIMSHOT, 0.9),
        (3.5, RIMSHOT, 0.4),
        *_hats(CLOSED_HAT, _EIGHTHS, 0.55, 0.4),
    ],
    "bossa": [
        (0, KICK, 0.7),
        (1.5, KICK, 0.5),
        (2, KICK, 0.7),
        (3.5, KICK, 0.5),
        (0, RIMSHOT, 0.6),
        (1.5, RIMSHOT, 0.55),
        (3, RIMSHOT, 0.6),
        *_hats(SHAKER, _EIGHTHS, 0.5, 0.35),
    ],
    "latin": [
        (1.5, KICK, 0.8),
        (3, KICK, 0.8),
        (0, CLAVE, 0.8),
        (1.5, CLAVE, 0.7),
        (3, CLAVE, 0.8),
        (2.5, HIGH_TOM, 0.5),
        (3.5, LOW_TOM, 0.6),
        *_hats(SHAKER, _EIGHTHS, 0.55, 0.4),
    ],
    "epic": [(0, KICK, 1.0), (0.75, KICK, 0.7), (2, KICK, 0.9), (1, SNARE, 0.8), (3, SNARE, 0.9)]
    + [(2.5, LOW_TOM, 0.7), (3.5, HIGH_TOM, 0.6)]
    + [(t, CLOSED_HAT, 0.5) for t in range(4)],
}

_ELECTRONIC = {"four_on_floor", "techno", "halftime", "trap", "breakbeat"}
_SOFT = {"jazz", "brushes", "bossa", "one_drop"}


def drum_feel(mood_feel: str, style_feel: str | None, soft: bool, mood_velocity: float) -> str:
    """The feel to play when drums are in the ensemble."""
    feel = style_feel if style_feel and style_feel != "none" else mood_feel
    if soft or feel == "none":
        # Drums were asked for where the mood has none: play them gently.
        return "brushes" if soft or mood_velocity < 0.6 else "groove"
    return feel


def chorus_variant(feel: str) -> list[Hit]:
    """The B section's groove: the hi-hat opens to the ride, the kick pushes one more beat."""
    pattern = PATTERNS[feel]
    if feel in ("groove", "driving", "punk", "boombap", "lofi", "shuffle"):
        swapped = [(t, RIDE if k == CLOSED_HAT else k, v) for t, k, v in pattern]
        return [*swapped, (3.5, KICK, 0.7)]
    if feel in _SOFT:
        return [*pattern, (3.5, KICK, 0.35), (1.5, RIMSHOT, 0.3)]
    return [*pattern, *[(t + 0.25, CLOSED_HAT, 0.3) for t in range(4)]]


def drum_part(
    feel: str, sections: list[Section], velocity: float, form: str, rng: random.Random
) -> list[Note]:
    notes: list[Note] = []
    for index, section in enumerate(sections):
        following = sections[index + 1] if index + 1 < len(sections) else None
        for bar in range(section.start_bar, section.start_bar + section.bars):
            hits = _bar_hits(feel, section, bar, following, form)
            level = velocity * _SECTION_LEVEL.get(section.name, 0.85)
            for beat, key, hit_velocity in hits:
                accent = rng.uniform(0.9, 1.05)
                onset = bar * BEATS_PER_BAR + beat
                notes.append(
                    Note("drums", onset, 0.25, key, min(1.0, level * hit_velocity * accent))
                )
    return notes


_SECTION_LEVEL = {"intro": 0.7, "A": 0.85, "B": 1.0, "outro": 0.75}


def _bar_hits(
    feel: str, section: Section, bar: int, following: Section | None, form: str
) -> list[Hit]:
    pattern = chorus_variant(feel) if section.name == "B" else PATTERNS[feel]
    last_bar = bar == section.start_bar + section.bars - 1
    into_b = following is not None and following.name == "B"
    if section.name == "intro":
        # The intro only keeps time; the band's groove enters at A.
        hits = [h for h in PATTERNS[feel] if h[1] in (CLOSED_HAT, RIDE, SHAKER, KICK)]
    elif form == "edm" and section.name == "A":
        # The breakdown: no kick until the drop.
        hits = [h for h in pattern if h[1] != KICK]
    else:
        hits = pattern
    if (
        form == "edm"
        and into_b
        and section.name == "A"
        and bar >= section.start_bar + section.bars - 2
    ):
        first = bar == section.start_bar + section.bars - 2 and section.bars >= 3
        hits = _build(first_half=first)
    elif last_bar and following is not None and section.bars >= 2:
        hits = _fill(feel, hits)
    if bar == section.start_bar and section.name in ("A", "B") and feel not in _SOFT:
        hits = [*hits, (0.0, CRASH, 0.85 if section.name == "B" else 0.65)]
    return hits


def _build(*, first_half: bool) -> list[Hit]:
    """A snare roll rising into the drop: eighths, then sixteenths, louder all the way, and
    a breath of silence on the last eighth before the downbeat."""
    if first_half:
        return [(t, SNARE, 0.3 + 0.05 * i) for i, t in enumerate(_EIGHTHS)]
    return [(t, SNARE, 0.55 + 0.03 * i) for i, t in enumerate(_SIXTEENTHS) if t < 3.5]


def _fill(feel: str, pattern: list[Hit]) -> list[Hit]:
    """Keep the groove's first half, then a fill down the kit into the next section."""
    first_half = [h for h in pattern if h[0] < 2]
    if feel in _SOFT:
        return [*first_half, (2.0, SNARE, 0.4), (2.67, SNARE, 0.45), (3.33, SNARE, 0.5)]
    if feel in _ELECTRONIC:
        return [*first_half, *[(2 + i * 0.25, SNARE, 0.5 + 0.06 * i) for i in range(8)]]
    toms = (SNARE, SNARE, HIGH_TOM, HIGH_TOM, LOW_TOM, LOW_TOM, KICK, KICK)
    return first_half + [(2 + i * 0.25, key, 0.6 + 0.05 * i) for i, key in enumerate(toms)]


def final_hit(start: float, velocity: float, feel: str) -> list[Note]:
    keys = (KICK,) if feel in _SOFT else (KICK, CRASH)
    return [Note("drums", start, 1.0, key, velocity * 0.8) for key in keys]
