"""Resolve a request's loose fields into a complete, concrete plan for the composer.

Precedence for every choice: the explicit field, then what the prompt says outright (a genre
word, a mood word, "120 bpm", "in D minor"), then what its everyday words suggest (the
vocabulary: "rain" suggests sad lo-fi, "battle" epic and fast), then the genre's default,
then the mood's. Instruments named in the prompt join the genre's band and lead it; only
the `instruments` field (or "solo piano", "only strings") sets the band outright. Nothing here
raises on odd input: unknown moods fall back, tempos are clamped, unknown words are ignored
here (they still vary the piece through the random generator, see variation()).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass, field

from ai_music.engine.instruments import (
    MONOPHONIC,
    named_voices,
    order_voices,
    wants_soft_drums,
)
from ai_music.engine.moods import DEFAULT_MOOD, MOODS, Mood, lookup_mood
from ai_music.engine.styles import GENERAL, STYLE_BY_NAME, Style, find_style
from ai_music.engine.theory import MAJOR_MODES, NOTE_NAMES
from ai_music.engine.vocabulary import Match, read_words

MIN_TEMPO, MAX_TEMPO = 40, 220
MIN_DURATION, MAX_DURATION = 1.0, 600.0
MAX_VOICES = 7  # past this the mix gets muddy and the render slow

_EXPLICIT_BPM = re.compile(r"(\d{2,3})\s*bpm")
_KEY = re.compile(
    r"\b(?:in|key of)\s+([a-g])(#|b|\s+sharp|\s+flat)?(?:\s+(major|minor))?(?![a-z#])"
)
_SOLO = re.compile(r"\b(solo|only|just|unaccompanied|alone)\b")
_NO_DRUMS = re.compile(r"\b(no|without)\s+(drums?|percussion|beats?)\b")
# Who carries the tune when nothing says, in order of preference.
MELODY_PREFERENCE = (
    "sax",
    "violin",
    "flute",
    "clarinet",
    "brass",
    "synth",
    "electric_guitar",
    "rhodes",
    "piano",
    "marimba",
    "bells",
    "guitar",
    "harp",
    "strings",
    "choir",
    "cello",
    "organ",
    "pad",
)


@dataclass(frozen=True)
class Plan:
    mood: Mood
    style: Style
    tempo: int
    duration: float
    voices: tuple[str, ...]
    soft_drums: bool
    prompt: str
    lead: str | None = None  # the melody voice
    mode: str = "ionian"  # the harmony's mode
    melody_scale: str = "ionian"
    tonic: int | None = None  # pitch class when the prompt names a key
    energy: float = 0.0  # -1 .. +1
    reasons: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def is_major(self) -> bool:
        return self.mode in MAJOR_MODES


def clamp_tempo(tempo: float) -> int:
    return int(min(MAX_TEMPO, max(MIN_TEMPO, round(tempo))))


def clamp_duration(duration: float) -> float:
    return float(min(MAX_DURATION, max(MIN_DURATION, duration)))


def variation(seed: int, prompt: str) -> random.Random:
    """The composer's random generator: the seed and the prompt's words together, so two
    prompts differ even when no word of theirs is in the vocabulary. str seeds hash with
    SHA-512, the same in every process."""
    return random.Random(f"{seed}:{' '.join(prompt.lower().split())}")


def _first_mood(text: str) -> tuple[Mood, str] | None:
    for word in re.findall(r"[a-z]+", text.lower()):
        mood = lookup_mood(word)
        if mood is not None:
            return mood, word
    return None


def resolve_style(prompt: str, words: list[Match]) -> tuple[Style, str]:
    named = find_style(prompt)
    if named is not None:
        return named[0], f'genre word "{named[1]}"'
    for match in words:
        if match.trait.genre:
            return STYLE_BY_NAME[match.trait.genre], f'"{match.word}" ({match.trait.category})'
    return GENERAL, "no genre word: the mood's own harmony"


def resolve_mood(
    requested: str | None, prompt: str, style: Style, words: list[Match]
) -> tuple[Mood, str]:
    if requested:
        # A multi-word mood such as "sad but hopeful" uses its first known word.
        found = _first_mood(requested)
        if found is not None:
            return found[0], f'mood field "{requested}"'
    found = _first_mood(prompt)
    if found is not None:
        return found[0], f'mood word "{found[1]}"'
    votes = Counter(m.trait.mood for m in words if m.trait.mood)
    if votes:
        # The most suggested mood; among equals the one suggested first.
        top = max(votes.values())
        mood = next(m for m in words if m.trait.mood and votes[m.trait.mood] == top)
        return MOODS[mood.trait.mood or DEFAULT_MOOD], f'"{mood.word}" ({mood.trait.category})'
    if style.mood:
        return MOODS[style.mood], f"the {style.name} genre's usual mood"
    return MOODS[DEFAULT_MOOD], "default"


def resolve_tempo(
    requested: float | None, prompt: str, style: Style, mood: Mood, words: list[Match]
) -> tuple[int, str]:
    if requested is not None and requested > 0:
        return clamp_tempo(requested), "tempo field"
    explicit = _EXPLICIT_BPM.search(prompt.lower())
    if explicit:
        return clamp_tempo(int(explicit[1])), f'"{explicit[0]}"'
    if style.tempo is not None:
        # The genre sets the pace; a mood slower or faster than the genre's usual one bends it.
        usual = MOODS[style.mood].tempo if style.mood else mood.tempo
        base, why = style.tempo * (mood.tempo / usual) ** 0.5, f"{style.name} at {mood.name}"
    else:
        base, why = mood.tempo, f"{mood.name} mood"
    factor = 1.0
    for match in words:
        if match.trait.tempo != 1.0:
            factor *= match.trait.tempo
            why += f', "{match.word}" x{match.trait.tempo:g}'
    return clamp_tempo(base * min(1.6, max(0.6, factor))), why


def resolve_key(prompt: str, mood: Mood) -> tuple[int | None, str, str]:
    """(tonic or None, mode, reason) from "in D minor", "key of F#", "minor", "major"."""
    text = prompt.lower()
    tonic: int | None = None
    family: str | None = None
    found = _KEY.search(text)
    if found and (found[3] or found[0].startswith("key")):
        tonic = (
            "c d ef g a b".index(found[1])
            + {"#": 1, " sharp": 1, "b": -1, " flat": -1}.get(found[2] or "", 0)
        ) % 12
        family = found[3]
    if family is None and re.search(r"\bminor\b", text):
        family = "minor"
    elif family is None and re.search(r"\bmajor\b", text):
        family = "major"
    mode = mood.mode
    if family == "minor" and mood.is_major:
        mode = "aeolian"
    elif family == "major" and not mood.is_major:
        mode = "ionian"
    where = f"{NOTE_NAMES[tonic]} " if tonic is not None else "tonic from the seed, "
    why = f"{where}{mode.replace('_', ' ')}" + (f' ("{family}")' if family else f" ({mood.name})")
    return tonic, mode, why


def resolve_voices(
    requested: str | None, prompt: str, style: Style, mood: Mood, words: list[Match]
) -> tuple[tuple[str, ...], str | None, str]:
    """(voices, lead, reason): the band, and the voice that carries the tune."""
    asked = named_voices(requested)
    if asked:
        return order_voices(tuple(asked)), _lead(asked, asked, style), "instruments field"
    named = named_voices(prompt)
    if named and _SOLO.search(prompt.lower()):
        return order_voices(tuple(named)), _lead(named, named, style), "solo: only those named"
    band = list(style.ensemble or mood.ensemble)
    why = f"the {style.name if style.ensemble else mood.name} band"
    for voice in named:
        if voice not in band:
            band.insert(0, voice)
    if named:
        why += " + named " + ", ".join(named)
    suggested = [v for m in words for v in m.trait.voices if v not in band]
    for voice in dict.fromkeys(suggested):
        if len(band) < MAX_VOICES:
            band.append(voice)
            why += f" + {voice}"
    if wants_soft_drums(prompt) and "drums" not in band:
        band.append("drums")
    if _NO_DRUMS.search(prompt.lower()) and "drums" in band:
        band.remove("drums")
        why += " - drums"
    # Named voices are kept first when the band must be cut down.
    band = band[:MAX_VOICES] if len(band) > MAX_VOICES else band
    return order_voices(tuple(band)), _lead(named, band, style), why


def _lead(named: list[str], band: list[str], style: Style) -> str | None:
    for voice in named:
        if voice not in ("bass", "drums"):
            return voice
    if style.lead in band:
        return style.lead
    for voice in MELODY_PREFERENCE:
        if voice in band:
            return voice
    return "bass" if band == ["bass"] else None


def make_plan(
    *,
    prompt: str,
    duration: float,
    mood: str | None,
    tempo: float | None,
    instruments: str | None,
) -> Plan:
    prompt = prompt or ""
    words = read_words(prompt)
    style, style_why = resolve_style(prompt, words)
    chosen_mood, mood_why = resolve_mood(mood, prompt, style, words)
    bpm, tempo_why = resolve_tempo(tempo, prompt, style, chosen_mood, words)
    tonic, mode, key_why = resolve_key(prompt, chosen_mood)
    voices, lead, voices_why = resolve_voices(instruments, prompt, style, chosen_mood, words)
    energy = max(-1.0, min(1.0, sum(m.trait.energy for m in words)))
    melody_scale = style.melody_scale or (
        chosen_mood.melody_scale if mode == chosen_mood.mode else mode
    )
    reasons = (
        ("genre", f"{style.name} ({style_why})"),
        ("mood", f"{chosen_mood.name} ({mood_why})"),
        ("tempo", f"{bpm} BPM ({tempo_why})"),
        ("key", key_why),
        ("band", f"{', '.join(voices)} ({voices_why})"),
        ("lead", f"{lead or 'none'}{' (monophonic)' if lead in MONOPHONIC else ''}"),
        ("energy", f"{energy:+.1f}"),
        ("words", ", ".join(f"{m.word} ({m.trait.category})" for m in words) or "none"),
    )
    return Plan(
        mood=chosen_mood,
        style=style,
        tempo=bpm,
        duration=clamp_duration(duration),
        voices=voices,
        soft_drums=wants_soft_drums(instruments) or wants_soft_drums(prompt),
        prompt=prompt,
        lead=lead,
        mode=mode,
        melody_scale=melody_scale,
        tonic=tonic,
        energy=energy,
        reasons=reasons,
    )


def explain(plan: Plan) -> str:
    """How the prompt was read, one line per choice, for `ai-music compose --explain`."""
    lines = [f"prompt: {plan.prompt!r}"]
    lines += [f"{name:>7}: {text}" for name, text in plan.reasons]
    lines.append(
        "   form: intro, A, B (chorus), ... ending"
        + (", with a build and a drop" if plan.style.form == "edm" else "")
        + (" in 12-bar blues choruses" if plan.style.form == "blues" else "")
    )
    lines.append("  other: every other word varies the piece (prompt and seed feed the generator)")
    return "\n".join(lines)
