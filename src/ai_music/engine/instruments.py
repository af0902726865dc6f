"""The instrument vocabulary: free text like "piano, strings and soft drums" onto voices.

Voices are the engine's synthesized instruments, each with a timbre of its own (violin and
cello, sax and flute, rhodes and piano, marimba and bells, choir and pad are different
voices). Words map to a voice directly, through a synonym, or as a plural; unknown words
are ignored here (the prompt reader gives them other meanings). Two-word names ("acoustic guitar",
"electric piano") are matched before single words so the longer meaning wins.
"""

from __future__ import annotations

import re

VOICES: tuple[str, ...] = (
    "piano",
    "rhodes",
    "organ",
    "guitar",
    "electric_guitar",
    "harp",
    "strings",
    "violin",
    "cello",
    "choir",
    "pad",
    "synth",
    "flute",
    "clarinet",
    "sax",
    "brass",
    "bells",
    "marimba",
    "bass",
    "drums",
)

# Voices that play one note at a time: off the melody they play a counter-line, not chords.
MONOPHONIC = frozenset({"flute", "clarinet", "sax", "violin", "cello"})
# Voices that hold their notes (looped tones): they sustain chords rather than strike them.
SUSTAINED = frozenset(
    {"strings", "pad", "organ", "choir", "flute", "clarinet", "sax", "violin", "cello", "brass"}
)

# Order in which voices are listed when reported.
_VOICE_ORDER = {voice: index for index, voice in enumerate(VOICES)}

_PHRASES: dict[str, str] = {
    "acoustic guitar": "guitar",
    "electric guitar": "electric_guitar",
    "distorted guitar": "electric_guitar",
    "rock guitar": "electric_guitar",
    "lead guitar": "electric_guitar",
    "power chord": "electric_guitar",
    "classical guitar": "guitar",
    "nylon guitar": "guitar",
    "electric piano": "rhodes",
    "acoustic piano": "piano",
    "grand piano": "piano",
    "upright piano": "piano",
    "upright bass": "bass",
    "double bass": "bass",
    "bass guitar": "bass",
    "electric bass": "bass",
    "synth bass": "bass",
    "string section": "strings",
    "string quartet": "strings",
    "french horn": "brass",
    "horn section": "brass",
    "drum kit": "drums",
    "drum machine": "drums",
    "synth pad": "pad",
    "synth lead": "synth",
    "lead synth": "synth",
    "music box": "bells",
    "wind chimes": "bells",
    "steel drum": "marimba",
    "pan flute": "flute",
}

_WORDS: dict[str, str] = {
    "piano": "piano",
    "pianos": "piano",
    "keys": "piano",
    "keyboard": "piano",
    "rhodes": "rhodes",
    "wurlitzer": "rhodes",
    "epiano": "rhodes",
    "guitar": "guitar",
    "ukulele": "guitar",
    "banjo": "guitar",
    "mandolin": "guitar",
    "harp": "harp",
    "lute": "harp",
    "koto": "harp",
    "strings": "strings",
    "string": "strings",
    "orchestra": "strings",
    "violin": "violin",
    "fiddle": "violin",
    "viola": "violin",
    "cello": "cello",
    "violoncello": "cello",
    "bass": "bass",
    "bassline": "bass",
    "contrabass": "bass",
    "drums": "drums",
    "drum": "drums",
    "percussion": "drums",
    "kick": "drums",
    "snare": "drums",
    "hihat": "drums",
    "pad": "pad",
    "pads": "pad",
    "atmosphere": "pad",
    "choir": "choir",
    "choral": "choir",
    "voices": "choir",
    "vocals": "choir",
    "chant": "choir",
    "synth": "synth",
    "synthesizer": "synth",
    "arp": "synth",
    "flute": "flute",
    "whistle": "flute",
    "recorder": "flute",
    "piccolo": "flute",
    "woodwind": "clarinet",
    "clarinet": "clarinet",
    "oboe": "clarinet",
    "bassoon": "clarinet",
    "sax": "sax",
    "saxophone": "sax",
    "trumpet": "brass",
    "trombone": "brass",
    "horn": "brass",
    "horns": "brass",
    "brass": "brass",
    "tuba": "brass",
    "bells": "bells",
    "bell": "bells",
    "vibraphone": "bells",
    "vibes": "bells",
    "glockenspiel": "bells",
    "celesta": "bells",
    "chimes": "bells",
    "marimba": "marimba",
    "xylophone": "marimba",
    "kalimba": "marimba",
    "mallets": "marimba",
    "mallet": "marimba",
    "organ": "organ",
    "hammond": "organ",
    "harmonium": "organ",
    "accordion": "organ",
}

_TOKEN = re.compile(r"[a-z]+")


def _singular(word: str) -> str:
    if word in _WORDS or not word.endswith("s"):
        return word
    return word[:-1]


def parse_instruments(text: str | None) -> tuple[str, ...]:
    """The voices named in text, in canonical order, without duplicates; () if none."""
    return order_voices(set(named_voices(text)))


def named_voices(text: str | None) -> list[str]:
    """The voices named in text in the order they are first named (the first one leads)."""
    if not text:
        return []
    tokens = _TOKEN.findall(text.lower())
    found: list[str] = []
    index = 0
    while index < len(tokens):
        pair = " ".join(tokens[index : index + 2])
        pair_singular = " ".join(t.removesuffix("s") for t in tokens[index : index + 2])
        voice = _PHRASES.get(pair) or _PHRASES.get(pair_singular)
        step = 2
        if voice is None:
            voice = _WORDS.get(tokens[index]) or _WORDS.get(_singular(tokens[index]))
            step = 1
        if voice is not None and voice not in found:
            found.append(voice)
        index += step
    return found


def order_voices(voices: set[str] | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(set(voices), key=_VOICE_ORDER.__getitem__))


def wants_soft_drums(text: str | None) -> bool:
    """True when the text qualifies drums as soft ("soft drums", "light percussion")."""
    if not text:
        return False
    return (
        re.search(
            r"\b(soft|light|gentle|brush(ed|es)?|quiet)\s+(drum|percussion|beat)", text.lower()
        )
        is not None
    )
