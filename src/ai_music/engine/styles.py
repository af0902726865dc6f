"""Styles: prompt keywords that steer the arrangement.

A style sets how the accompaniment plays (comping pattern, bass pattern, drum feel, swing)
and can suggest a mood, a tempo and an ensemble for requests that leave those fields out.
The first style whose keyword appears in the prompt wins; "general" applies otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Style:
    name: str
    keywords: tuple[str, ...]
    comp: str | None  # "block", "arpeggio", "strum", "sustain"; None: the mood decides
    bass: str  # "whole", "root_fifth", "pulse", "walking", "syncopated"
    drums: str | None  # overrides the mood's drum feel when set
    swing: float  # 0 = straight eighths, 1/3 = triplet swing
    mood: str | None = None  # suggested when the request has no mood
    tempo: int | None = None  # suggested when the request has no tempo
    ensemble: tuple[str, ...] = ()  # suggested when the request names no instruments
    density: float = 1.0  # multiplies the mood's density
    reverb: float = 1.0  # multiplies the mood's reverb send


STYLES: tuple[Style, ...] = (
    Style(
        name="lofi",
        keywords=("lofi", "lo-fi", "lo fi", "chillhop", "study", "hip hop", "hip-hop"),
        comp="block",
        bass="syncopated",
        drums="lofi",
        swing=0.2,
        mood="calm",
        tempo=80,
        ensemble=("piano", "bass", "drums", "pad"),
        density=0.8,
    ),
    Style(
        name="ambient",
        keywords=("ambient", "drone", "atmospheric", "meditation", "space", "night"),
        comp="sustain",
        bass="whole",
        drums="none",
        swing=0.0,
        mood="calm",
        tempo=66,
        ensemble=("pad", "bells", "bass"),
        density=0.6,
        reverb=1.5,
    ),
    Style(
        name="jazz",
        keywords=("jazz", "jazzy", "swing", "bebop", "lounge", "bossa"),
        comp="block",
        bass="walking",
        drums="jazz",
        swing=0.3,
        mood="romantic",
        tempo=120,
        ensemble=("piano", "bass", "drums"),
    ),
    Style(
        name="rock",
        keywords=("rock", "punk", "grunge", "metal", "indie"),
        comp="strum",
        bass="pulse",
        drums="driving",
        swing=0.0,
        mood="energetic",
        tempo=128,
        ensemble=("guitar", "bass", "drums"),
        reverb=0.7,
    ),
    Style(
        name="classical",
        keywords=("classical", "baroque", "sonata", "chamber", "string quartet", "waltz"),
        comp="arpeggio",
        bass="root_fifth",
        drums="none",
        swing=0.0,
        ensemble=("piano", "strings"),
    ),
    Style(
        name="cinematic",
        keywords=("cinematic", "film", "movie", "soundtrack", "score", "trailer", "orchestral"),
        comp="sustain",
        bass="whole",
        drums="epic",
        swing=0.0,
        mood="epic",
        tempo=96,
        ensemble=("strings", "pad", "bass", "drums"),
        reverb=1.3,
    ),
    Style(
        name="electronic",
        keywords=("electronic", "edm", "techno", "house", "synthwave", "dance", "trance"),
        comp="arpeggio",
        bass="pulse",
        drums="four_on_floor",
        swing=0.0,
        mood="energetic",
        tempo=124,
        ensemble=("synth", "pad", "bass", "drums"),
    ),
    Style(
        name="folk",
        keywords=("folk", "acoustic", "country", "campfire", "celtic", "ballad"),
        comp="strum",
        bass="root_fifth",
        drums="brushes",
        swing=0.0,
        mood="happy",
        tempo=100,
        ensemble=("guitar", "flute", "bass"),
        density=0.8,
    ),
)

GENERAL = Style(name="general", keywords=(), comp=None, bass="root_fifth", drums=None, swing=0.0)


def detect_style(prompt: str) -> Style:
    """The first style whose keyword appears in the prompt as a word, else GENERAL."""
    text = prompt.lower()
    for style in STYLES:
        for keyword in style.keywords:
            if re.search(rf"(?<![a-z]){re.escape(keyword)}(?![a-z])", text):
                return style
    return GENERAL


STYLE_BY_NAME = {style.name: style for style in (*STYLES, GENERAL)}
