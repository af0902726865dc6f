"""Genres ("styles"): which genre a prompt names, from the genres in engine/genres/.

The genre named earliest in the prompt wins; "general" (the mood's own harmony) applies
otherwise. docs/engine.md lists the genres for humans.
"""

from __future__ import annotations

import re

from ai_music.engine.genres.band import BAND
from ai_music.engine.genres.concert import CONCERT
from ai_music.engine.genres.electronic import ELECTRONIC
from ai_music.engine.genres.folk import FOLK
from ai_music.engine.genres.groove import GROOVE
from ai_music.engine.genres.style import Progressions, Style

__all__ = [
    "GENERAL",
    "STYLES",
    "STYLE_BY_NAME",
    "Progressions",
    "Style",
    "detect_style",
    "find_style",
]

STYLES: tuple[Style, ...] = (*ELECTRONIC, *GROOVE, *BAND, *CONCERT, *FOLK)
GENERAL = Style(name="general", keywords=(), comp=None, bass="root_fifth", drums=None, swing=0.0)


def _pattern(keyword: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z0-9]){re.escape(keyword)}(?![a-z])")


_KEYWORDS = [(_pattern(k), style) for style in STYLES for k in style.keywords]


def find_style(prompt: str) -> tuple[Style, str] | None:
    """The genre named earliest in the prompt and the words that named it, else None."""
    text = prompt.lower()
    best: tuple[int, int, Style, str] | None = None
    for pattern, style in _KEYWORDS:
        match = pattern.search(text)
        # Earliest wins; at one position the longer keyword ("deep house" over "house").
        if match and (best is None or (match.start(), -len(match[0])) < (best[0], best[1])):
            best = (match.start(), -len(match[0]), style, match[0])
    return None if best is None else (best[2], best[3])


def detect_style(prompt: str) -> Style:
    """The genre named earliest in the prompt, else GENERAL."""
    found = find_style(prompt)
    return GENERAL if found is None else found[0]


STYLE_BY_NAME = {style.name: style for style in (*STYLES, GENERAL)}
