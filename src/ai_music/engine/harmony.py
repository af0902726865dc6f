"""Form and harmony: lay out sections over the bars available and give each bar its chords.

The piece always ends on a held tonic chord that starts on a bar line at least
ENDING_SECONDS before the end, so the mastering fade lands on a resolved sound instead of
cutting a phrase off.
"""

from __future__ import annotations

from ai_music.engine.score import ChordSpan, Section
from ai_music.engine.theory import MAJOR_MODES, Chord, parse_numeral

BEATS_PER_BAR = 4
ENDING_SECONDS = 1.8

# The chord before the final tonic, chosen so the cadence stays inside the mood's colour.
_CADENCE_BY_MODE = {
    "ionian": "V7",
    "lydian": "II",
    "mixolydian": "bVII",
    "aeolian": "V",
    "dorian": "IV",
    "phrygian": "bII",
    "harmonic_minor": "V",
}


def ending_bar(total_beats: float, tempo: int) -> int:
    """The bar on which the final chord starts."""
    tail_beats = max(2.0, ENDING_SECONDS * tempo / 60.0)
    return max(0, int((total_beats - tail_beats) // BEATS_PER_BAR))


def layout_sections(body_bars: int, section_bars: int) -> list[Section]:
    """Intro, alternating A and B (chorus) sections, and an outro, fitted to body_bars.

    Every piece of eight bars or more gets an intro, an A and a B, however slow the tempo:
    sections shrink (down to two bars) before the form is given up.
    """
    if body_bars <= 0:
        return []
    if body_bars < 4:
        return [Section("A", 0, body_bars)]
    if body_bars < 8:
        a_bars = (body_bars - 1) // 2
        return [
            Section("intro", 0, 1),
            Section("A", 1, a_bars),
            Section("B", 1 + a_bars, body_bars - 1 - a_bars),
        ]
    intro = 4 if body_bars >= 40 else 2
    outro = 2 if body_bars >= 14 else 0
    middle = body_bars - intro - outro
    length = max(2, min(section_bars, middle // 2))
    sections = [Section("intro", 0, intro)]
    bar = intro
    index = 0
    while bar < intro + middle:
        size = min(length, intro + middle - bar)
        if size < 2 and len(sections) > 1:
            # Too short to say anything: the previous section runs on instead.
            previous = sections.pop()
            sections.append(Section(previous.name, previous.start_bar, previous.bars + size))
        else:
            sections.append(Section("AB"[index % 2], bar, size))
            index += 1
        bar += size
    if outro:
        sections.append(Section("outro", bar, outro))
    return sections


def chord_timeline(
    sections: list[Section],
    final_bar: int,
    total_beats: float,
    charts: tuple[tuple[str, ...], tuple[str, ...]],
    beats_per_chord: int,
    mode: str,
) -> list[ChordSpan]:
    """Chord spans for every section: A and B their own charts, the intro the start of the A
    chart (it sets up the key), the outro the tonic; a cadence, then the final tonic."""
    progression_a = [parse_numeral(s) for s in charts[0]]
    progression_b = [parse_numeral(s) for s in charts[1]]
    tonic = parse_numeral("I" if mode in MAJOR_MODES else "i")
    spans: list[ChordSpan] = []
    for section in sections:
        if section.name == "B":
            progression = progression_b
        elif section.name == "intro":
            progression = progression_a[:2]
        elif section.name == "outro":
            progression = [tonic]
        else:
            progression = progression_a
        spans.extend(_spans_for_section(section, progression, beats_per_chord))
    _end_with_cadence(spans, mode)
    final_start = float(final_bar * BEATS_PER_BAR)
    spans.append(ChordSpan(final_start, total_beats - final_start, tonic))
    return spans


def _spans_for_section(
    section: Section, progression: list[Chord], beats_per_chord: int
) -> list[ChordSpan]:
    beats = section.bars * BEATS_PER_BAR
    per_chord = min(beats_per_chord, beats)
    # Short sections still move: at least two chords when there is room for them.
    if beats >= 2 * BEATS_PER_BAR:
        per_chord = min(per_chord, beats // 2)
    spans = []
    start = section.start_bar * BEATS_PER_BAR
    offset = 0
    index = 0
    while offset < beats:
        length = min(per_chord, beats - offset)
        spans.append(
            ChordSpan(float(start + offset), float(length), progression[index % len(progression)])
        )
        offset += length
        index += 1
    return spans


def _end_with_cadence(spans: list[ChordSpan], mode: str) -> None:
    """Replace the last chord before the ending by the mode's cadence chord."""
    if len(spans) < 2:
        return
    last = spans[-1]
    cadence = parse_numeral(_CADENCE_BY_MODE.get(mode, "V"))
    if last.duration > BEATS_PER_BAR:
        # Keep the first half of a long chord and cadence in the second half.
        half = last.duration / 2
        spans[-1] = ChordSpan(last.start, half, last.chord)
        spans.append(ChordSpan(last.start + half, half, cadence))
    else:
        spans[-1] = ChordSpan(last.start, last.duration, cadence)


def voice_chord(
    pitch_classes: tuple[int, ...], previous: list[int] | None, low: int, high: int, size: int
) -> list[int]:
    """A close voicing of the chord within [low, high] that moves least from previous."""
    classes = list(dict.fromkeys(pitch_classes))[:size]
    while len(classes) < size:
        classes.append(classes[0])
    candidates: list[list[int]] = []
    for rotation in range(len(classes)):
        ordered = classes[rotation:] + classes[:rotation]
        for base in range(low, high - 4):
            if base % 12 != ordered[0]:
                continue
            voicing = [base]
            for pc in ordered[1:]:
                nxt = voicing[-1] + 1
                while nxt % 12 != pc:
                    nxt += 1
                voicing.append(nxt)
            if voicing[-1] <= high:
                candidates.append(voicing)
    if not candidates:
        return sorted(low + (pc - low) % 12 for pc in classes)
    if previous is None:
        centre = (low + high) / 2
        return min(candidates, key=lambda v: abs(sum(v) / len(v) - centre))
    return min(candidates, key=lambda v: sum(abs(a - b) for a, b in zip(v, previous, strict=False)))
