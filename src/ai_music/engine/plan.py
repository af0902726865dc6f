"""Resolve a request's loose fields into a complete, concrete plan for the composer.

Precedence for every choice: the explicit field, then what the prompt says, then the
style's suggestion, then the mood's default. Nothing here raises on odd input: unknown
moods fall back, tempos are clamped, and unknown instrument words are ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ai_music.engine.instruments import order_voices, parse_instruments, wants_soft_drums
from ai_music.engine.moods import DEFAULT_MOOD, MOODS, Mood, lookup_mood
from ai_music.engine.styles import Style, detect_style

MIN_TEMPO, MAX_TEMPO = 40, 220
MIN_DURATION, MAX_DURATION = 1.0, 600.0

_TEMPO_WORDS = {
    "very slow": 0.7,
    "slow": 0.8,
    "slowly": 0.8,
    "laid back": 0.9,
    "relaxed": 0.9,
    "fast": 1.25,
    "quick": 1.2,
    "very fast": 1.45,
    "upbeat": 1.15,
}
_EXPLICIT_BPM = re.compile(r"(\d{2,3})\s*bpm")


@dataclass(frozen=True)
class Plan:
    mood: Mood
    style: Style
    tempo: int
    duration: float
    voices: tuple[str, ...]
    soft_drums: bool
    prompt: str


def clamp_tempo(tempo: float) -> int:
    return int(min(MAX_TEMPO, max(MIN_TEMPO, round(tempo))))


def clamp_duration(duration: float) -> float:
    return float(min(MAX_DURATION, max(MIN_DURATION, duration)))


def _mood_from_prompt(prompt: str) -> Mood | None:
    for word in re.findall(r"[a-z]+", prompt.lower()):
        mood = lookup_mood(word)
        if mood is not None:
            return mood
    return None


def resolve_mood(requested: str | None, prompt: str, style: Style) -> Mood:
    if requested:
        # A multi-word mood such as "sad but hopeful" uses its first known word.
        mood = _mood_from_prompt(requested)
        if mood is not None:
            return mood
    mood = _mood_from_prompt(prompt)
    if mood is not None:
        return mood
    return MOODS[style.mood or DEFAULT_MOOD]


def resolve_tempo(requested: float | None, prompt: str, style: Style, mood: Mood) -> int:
    if requested is not None and requested > 0:
        return clamp_tempo(requested)
    text = prompt.lower()
    explicit = _EXPLICIT_BPM.search(text)
    if explicit:
        return clamp_tempo(int(explicit[1]))
    base = style.tempo if style.tempo is not None and style.mood == mood.name else mood.tempo
    for phrase in sorted(_TEMPO_WORDS, key=len, reverse=True):
        if re.search(rf"\b{phrase}\b", text):
            return clamp_tempo(base * _TEMPO_WORDS[phrase])
    return clamp_tempo(base)


def resolve_voices(requested: str | None, prompt: str, style: Style, mood: Mood) -> tuple[str, ...]:
    voices = parse_instruments(requested) or parse_instruments(prompt)
    if voices:
        return voices
    return order_voices(style.ensemble or mood.ensemble)


def make_plan(
    *,
    prompt: str,
    duration: float,
    mood: str | None,
    tempo: float | None,
    instruments: str | None,
) -> Plan:
    prompt = prompt or ""
    style = detect_style(prompt)
    chosen_mood = resolve_mood(mood, prompt, style)
    return Plan(
        mood=chosen_mood,
        style=style,
        tempo=resolve_tempo(tempo, prompt, style, chosen_mood),
        duration=clamp_duration(duration),
        voices=resolve_voices(instruments, prompt, style, chosen_mood),
        soft_drums=wants_soft_drums(instruments) or wants_soft_drums(prompt),
        prompt=prompt,
    )
