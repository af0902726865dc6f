"""The sustained voices' recipes, as data: each voice's source spectrum, body or vocal-tract
formants, ensemble detuning, breath or bow noise and vibrato (read by sustained.py), and its
articulation (attack, release, and the transient at the start of each note)."""

from __future__ import annotations

from dataclasses import dataclass

Formants = tuple[tuple[float, float, float], ...]  # (centre Hz, width Hz, gain)


@dataclass(frozen=True)
class Bowed:
    """A recipe for a sustained voice's loop: a source spectrum shaped by a body or vocal
    tract (formants), ensemble copies, breath or bow noise and vibrato."""

    slope: float  # source partial amplitudes fall as 1 / h**slope
    formants: Formants = ()
    odd_only: float = 1.0  # weight of the even partials (a clarinet's are weak)
    partials: int = 32
    rolloff: float = 0.0  # extra exp(-h / rolloff) low-pass; 0 = none
    detune_cents: float = 0.0  # ensemble copies either side; 0 = a soloist
    noise: float = 0.0  # noise energy relative to the tone (bow, breath)
    noise_band: tuple[float, float] = (1500.0, 8000.0)
    vibrato_hz: float = 0.0
    vibrato_cents: float = 0.0
    lowpass_hz: float = 0.0  # a fixed (not pitch-relative) 24 dB/octave roll-off; 0 = none


# Formants: a violin's air and wood resonances and its "bridge hill" near 2.5 kHz; the
# cello's body an octave and more lower; the sung vowel "ah"; a saxophone's bore; brass bells.
_STRING_SECTION = ((450.0, 250.0, 0.6), (2500.0, 1200.0, 0.8))
_VIOLIN_BODY = ((280.0, 60.0, 0.8), (460.0, 120.0, 0.4), (3000.0, 900.0, 2.5))
_CELLO_BODY = ((110.0, 30.0, 0.6), (220.0, 60.0, 0.9), (600.0, 200.0, 0.6), (1500.0, 500.0, 0.6))
_VOWEL_AH = ((730.0, 90.0, 1.6), (1090.0, 110.0, 0.9), (2440.0, 160.0, 0.5))
_REED = ((1500.0, 500.0, 0.3),)
_SAX_BORE = ((520.0, 200.0, 1.2), (1500.0, 400.0, 0.9), (3000.0, 700.0, 0.3))
_BRASS_BELL = ((1200.0, 700.0, 1.5), (2600.0, 800.0, 0.5))
_BOW = (1500.0, 8000.0)  # the default noise band

# One row a voice, in Bowed's field order: slope, formants, even-partial weight, partials,
# roll-off, detune cents, noise, noise band (Hz), vibrato Hz, vibrato cents, low-pass Hz.
# fmt: off
_RECIPE_ROWS: dict[str, tuple[float, Formants, float, int, float, float, float,
                              tuple[float, float], float, float, float]] = {
    "strings": (1.0, _STRING_SECTION, 1.0, 32, 0.0, 9.0, 0.006, _BOW, 5.0, 8.0, 6000.0),
    "violin": (0.7, _VIOLIN_BODY, 1.0, 40, 0.0, 0.0, 0.015, (2000.0, 9000.0), 6.0, 25.0, 0.0),
    "cello": (0.85, _CELLO_BODY, 1.0, 40, 0.0, 0.0, 0.008, (800.0, 5000.0), 5.0, 16.0, 0.0),
    "choir": (1.3, _VOWEL_AH, 1.0, 40, 0.0, 12.0, 0.01, (600.0, 4000.0), 5.2, 14.0, 0.0),
    "pad": (0.8, (), 1.0, 24, 0.0, 14.0, 0.003, _BOW, 0.0, 0.0, 1200.0),
    "flute": (2.6, (), 1.0, 6, 0.0, 0.0, 0.03, (1000.0, 7000.0), 5.0, 12.0, 0.0),
    "clarinet": (1.0, _REED, 0.08, 20, 0.0, 0.0, 0.004, _BOW, 4.5, 3.0, 0.0),
    "sax": (0.7, _SAX_BORE, 1.0, 30, 0.0, 0.0, 0.02, (1200.0, 6000.0), 5.2, 16.0, 0.0),
    "brass": (0.55, _BRASS_BELL, 1.0, 30, 12.0, 5.0, 0.0, _BOW, 4.8, 5.0, 0.0),
}
# fmt: on
SUSTAINED_RECIPES: dict[str, Bowed] = {voice: Bowed(*row) for voice, row in _RECIPE_ROWS.items()}

# (attack s, release s, transient level, transient seconds, transient smoothing)
ARTICULATION: dict[str, tuple[float, float, float, float, int]] = {
    "strings": (0.18, 0.35, 0.0, 0.0, 1),
    "violin": (0.07, 0.18, 0.06, 0.06, 2),  # the bow's bite
    "cello": (0.09, 0.25, 0.06, 0.07, 3),
    "choir": (0.22, 0.4, 0.03, 0.1, 6),
    "pad": (0.6, 1.0, 0.0, 0.0, 1),
    "flute": (0.07, 0.12, 0.15, 0.08, 4),  # the chiff of breath
    "clarinet": (0.04, 0.1, 0.05, 0.04, 6),
    "sax": (0.035, 0.1, 0.12, 0.05, 3),
    "brass": (0.05, 0.12, 0.1, 0.04, 2),  # the lips' blat
    "organ": (0.008, 0.08, 0.12, 0.006, 1),  # key click
}
