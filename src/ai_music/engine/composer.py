"""The composer: from a plan and a random generator to a complete score.

Roles are given to the voices in the ensemble (who carries the melody, who comps, who plays
the bass, whether drums play), the form and chords come from harmony.py, each role writes
its notes section by section, and the result is humanised in timing and velocity.
"""

from __future__ import annotations

import random

from ai_music.engine.accompaniment import BassPlayer, ChordPlayer
from ai_music.engine.harmony import (
    BEATS_PER_BAR,
    chord_timeline,
    ending_bar,
    layout_sections,
    voice_chord,
)
from ai_music.engine.melody import MelodyWriter, make_motif
from ai_music.engine.plan import Plan
from ai_music.engine.rhythm import drum_feel, drum_part, final_hit
from ai_music.engine.score import Note, Score, Section
from ai_music.engine.theory import MODES, scale_pitches

# Who carries the melody, in order of preference.
_MELODY_PREFERENCE = ("flute", "synth", "piano", "bells", "guitar", "strings", "organ", "pad")
_SECTION_DYNAMICS = {"intro": 0.75, "A": 0.9, "B": 1.0, "outro": 0.8}
# Humanisation: timing spread (seconds) and velocity spread (fraction).
_TIMING_SPREAD_S = 0.006
_VELOCITY_SPREAD = 0.07


def choose_melody_voice(voices: tuple[str, ...]) -> str | None:
    for voice in _MELODY_PREFERENCE:
        if voice in voices:
            return voice
    return "bass" if voices == ("bass",) else None


def comp_pattern(voice: str, style_comp: str, is_melody_voice: bool) -> str:
    """The accompaniment pattern a voice plays, given the style's (or mood's) preference."""
    if voice in ("strings", "pad", "organ"):
        return "sustain"
    if voice in ("synth", "bells"):
        return "arpeggio"
    if voice == "guitar":
        return "strum" if style_comp in ("strum", "block") else "arpeggio"
    return style_comp


def compose(plan: Plan, rng: random.Random) -> Score:
    mood, style = plan.mood, plan.style
    tonic = rng.randrange(12)
    score = Score(
        tempo=plan.tempo, duration_s=plan.duration, tonic=tonic, mode=mood.mode, voices=plan.voices
    )
    total_beats = score.total_beats
    final_bar = ending_bar(total_beats, plan.tempo)
    section_bars = max(4, mood.beats_per_chord)
    score.sections = layout_sections(final_bar, section_bars)
    score.chords = chord_timeline(score.sections, final_bar, total_beats, mood, rng)
    density = min(1.0, mood.density * style.density)
    notes: list[Note] = []

    melody_voice = choose_melody_voice(plan.voices)
    harmony_voices = [
        v
        for v in plan.voices
        if v not in ("bass", "drums") and (v != melody_voice or _comps_too(v, plan))
    ]
    final_start = float(final_bar * BEATS_PER_BAR)
    final_length = total_beats - final_start

    if melody_voice is not None:
        notes += _melody(plan, score, melody_voice, density, final_start, final_length, rng)
    for voice in harmony_voices:
        notes += _harmony(plan, score, voice, voice == melody_voice, density, rng)
    if "bass" in plan.voices and melody_voice != "bass":
        notes += _bass(plan, score, rng)
    if "drums" in plan.voices:
        feel = drum_feel(mood.drums, style.drums, plan.soft_drums, mood.velocity)
        drum_velocity = mood.velocity * (0.7 if plan.soft_drums else 1.0)
        body = [s for s in score.sections if s.name != "outro"] or score.sections
        notes += drum_part(feel, body, drum_velocity, style.swing, rng)
        notes += final_hit(final_start, drum_velocity, feel)
    score.notes = humanise(notes, plan.tempo, total_beats, rng)
    return score


def _comps_too(voice: str, plan: Plan) -> bool:
    """The melody voice also plays chords when no other voice can."""
    others = [v for v in plan.voices if v not in ("bass", "drums", voice)]
    return not others and voice in ("piano", "guitar", "organ")


def _dynamics(section: Section, base: float) -> float:
    return base * _SECTION_DYNAMICS.get(section.name, 0.9)


def _melody(
    plan: Plan,
    score: Score,
    voice: str,
    density: float,
    final_start: float,
    final_length: float,
    rng: random.Random,
) -> list[Note]:
    register = plan.mood.register - (24 if voice == "bass" else 0)
    centre = register + (score.tonic - register) % 12 - 6  # nearest tonic-ish centre
    scale = scale_pitches(score.tonic, plan.mood.melody_scale, centre - 8, centre + 12)
    writer = MelodyWriter(voice, scale, score.chords, score.tonic, rng)
    motif_a = make_motif(density, rng)
    motif_b = make_motif(min(1.0, density + 0.15), rng)
    notes: list[Note] = []
    for section in score.sections:
        if section.name in ("intro", "outro"):
            continue
        motif = motif_b if section.name == "B" else motif_a
        notes += writer.section(section, motif, _dynamics(section, plan.mood.velocity))
    notes.append(writer.final_note(final_start, final_length, plan.mood.velocity * 0.8))
    return notes


def _harmony(
    plan: Plan, score: Score, voice: str, is_melody: bool, density: float, rng: random.Random
) -> list[Note]:
    pattern = comp_pattern(voice, plan.style.comp or plan.mood.comp, is_melody)
    player = ChordPlayer(voice, pattern, density, rng, score.tonic, low_register=is_melody)
    # Voices that share the melody's job play softer so the tune stays on top.
    level = plan.mood.velocity * (0.6 if is_melody or voice in ("bells", "synth") else 0.75)
    notes: list[Note] = []
    body_chords = score.chords[:-1]
    for span in body_chords:
        section = _section_at(score.sections, span.start)
        notes += player.play(span, _dynamics(section, level))
    final = score.chords[-1]
    low, high = (52, 72) if voice not in ("bells", "flute", "synth") else (64, 84)
    voicing = voice_chord(final.chord.pitch_classes(score.tonic), player.previous, low, high, 3)
    notes += [Note(voice, final.start, final.duration, p, level * 0.85) for p in voicing]
    return notes


def _bass(plan: Plan, score: Score, rng: random.Random) -> list[Note]:
    steps = MODES[plan.mood.mode]
    player = BassPlayer(plan.style.bass, score.tonic, steps, rng, drone=plan.mood.drone)
    notes: list[Note] = []
    for index, span in enumerate(score.chords):
        section = _section_at(score.sections, span.start)
        following = score.chords[index + 1].chord if index + 1 < len(score.chords) else None
        is_final = index == len(score.chords) - 1
        if is_final:
            notes += BassPlayer("whole", score.tonic, steps, rng).play(
                span, None, plan.mood.velocity * 0.8
            )
        else:
            notes += player.play(span, following, _dynamics(section, plan.mood.velocity * 0.85))
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
