"""How loose request fields become concrete choices: instruments, moods, styles, tempo."""

from __future__ import annotations

import pytest

from ai_music.engine.instruments import parse_instruments
from ai_music.engine.moods import MOODS
from ai_music.engine.plan import make_plan
from ai_music.engine.theory import MODES, parse_numeral


@pytest.mark.parametrize(
    ("text", "voices"),
    [
        ("piano", ("piano",)),
        ("piano, strings and soft drums", ("piano", "strings", "drums")),
        ("acoustic guitar + bass", ("guitar", "bass")),
        ("Violins, CELLOS & a marimba", ("violin", "cello", "marimba")),
        ("synth pads, flutes, organ", ("organ", "pad", "flute")),
        ("lead synth over an electric piano", ("rhodes", "synth")),
        ("sax, trumpet, choir and distorted guitar", ("electric_guitar", "choir", "sax", "brass")),
        ("kazoo and theremin", ()),
        ("", ()),
    ],
)
def test_instruments_are_parsed_from_free_text(text: str, voices: tuple[str, ...]) -> None:
    assert parse_instruments(text) == voices


def test_the_vocabulary_names_distinct_voices_for_distinct_instruments() -> None:
    pairs = [("violin", "cello"), ("sax", "flute"), ("rhodes", "piano"), ("marimba", "bells")]
    pairs += [("choir", "pad"), ("electric guitar", "acoustic guitar")]
    for a, b in pairs:
        assert parse_instruments(a) != parse_instruments(b), (a, b)
    words = "piano guitar strings bass drums pad synth flute bells organ harp clarinet"
    assert len(parse_instruments(words)) >= 12


def test_voices_used_are_reported_with_the_audio() -> None:
    from tests.engine.renders import rendered

    result = rendered(
        instruments="piano, strings and soft drums", duration=3.0, seed=1, format="wav"
    )
    assert result.instruments == ("piano", "strings", "drums")


@pytest.mark.parametrize(
    ("mood", "expected"),
    [
        ("happy", "happy"),
        ("Melancholic", "sad"),
        ("sad but hopeful", "sad"),
        ("zorgly", "calm"),
        ("", "calm"),
    ],
)
def test_moods_resolve_with_synonyms_and_fall_back(mood: str, expected: str) -> None:
    assert (
        make_plan(prompt="", duration=10, mood=mood, tempo=None, instruments=None).mood.name
        == expected
    )


def test_prompt_steers_style_mood_tempo_and_instruments_when_fields_are_absent() -> None:
    plan = make_plan(
        prompt="a slow jazz tune with saxophone",
        duration=10,
        mood=None,
        tempo=None,
        instruments=None,
    )
    assert plan.style.name == "jazz"
    assert plan.mood.name == "romantic"
    # The saxophone joins the jazz band and leads it; the band is not stripped to a sax.
    assert plan.lead == "sax"
    assert {"sax", "piano", "bass", "drums"} <= set(plan.voices)
    assert plan.tempo < 120
    explicit = make_plan(
        prompt="rock anthem at 150 bpm", duration=10, mood="sad", tempo=None, instruments="piano"
    )
    assert (explicit.style.name, explicit.mood.name, explicit.tempo, explicit.voices) == (
        "rock",
        "sad",
        150,
        ("piano",),
    )


def test_style_ensemble_is_used_when_nothing_names_instruments() -> None:
    plan = make_plan(
        prompt="electronic dance track", duration=10, mood=None, tempo=None, instruments=None
    )
    assert set(plan.voices) == {"synth", "pad", "bass", "drums"}


@pytest.mark.parametrize(("tempo", "expected"), [(10, 40), (40, 40), (97, 97), (500, 220)])
def test_tempo_is_clamped(tempo: int, expected: int) -> None:
    assert (
        make_plan(prompt="", duration=10, mood=None, tempo=tempo, instruments=None).tempo
        == expected
    )


def test_every_progression_in_the_mood_table_is_a_valid_chord_chart() -> None:
    for mood in MOODS.values():
        assert mood.mode in MODES and mood.melody_scale in MODES
        for progression in (*mood.progressions_a, *mood.progressions_b):
            for symbol in progression:
                parse_numeral(symbol)


def test_minor_key_numerals_spell_minor_key_chords() -> None:
    # In A minor (tonic 9): bVI is F major, bIII is C major, iv is D minor, V is E major.
    assert parse_numeral("bVI").pitch_classes(9) == (5, 9, 0)
    assert parse_numeral("bIII").pitch_classes(9) == (0, 4, 7)
    assert parse_numeral("iv").pitch_classes(9) == (2, 5, 9)
    assert parse_numeral("V7").pitch_classes(9) == (4, 8, 11, 2)
    with pytest.raises(ValueError):
        parse_numeral("X")
