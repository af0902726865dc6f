"""The instrument vocabulary: free text like "piano, strings and soft drums" onto voices.

Voices are the engine's synthesized instruments. Words map to a voice directly, through a
synonym, or as a plural; unknown words are ignored. Two-word names ("acoustic guitar",
"electric piano") are matched before single words so the longer meaning wins.
"""

from __future__ import annotations

import re

VOICES: tuple[str, ...] = (
    "piano",
    "guitar",
    "strings",
    "bass",
    "drums",
    "pad",
    "synth",
    "flute",
    "bells",
    "organ",
)

# Order in which voices are listed when reported, melody-carrying voices first.
_VOICE_ORDER = {voice: index for index, voice in enumerate(VOICES)}

_PHRASES: dict[str, str] = {
    "acoustic guitar": "guitar",
    "electric guitar": "guitar",
    "classical guitar": "guitar",
    "nylon guitar": "guitar",
    "electric piano": "piano",
    "acoustic piano": "piano",
    "grand piano": "piano",
    "upright bass": "bass",
    "double bass": "bass",
    "bass guitar": "bass",
    "electric bass": "bass",
    "synth bass": "bass",
    "string section": "strings",
    "drum kit": "drums",
    "synth pad": "pad",
    "synth lead": "synth",
    "lead synth": "synth",
    "music box": "bells",
    "wind chimes": "bells",
}

_WORDS: dict[str, str] = {
    "piano": "piano",
    "keys": "piano",
    "keyboard": "piano",
    "rhodes": "piano",
    "guitar": "guitar",
    "ukulele": "guitar",
    "harp": "guitar",
    "banjo": "guitar",
    "mandolin": "guitar",
    "strings": "strings",
    "string": "strings",
    "violin": "strings",
    "viola": "strings",
    "cello": "strings",
    "orchestra": "strings",
    "orchestral": "strings",
    "bass": "bass",
    "bassline": "bass",
    "contrabass": "bass",
    "drums": "drums",
    "drum": "drums",
    "percussion": "drums",
    "beat": "drums",
    "beats": "drums",
    "kick": "drums",
    "snare": "drums",
    "hihat": "drums",
    "pad": "pad",
    "pads": "pad",
    "ambient": "pad",
    "atmosphere": "pad",
    "choir": "pad",
    "synth": "synth",
    "synthesizer": "synth",
    "lead": "synth",
    "arp": "synth",
    "flute": "flute",
    "flutes": "flute",
    "whistle": "flute",
    "recorder": "flute",
    "woodwind": "flute",
    "clarinet": "flute",
    "oboe": "flute",
    "sax": "flute",
    "saxophone": "flute",
    "bells": "bells",
    "bell": "bells",
    "mallets": "bells",
    "mallet": "bells",
    "marimba": "bells",
    "vibraphone": "bells",
    "vibes": "bells",
    "xylophone": "bells",
    "glockenspiel": "bells",
    "celesta": "bells",
    "chimes": "bells",
    "organ": "organ",
    "hammond": "organ",
    "harmonium": "organ",
}

_TOKEN = re.compile(r"[a-z]+")


def _singular(word: str) -> str:
    if word in _WORDS or not word.endswith("s"):
        return word
    return word[:-1]


def parse_instruments(text: str | None) -> tuple[str, ...]:
    """The voices named in text, in canonical order, without duplicates; () if none."""
    if not text:
        return ()
    tokens = _TOKEN.findall(text.lower())
    found: set[str] = set()
    index = 0
    while index < len(tokens):
        pair = " ".join(tokens[index : index + 2])
        pair_singular = " ".join(t.removesuffix("s") for t in tokens[index : index + 2])
        voice = _PHRASES.get(pair) or _PHRASES.get(pair_singular)
        if voice is not None:
            found.add(voice)
            index += 2
            continue
        voice = _WORDS.get(tokens[index]) or _WORDS.get(_singular(tokens[index]))
        if voice is not None:
            found.add(voice)
        index += 1
    return order_voices(found)


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
