"""The mood table: what each mood means musically.

Each mood picks the mode the harmony lives in, the scale the melody draws from, chord
progressions for the A and B sections, harmonic rhythm (beats per chord), a default tempo,
dynamics, rhythmic density, the melody's register, a drum feel and a default ensemble.
docs/engine.md renders this table for humans; keep the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass

from ai_music.engine.theory import MAJOR_MODES


@dataclass(frozen=True)
class Mood:
    name: str
    mode: str  # the harmony's mode
    melody_scale: str  # the scale melody notes are drawn from
    progressions_a: tuple[tuple[str, ...], ...]
    progressions_b: tuple[tuple[str, ...], ...]
    tempo: int  # default BPM when neither the request nor the style sets one
    beats_per_chord: int  # harmonic rhythm
    density: float  # 0..1, how busy melody and accompaniment are
    velocity: float  # 0..1, overall dynamics
    register: int  # MIDI pitch the melody centres on
    drums: str  # drum feel: "none", "brushes", "groove", "driving", "epic"
    comp: str  # how piano and guitar accompany: "block", "arpeggio", "sustain"
    drone: bool  # the bass holds the tonic under every chord (a pedal point)
    ensemble: tuple[str, ...]  # voices used when the request names none
    reverb: float  # reverb send, 0..1

    @property
    def is_major(self) -> bool:
        return self.mode in MAJOR_MODES


MOODS: dict[str, Mood] = {
    mood.name: mood
    for mood in (
        Mood(
            name="happy",
            mode="ionian",
            melody_scale="ionian",
            progressions_a=(("I", "V", "vi", "IV"), ("I", "IV", "V", "I"), ("I", "vi", "IV", "V")),
            progressions_b=(("IV", "V", "iii", "vi"), ("vi", "IV", "I", "V")),
            tempo=112,
            beats_per_chord=4,
            density=0.7,
            velocity=0.75,
            register=74,
            drums="groove",
            comp="block",
            drone=False,
            ensemble=("piano", "bass", "drums", "bells"),
            reverb=0.22,
        ),
        Mood(
            name="sad",
            mode="aeolian",
            melody_scale="aeolian",
            progressions_a=(
                ("i", "iv", "V", "i"),
                ("i", "bVI", "iv", "V"),
                ("i", "bVII", "bVI", "V"),
            ),
            progressions_b=(("bVI", "iv", "i", "V"), ("iv", "i", "V", "i")),
            tempo=68,
            beats_per_chord=8,
            density=0.4,
            velocity=0.55,
            register=70,
            drums="none",
            comp="arpeggio",
            drone=False,
            ensemble=("piano", "strings", "bass"),
            reverb=0.35,
        ),
        Mood(
            name="calm",
            mode="ionian",
            melody_scale="major_pentatonic",
            progressions_a=(("Imaj7", "IVmaj7", "Imaj7", "IVmaj7"), ("I", "vi", "IV", "I")),
            progressions_b=(("vi7", "IVmaj7", "Iadd9", "Vsus4"), ("IV", "I", "ii7", "I")),
            tempo=70,
            beats_per_chord=8,
            density=0.3,
            velocity=0.45,
            register=76,
            drums="none",
            comp="arpeggio",
            drone=False,
            ensemble=("piano", "pad", "bass"),
            reverb=0.4,
        ),
        Mood(
            name="energetic",
            mode="ionian",
            melody_scale="ionian",
            progressions_a=(("I", "V", "vi", "IV"), ("vi", "IV", "I", "V"), ("I", "IV", "vi", "V")),
            progressions_b=(("IV", "I", "V", "vi"), ("ii", "IV", "V", "V")),
            tempo=132,
            beats_per_chord=4,
            density=0.9,
            velocity=0.9,
            register=76,
            drums="driving",
            comp="block",
            drone=False,
            ensemble=("synth", "bass", "drums", "guitar"),
            reverb=0.15,
        ),
        Mood(
            name="dark",
            mode="phrygian",
            melody_scale="phrygian",
            progressions_a=(("i", "bII", "i", "bvii"), ("i", "iv", "bII", "i")),
            progressions_b=(("bVI", "bII", "iv", "i"), ("iv", "bVI", "bII", "i")),
            tempo=80,
            beats_per_chord=8,
            density=0.45,
            velocity=0.65,
            register=64,
            drums="groove",
            comp="sustain",
            drone=True,
            ensemble=("pad", "bass", "strings", "drums"),
            reverb=0.35,
        ),
        Mood(
            name="mysterious",
            mode="harmonic_minor",
            melody_scale="harmonic_minor",
            progressions_a=(("i", "bVI", "iv", "V"), ("i", "iv", "V", "i")),
            progressions_b=(("bVI", "iv", "V", "V"), ("iv", "bVI", "V", "i")),
            tempo=76,
            beats_per_chord=8,
            density=0.4,
            velocity=0.5,
            register=72,
            drums="none",
            comp="arpeggio",
            drone=True,
            ensemble=("bells", "pad", "strings", "bass"),
            reverb=0.45,
        ),
        Mood(
            name="romantic",
            mode="ionian",
            melody_scale="ionian",
            progressions_a=(("Imaj7", "vi7", "ii7", "V7"), ("I", "iii", "IV", "V")),
            progressions_b=(("IV", "V", "iii", "vi"), ("ii7", "V7", "Imaj7", "vi7")),
            tempo=84,
            beats_per_chord=4,
            density=0.5,
            velocity=0.6,
            register=72,
            drums="none",
            comp="arpeggio",
            drone=False,
            ensemble=("piano", "strings", "bass"),
            reverb=0.35,
        ),
        Mood(
            name="epic",
            mode="aeolian",
            melody_scale="aeolian",
            progressions_a=(
                ("i", "bVI", "bVII", "i"),
                ("i", "iv", "bVI", "V"),
                ("i", "bVI", "bIII", "V"),
            ),
            progressions_b=(("bVI", "bVII", "i", "i"), ("iv", "bVI", "bVII", "i")),
            tempo=100,
            beats_per_chord=4,
            density=0.6,
            velocity=0.85,
            register=72,
            drums="epic",
            comp="block",
            drone=False,
            ensemble=("strings", "bass", "drums", "pad", "flute"),
            reverb=0.4,
        ),
        Mood(
            name="dreamy",
            mode="lydian",
            melody_scale="lydian",
            progressions_a=(("I", "II", "I", "II"), ("Imaj7", "II", "vi7", "Imaj7")),
            progressions_b=(("IV", "II", "I", "I"), ("vi", "II", "Imaj7", "I")),
            tempo=76,
            beats_per_chord=8,
            density=0.35,
            velocity=0.5,
            register=76,
            drums="none",
            comp="arpeggio",
            drone=False,
            ensemble=("pad", "bells", "bass", "flute"),
            reverb=0.5,
        ),
    )
}

MOOD_SYNONYMS: dict[str, str] = {
    "joyful": "happy",
    "cheerful": "happy",
    "uplifting": "happy",
    "bright": "happy",
    "fun": "happy",
    "playful": "happy",
    "sunny": "happy",
    "melancholic": "sad",
    "melancholy": "sad",
    "sorrowful": "sad",
    "nostalgic": "sad",
    "lonely": "sad",
    "peaceful": "calm",
    "relaxed": "calm",
    "relaxing": "calm",
    "chill": "calm",
    "serene": "calm",
    "soothing": "calm",
    "gentle": "calm",
    "ambient": "calm",
    "upbeat": "energetic",
    "exciting": "energetic",
    "intense": "energetic",
    "powerful": "epic",
    "heroic": "epic",
    "triumphant": "epic",
    "cinematic": "epic",
    "majestic": "epic",
    "ominous": "dark",
    "scary": "dark",
    "tense": "dark",
    "angry": "dark",
    "eerie": "mysterious",
    "suspenseful": "mysterious",
    "magical": "mysterious",
    "love": "romantic",
    "tender": "romantic",
    "sentimental": "romantic",
    "dream": "dreamy",
    "ethereal": "dreamy",
    "floating": "dreamy",
}

DEFAULT_MOOD = "calm"


def lookup_mood(word: str) -> Mood | None:
    """The mood a single word names, directly or through a synonym, else None."""
    key = word.strip().lower()
    key = MOOD_SYNONYMS.get(key, key)
    return MOODS.get(key)
