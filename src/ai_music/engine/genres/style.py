"""A genre as music: the Style record (harmony, feel, form, band) and how charts are written.

Each genre has its own harmony (chord charts for the A and B sections, in major and in minor
keys, so a "sad jazz" prompt gets minor ii-V-i's), harmonic rhythm, form (song, 12-bar blues,
or EDM build-and-drop), feel (swing on eighths or sixteenths, applied to every part), how the
accompaniment comps, how the bass and the drums play, its tempo, mood and ensemble, and the
voice that usually leads. The genres themselves are in this package's family modules.
"""

from __future__ import annotations

from dataclasses import dataclass

Progressions = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Style:
    name: str
    keywords: tuple[str, ...]
    comp: str | None  # comping pattern (see accompaniment.py); None: the mood decides
    bass: str  # bass pattern (see accompaniment.py)
    drums: str | None  # drum pattern (see rhythm.py); None: the mood's
    swing: float  # 0 = straight, 1/3 = triplet swing
    mood: str | None = None  # suggested when the request has no mood
    tempo: int | None = None  # suggested when the request has no tempo
    ensemble: tuple[str, ...] = ()  # the band, before any instrument the prompt adds
    density: float = 1.0  # multiplies the mood's density
    reverb: float = 1.0  # multiplies the mood's reverb send
    major_a: Progressions = ()  # chord charts; empty: the mood's own
    major_b: Progressions = ()
    minor_a: Progressions = ()
    minor_b: Progressions = ()
    beats_per_chord: int = 0  # harmonic rhythm; 0: the mood's
    swing_unit: float = 0.5  # 0.5: swung eighths, 0.25: swung sixteenths
    form: str = "song"  # "song", "blues" (12-bar choruses) or "edm" (breakdown, build, drop)
    lead: str | None = None  # the voice that carries the tune when it is in the band
    melody_scale: str | None = None  # overrides the mood's melody scale (the blues scale)

    def progressions(self, major: bool) -> tuple[Progressions, Progressions]:
        return (self.major_a, self.major_b) if major else (self.minor_a, self.minor_b)


def charts(*charts: str) -> Progressions:
    """Chord charts written as space-separated Roman numerals, one string a chart."""
    return tuple(tuple(chart.split()) for chart in charts)
