"""The composer: from a plan and a random generator to a complete score.

The form comes from harmony.py (intro, A, B/chorus, ..., outro, final chord) and the chords
from the genre's charts (or the mood's). The lead voice writes the melody from motifs,
chord voices comp in the genre's pattern (busier in B), one-note voices play counter-lines,
the bass plays the genre's bass rhythm and the drums its groove with fills and builds.
Section dynamics move the loudness (quiet intro, fuller B). Then the genre's swing is
applied to every part alike, and the result is humanised in timing and velocity.
"""

from __future__ import annotations

import random

from ai_music.engine.accompaniment import (
    VOICING_RANGES,
    BassPlayer,
    ChordPlayer,
    LinePlayer,
    comp_pattern,
)
from ai_music.engine.harmony import (
    BEATS_PER_BAR,
    chord_timeline,
    ending_bar,
    layout_sections,
    voice_chord,
)
from ai_music.engine.instruments import MONOPHONIC
from ai_music.engine.melody import MelodyWriter, make_motif
from ai_music.engine.moods import MOODS
from ai_music.engine.plan import Plan
from ai_music.engine.rhythm import drum_feel, drum_part, final_hit
from ai_music.engine.score import Note, Score, Section
from ai_music.engine.theory import scale_pitches

_SECTION_DYNAMICS = {"intro": 0.6, "A": 0.8, "B": 1.0, "outro": 0.7}
# Where each lead voice sings best (MIDI pitch the melody centres on); others: the mood's.
_LEAD_REGISTER = {
    "cello": 57,
    "brass": 68,
    "sax": 66,
    "clarinet": 68,
    "electric_guitar": 67,
    "guitar": 67,
    "choir": 67,
    "violin": 76,
    "flute": 79,
    "bells": 79,
    "marimba": 74,
    "harp": 72,
    "organ": 70,
}
# Humanisation: timing spread (seconds) and velocity spread (fraction).
_TIMING_SPREAD_S = 0.006
_VELOCITY_SPREAD = 0.07


def charts_for(plan: Plan) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """The genre's chord charts in the plan's key family, else the mood's own (or, when a
    "minor"/"major" word flipped the mood's family, those of the plain sad or happy mood)."""
    chart_a, chart_b = plan.style.progressions(plan.is_major)
    if chart_a:
        return list(chart_a), list(chart_b or chart_a)
    mood = plan.mood
    if mood.is_major != plan.is_major:
        mood = MOODS["happy" if plan.is_major else "sad"]
    return list(mood.progressions_a), list(mood.progressions_b)


def compose(plan: Plan, rng: random.Random) -> Score:
    mood, style = plan.mood, plan.style
    tonic = plan.tonic if plan.tonic is not None else rng.randrange(12)
    score = Score(
        tempo=plan.tempo, duration_s=plan.duration, tonic=tonic, mode=plan.mode, voices=plan.voices
    )
    total_beats = score.total_beats
    final_bar = ending_bar(total_beats, plan.tempo)
    section_bars = 12 if style.form == "blues" else (8 if final_bar >= 24 else 4)
    score.sections = layout_sections(final_bar, section_bars)
    beats_per_chord = style.beats_per_chord or mood.beats_per_chord
    if final_bar < 16:
        beats_per_chord = min(beats_per_chord, BEATS_PER_BAR)
    charts_a, charts_b = charts_for(plan)
    charts = (rng.choice(charts_a), rng.choice(charts_b))
    score.chords = chord_timeline(
        score.sections, final_bar, total_beats, charts, beats_per_chord, plan.mode
    )
    density = min(1.0, mood.density * style.density * (1 + 0.3 * plan.energy))
    velocity = min(1.0, max(0.3, mood.velocity * (1 + 0.2 * plan.energy)))
    final_start = float(final_bar * BEATS_PER_BAR)
    notes: list[Note] = []

    lead = plan.lead
    if lead is not None and lead in plan.voices:
        notes += _melody(plan, score, lead, density, velocity, final_start, rng)
    for voice in plan.voices:
        if voice in ("bass", "drums") or (voice == lead and not _comps_too(voice, plan)):
            continue
        if voice in MONOPHONIC:
            notes += _line(score, voice, velocity)
        else:
            notes += _harmony(plan, score, voice, voice == lead, velocity, rng)
    if "bass" in plan.voices and lead != "bass":
        notes += _bass(plan, score, velocity, rng)
    if "drums" in plan.voices:
        feel = drum_feel(mood.drums, style.drums, plan.soft_drums, velocity)
        drum_velocity = velocity * (0.7 if plan.soft_drums else 1.0)
        notes += drum_part(feel, score.sections, drum_velocity, style.form, rng)
        notes += final_hit(final_start, drum_velocity, feel)
    notes = apply_swing(notes, style.swing, style.swing_unit)
    score.notes = humanise(notes, plan.tempo, total_beats, rng)
    return score


def _comps_too(voice: str, plan: Plan) -> bool:
    """The melody voice also plays chords when no other voice can."""
    others = [v for v in plan.voices if v not in ("bass", "drums", voice)]
    return not others and voice in ("piano", "rhodes", "guitar", "electric_guitar", "organ", "harp")


def _dynamics(section: Section, base: float) -> float:
    return base * _SECTION_DYNAMICS.get(section.name, 0.9)


