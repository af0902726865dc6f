"""The prompt vocabulary: everyday words (places, times of day, weather, seasons, emotions,
activities, eras) and what each suggests musically.

A word may suggest a mood, a genre, a tempo factor, an energy (-1 calm .. +1 driving) and
instruments to add to the band. These are suggestions: explicit request fields, genre words
and mood words in the prompt come first (see plan.py). docs/engine.md prints this table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Trait:
    category: str
    mood: str | None = None
    genre: str | None = None
    tempo: float = 1.0  # multiplies the tempo
    energy: float = 0.0  # -1 .. +1: dynamics and density
    voices: tuple[str, ...] = ()  # instruments this word brings into the band


def _t(category: str, mood: str | None = None, genre: str | None = None, **kw: object) -> Trait:
    return Trait(category, mood, genre, **kw)  # type: ignore[arg-type]


PLACE, TIME, WEATHER, SEASON, EMOTION, ACTIVITY, ERA, TEMPO = (
    "place",
    "time of day",
    "weather",
    "season",
    "emotion",
    "activity",
    "era",
    "tempo and energy",
)

VOCABULARY: dict[str, Trait] = {
    # Places
    "sea": _t(PLACE, "calm", "ambient", tempo=0.9, voices=("pad",)),
    "ocean": _t(PLACE, "dreamy", "ambient", voices=("pad",)),
    "beach": _t(PLACE, "happy", "reggae"),
    "island": _t(PLACE, "happy", "reggae", voices=("marimba",)),
    "tropical": _t(PLACE, "happy", "reggae", voices=("marimba",)),
    "paris": _t(PLACE, "romantic", "swing", voices=("organ",)),
    "cafe": _t(PLACE, "calm", "bossa"),
    "coffee": _t(PLACE, "calm", "lofi"),
    "city": _t(PLACE, "energetic", "hiphop"),
    "street": _t(PLACE, None, "hiphop"),
    "urban": _t(PLACE, None, "hiphop"),
    "forest": _t(PLACE, "mysterious", "celtic", voices=("flute",)),
    "woods": _t(PLACE, "mysterious", "celtic", voices=("flute",)),
    "mountain": _t(PLACE, "epic", "cinematic"),
    "mountains": _t(PLACE, "epic", "cinematic"),
    "desert": _t(PLACE, "mysterious", None, voices=("harp",)),
    "space": _t(PLACE, "dreamy", "ambient", voices=("synth",)),
    "galaxy": _t(PLACE, "dreamy", "ambient", voices=("synth",)),
    "stars": _t(PLACE, "dreamy", "ambient", voices=("bells",)),
    "castle": _t(PLACE, "epic", "cinematic"),
    "cathedral": _t(PLACE, "epic", "opera", voices=("organ", "choir")),
    "church": _t(PLACE, "calm", "gospel", voices=("organ",)),
    "temple": _t(PLACE, "calm", "ambient", voices=("bells",)),
    "garden": _t(PLACE, "happy", "classical", voices=("harp",)),
    "countryside": _t(PLACE, "calm", "folk"),
    "village": _t(PLACE, "happy", "folk"),
    "farm": _t(PLACE, "happy", "country"),
    "river": _t(PLACE, "calm", "folk", voices=("harp",)),
    "lake": _t(PLACE, "calm", "ambient"),
    "underwater": _t(PLACE, "dreamy", "ambient"),
    "cave": _t(PLACE, "mysterious", "ambient"),
    "jungle": _t(PLACE, "energetic", "dnb", voices=("marimba",)),
    "club": _t(PLACE, "energetic", "house"),
    "bar": _t(PLACE, "calm", "jazz"),
    "tokyo": _t(PLACE, "energetic", "synthwave"),
    "new york": _t(PLACE, "romantic", "jazz"),
    "rio": _t(PLACE, "happy", "bossa"),
    "havana": _t(PLACE, "happy", "latin"),
    "nashville": _t(PLACE, "happy", "country"),
    "chicago": _t(PLACE, None, "blues"),
    "jamaica": _t(PLACE, "happy", "reggae"),
    "ireland": _t(PLACE, "happy", "celtic"),
    "scotland": _t(PLACE, "epic", "celtic"),
    "home": _t(PLACE, "calm", None, energy=-0.3),
    "train": _t(PLACE, None, "country", tempo=1.05),
    "road": _t(PLACE, "energetic", "rock"),
    # Times of day
    "morning": _t(TIME, "happy", None, energy=0.1, voices=("marimba",)),
    "sunrise": _t(TIME, "happy", None, tempo=0.95, voices=("strings",)),
    "dawn": _t(TIME, "calm", None, tempo=0.9, voices=("flute",)),
    "noon": _t(TIME, "happy", None, energy=0.2),
    "afternoon": _t(TIME, "calm", None),
    "sunset": _t(TIME, "romantic", None, tempo=0.9),
    "dusk": _t(TIME, "mysterious", None, tempo=0.9),
    "evening": _t(TIME, "romantic", None, tempo=0.9),
    "night": _t(TIME, "calm", None, tempo=0.9, energy=-0.2, voices=("rhodes",)),
    "midnight": _t(TIME, "mysterious", "jazz", tempo=0.9),
    "late": _t(TIME, "calm", None, tempo=0.9, energy=-0.2),
    # Weather
    "rain": _t(WEATHER, "sad", "lofi", tempo=0.9, energy=-0.2),
    "rainy": _t(WEATHER, "sad", "lofi", tempo=0.9, energy=-0.2),
    "storm": _t(WEATHER, "dark", "cinematic", tempo=1.15, energy=0.5),
    "thunder": _t(WEATHER, "dark", "cinematic", energy=0.5),
    "snow": _t(WEATHER, "calm", None, tempo=0.85, voices=("bells",)),
    "snowy": _t(WEATHER, "calm", None, tempo=0.85, voices=("bells",)),
    "fog": _t(WEATHER, "mysterious", "ambient"),
    "foggy": _t(WEATHER, "mysterious", "ambient"),
    "sunshine": _t(WEATHER, "happy", None, energy=0.2),
    "wind": _t(WEATHER, "mysterious", None, voices=("flute",)),
    "windy": _t(WEATHER, "mysterious", None, voices=("flute",)),
    "cloudy": _t(WEATHER, "sad", None, tempo=0.95),
    "heatwave": _t(WEATHER, "energetic", "reggae"),
    # Seasons and holidays
    "spring": _t(SEASON, "happy", None, voices=("flute",)),
    "summer": _t(SEASON, "happy", None, energy=0.3),
    "autumn": _t(SEASON, "sad", "folk", tempo=0.9),
    "fall": _t(SEASON, "sad", "folk", tempo=0.9),
    "winter": _t(SEASON, "calm", None, tempo=0.9, voices=("bells",)),
    "christmas": _t(SEASON, "happy", None, voices=("bells",)),
    "halloween": _t(SEASON, "mysterious", None, voices=("organ",)),
    # Emotions and qualities
    "hope": _t(EMOTION, "happy", None, voices=("strings",)),
    "hopeful": _t(EMOTION, "happy", None, voices=("strings",)),
    "anger": _t(EMOTION, "dark", "metal", energy=0.8),
    "rage": _t(EMOTION, "dark", "metal", energy=1.0),
    "fear": _t(EMOTION, "dark", None, tempo=0.9),
    "anxious": _t(EMOTION, "dark", None, tempo=1.1),
    "grief": _t(EMOTION, "sad", None, tempo=0.85, energy=-0.4),
    "heartbreak": _t(EMOTION, "sad", "ballad", tempo=0.9),
    "longing": _t(EMOTION, "sad", None),
    "wonder": _t(EMOTION, "dreamy", None, voices=("bells",)),
    "awe": _t(EMOTION, "epic", "cinematic"),
    "victory": _t(EMOTION, "epic", "cinematic", energy=0.5, voices=("brass",)),
    "pride": _t(EMOTION, "epic", None, voices=("brass",)),
    "confident": _t(EMOTION, "energetic", None, energy=0.3),
    "lazy": _t(EMOTION, "calm", None, tempo=0.85, energy=-0.4),
    "sleepy": _t(EMOTION, "calm", "ambient", tempo=0.8, energy=-0.6),
    "cozy": _t(EMOTION, "calm", "lofi", energy=-0.3),
    "silly": _t(EMOTION, "happy", None, tempo=1.1, voices=("marimba",)),
    "sexy": _t(EMOTION, "romantic", "rnb"),
    "smooth": _t(EMOTION, "romantic", None, energy=-0.2, voices=("sax",)),
    "groovy": _t(EMOTION, "happy", "funk", energy=0.2),
    "spooky": _t(EMOTION, "mysterious", None, voices=("organ",)),
    "creepy": _t(EMOTION, "dark", None, tempo=0.9),
    "haunting": _t(EMOTION, "mysterious", None, voices=("choir",)),
    "sacred": _t(EMOTION, "calm", "opera", voices=("choir",)),
    "mellow": _t(EMOTION, "calm", None, energy=-0.3),
    "warm": _t(EMOTION, "romantic", None, voices=("rhodes",)),
    "cold": _t(EMOTION, "mysterious", None, voices=("bells",)),
    "dramatic": _t(EMOTION, "epic", "cinematic", energy=0.4),
    "emotional": _t(EMOTION, "sad", None, voices=("strings",)),
    # Activities
    "study": _t(ACTIVITY, "calm", "lofi", energy=-0.3),
    "studying": _t(ACTIVITY, "calm", "lofi", energy=-0.3),
    "focus": _t(ACTIVITY, "calm", "lofi", energy=-0.2),
    "work": _t(ACTIVITY, "calm", "lofi"),
    "coding": _t(ACTIVITY, "calm", "synthwave"),
    "reading": _t(ACTIVITY, "calm", "classical", energy=-0.3),
    "sleep": _t(ACTIVITY, "calm", "ambient", tempo=0.8, energy=-0.6),
    "yoga": _t(ACTIVITY, "calm", "ambient", energy=-0.5),
    "workout": _t(ACTIVITY, "energetic", "edm", tempo=1.1, energy=0.7),
    "gym": _t(ACTIVITY, "energetic", "edm", tempo=1.1, energy=0.7),
    "running": _t(ACTIVITY, "energetic", "edm", tempo=1.1, energy=0.6),
    "driving": _t(ACTIVITY, "energetic", "rock", energy=0.4),
    "party": _t(ACTIVITY, "happy", "house", energy=0.6),
    "dancing": _t(ACTIVITY, "happy", "disco", energy=0.5),
    "wedding": _t(ACTIVITY, "romantic", "classical", voices=("strings",)),
    "funeral": _t(ACTIVITY, "sad", None, tempo=0.8, voices=("organ",)),
    "battle": _t(ACTIVITY, "epic", "cinematic", tempo=1.15, energy=0.7),
    "fight": _t(ACTIVITY, "epic", "cinematic", tempo=1.15, energy=0.7),
    "chase": _t(ACTIVITY, "energetic", "cinematic", tempo=1.25, energy=0.7),
    "adventure": _t(ACTIVITY, "epic", "cinematic", voices=("brass",)),
    "travel": _t(ACTIVITY, "happy", "folk"),
    "cooking": _t(ACTIVITY, "happy", "bossa"),
    "dinner": _t(ACTIVITY, "romantic", "jazz"),
    "gaming": _t(ACTIVITY, "energetic", "chiptune"),
    "meditating": _t(ACTIVITY, "calm", "ambient", energy=-0.6),
    "celebration": _t(ACTIVITY, "happy", "pop", energy=0.5),
    "romance": _t(ACTIVITY, "romantic", None),
    "date": _t(ACTIVITY, "romantic", "rnb"),
    "heist": _t(ACTIVITY, "mysterious", "jazz", tempo=1.1),
    "detective": _t(ACTIVITY, "mysterious", "jazz", voices=("sax",)),
    "spy": _t(ACTIVITY, "mysterious", "jazz", voices=("brass",)),
    "horror": _t(ACTIVITY, "dark", "cinematic", voices=("strings",)),
    # Eras
    "medieval": _t(ERA, "mysterious", "celtic", voices=("harp",)),
    "renaissance": _t(ERA, "calm", "baroque", voices=("harp",)),
    "victorian": _t(ERA, "romantic", "classical"),
    "1920s": _t(ERA, "happy", "swing"),
    "1950s": _t(ERA, "happy", "rock"),
    "50s": _t(ERA, "happy", "rock"),
    "60s": _t(ERA, "happy", "soul"),
    "sixties": _t(ERA, "happy", "soul"),
    "70s": _t(ERA, "happy", "disco"),
    "80s": _t(ERA, "energetic", "synthwave"),
    "90s": _t(ERA, "energetic", "hiphop"),
    "retro": _t(ERA, "happy", "synthwave"),
    "vintage": _t(ERA, "calm", "swing"),
    "futuristic": _t(ERA, "mysterious", "techno", voices=("synth",)),
    "cyberpunk": _t(ERA, "dark", "synthwave", voices=("synth",)),
    "ancient": _t(ERA, "mysterious", None, voices=("harp", "flute")),
    # Tempo and energy words
    "slow": _t(TEMPO, tempo=0.8, energy=-0.2),
    "slowly": _t(TEMPO, tempo=0.8, energy=-0.2),
    "very slow": _t(TEMPO, tempo=0.7, energy=-0.3),
    "laid back": _t(TEMPO, tempo=0.9, energy=-0.3),
    "relaxed": _t(TEMPO, tempo=0.9, energy=-0.3),
    "soft": _t(TEMPO, energy=-0.4),
    "quiet": _t(TEMPO, energy=-0.4),
    "fast": _t(TEMPO, tempo=1.25, energy=0.3),
    "quick": _t(TEMPO, tempo=1.2, energy=0.2),
    "very fast": _t(TEMPO, tempo=1.45, energy=0.4),
    "upbeat": _t(TEMPO, tempo=1.15, energy=0.3),
    "loud": _t(TEMPO, energy=0.5),
    "heavy": _t(TEMPO, energy=0.6),
    "hard": _t(TEMPO, energy=0.5),
    "aggressive": _t(TEMPO, "dark", energy=0.8),
    "minimalist": _t(TEMPO, energy=-0.3),
    "big": _t(TEMPO, energy=0.3),
    "beats": _t(TEMPO, voices=("drums",)),
    "beat": _t(TEMPO, voices=("drums",)),
}

_TOKEN = re.compile(r"[a-z0-9]+")
_PHRASES = sorted((w for w in VOCABULARY if " " in w), key=len, reverse=True)


@dataclass(frozen=True)
class Match:
    word: str
    trait: Trait


def read_words(prompt: str) -> list[Match]:
    """The vocabulary words in the prompt, in order (two-word phrases before their parts)."""
    text = prompt.lower()
    matches: list[tuple[int, Match]] = []
    taken: list[tuple[int, int]] = []
    for phrase in _PHRASES:
        for found in re.finditer(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", text):
            matches.append((found.start(), Match(phrase, VOCABULARY[phrase])))
            taken.append(found.span())
    for found in _TOKEN.finditer(text):
        word = found[0]
        inside = any(a <= found.start() < b for a, b in taken)
        if not inside and word in VOCABULARY:
            matches.append((found.start(), Match(word, VOCABULARY[word])))
    return [match for _, match in sorted(matches, key=lambda item: item[0])]