def _melody(
    plan: Plan,
    score: Score,
    voice: str,
    density: float,
    velocity: float,
    final_start: float,
    rng: random.Random,
) -> list[Note]:
    register = _LEAD_REGISTER.get(voice, plan.mood.register) - (24 if voice == "bass" else 0)
    centre = register + (score.tonic - register) % 12 - 6  # nearest tonic-ish centre
    scale = scale_pitches(score.tonic, plan.melody_scale, centre - 8, centre + 12)
    writer = MelodyWriter(voice, scale, score.chords, score.tonic, rng)
    motif_a = make_motif(density, rng)
    motif_b = make_motif(min(1.0, density + 0.2), rng)
    notes: list[Note] = []
    for section in score.sections:
        if section.name in ("intro", "outro"):
            continue
        motif = motif_b if section.name == "B" else motif_a
        notes += writer.section(section, motif, _dynamics(section, velocity))
    final_length = score.total_beats - final_start
    notes.append(writer.final_note(final_start, final_length, velocity * 0.8))
    return notes


def _harmony(
    plan: Plan, score: Score, voice: str, is_melody: bool, velocity: float, rng: random.Random
) -> list[Note]:
    pattern = comp_pattern(voice, plan.style.comp or plan.mood.comp)
    player = ChordPlayer(voice, pattern, rng, score.tonic, low_register=is_melody)
    # Voices that share the melody's job play softer so the tune stays on top.
    level = velocity * (0.6 if is_melody or voice in ("bells", "synth", "marimba") else 0.75)
    notes: list[Note] = []
    for span in score.chords[:-1]:
        section = _section_at(score.sections, span.start)
        notes += player.play(span, _dynamics(section, level), busy=section.name == "B")
    final = score.chords[-1]
    if pattern == "power":
        voicing = player.voicing(final.chord)
    else:
        classes = final.chord.pitch_classes(score.tonic)
        voicing = voice_chord(classes, player.previous, *_final_range(voice), 3)
    notes += [Note(voice, final.start, final.duration, p, level * 0.85) for p in voicing]
    return notes


def _final_range(voice: str) -> tuple[int, int]:
    low, high = VOICING_RANGES.get(voice, (52, 72))
    return low, max(high, low + 12)


def _line(score: Score, voice: str, velocity: float) -> list[Note]:
    """A counter-line, entering after the intro."""
    player = LinePlayer(voice, score.tonic)
    notes: list[Note] = []
    for span in score.chords:
        section = _section_at(score.sections, span.start)
        if section.name == "intro":
            continue
        level = _dynamics(section, velocity * 0.6)
        notes += player.play(span, level, busy=section.name == "B")
    return notes


def _bass(plan: Plan, score: Score, velocity: float, rng: random.Random) -> list[Note]:
    player = BassPlayer(plan.style.bass, score.tonic, rng, drone=plan.mood.drone)
    notes: list[Note] = []
    for index, span in enumerate(score.chords):
        section = _section_at(score.sections, span.start)
        following = score.chords[index + 1].chord if index + 1 < len(score.chords) else None
        is_final = index == len(score.chords) - 1
        # In an EDM breakdown the bass holds; it plays its pattern when the beat drops.
        held = (
            is_final
            or section.name == "intro"
            or (plan.style.form == "edm" and section.name == "A")
        )
        level = velocity * (0.8 if is_final else 0.85)
        notes += player.play(span, following, _dynamics(section, level), held=held)
    return notes


def _section_at(sections: list[Section], beat: float) -> Section:
    for section in sections:
        if (
            section.start_bar * BEATS_PER_BAR
            <= beat
            < (section.start_bar + section.bars) * BEATS_PER_BAR
        ):
            return section
    return Section("ending", 0, 0)


def swing_time(beat: float, swing: float, unit: float) -> float:
    """Where a straight-time position lands under swing: the off-beat `unit` (eighth or
    sixteenth) of each pair is delayed by swing * unit, everything between stretched
    linearly, so notes keep their order and the beats stay on the grid."""
    if not swing:
        return beat
    cell = 2 * unit
    base = (beat // cell) * cell
    fraction = (beat - base) / cell
    split = 0.5 + swing / 2
    if fraction <= 0.5:
        return base + cell * fraction * 2 * split
    return base + cell * (split + (fraction - 0.5) * 2 * (1 - split))


def apply_swing(notes: list[Note], swing: float, unit: float) -> list[Note]:
    """The genre's swing on every part alike: melody, chords, bass and drums."""
    if not swing:
        return notes
    swung = []
    for note in notes:
        start = swing_time(note.start, swing, unit)
        end = swing_time(note.start + note.duration, swing, unit)
        swung.append(Note(note.voice, start, max(0.05, end - start), note.pitch, note.velocity))
    return swung


def humanise(notes: list[Note], tempo: int, total_beats: float, rng: random.Random) -> list[Note]:
    """Small random timing and velocity deviations, never moving a note off the piece."""
    spread = _TIMING_SPREAD_S * tempo / 60.0
    result = []
    for note in notes:
        shift = max(-2.5 * spread, min(2.5 * spread, rng.gauss(0.0, spread)))
        start = min(max(0.0, note.start + shift), total_beats - 0.05)
        duration = max(0.05, min(note.duration, total_beats - start))
        velocity = min(1.0, max(0.05, note.velocity * (1.0 + rng.gauss(0.0, _VELOCITY_SPREAD))))
        result.append(Note(note.voice, start, duration, note.pitch, velocity))
    result.sort(key=lambda n: (n.start, n.voice, n.pitch))
    return result
