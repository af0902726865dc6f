"""The optional SoundFont path: the same score played by a General MIDI SoundFont.

The score's voices get the General MIDI programs of the MIDI export (midi.py) on the same
channels, drums the GM percussion kit on channel 10, and `tinysoundfont` (the `soundfont`
extra) renders the notes sample-accurately on the beat grid. A voice whose program the
SoundFont lacks plays with the SoundFont's first melodic preset; drums are left out if it has
no percussion kit. The result gets the engine's light reverb and goes through the same
mastering as the built-in synthesizer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ai_music.engine.midi import GM_PROGRAMS, channel_for
from ai_music.engine.reverb import add_reverb
from ai_music.engine.score import Score
from ai_music.engine.sound import SAMPLE_RATE, Signal

SEND = 0.25  # reverb send of the whole SoundFont mix, before the mood's reverb amount
DRUM_RING_SECONDS = 2.0  # drum hits ring this long before their note-off (cymbals decay)
_NOTE_OFF, _NOTE_ON = 0, 1  # at the same sample, note-offs first (a repeated key restrikes)


class SoundFontError(ValueError):
    """The SoundFont path cannot be used: tinysoundfont missing, or an unreadable file."""


def _synth(path: str) -> tuple[Any, int]:
    try:
        import tinysoundfont
    except ImportError as error:
        raise SoundFontError(
            "SoundFont rendering needs tinysoundfont: pip install 'ai-music-backend[soundfont]'"
        ) from error
    synth = tinysoundfont.Synth(samplerate=SAMPLE_RATE)
    try:
        sfid = synth.sfload(path)
    except Exception as error:  # tinysoundfont raises plain exceptions for bad files
        raise SoundFontError(f"cannot load SoundFont {path!r}: {error}") from error
    return synth, sfid


def _first_preset(synth: Any, sfid: int, bank: int) -> int | None:
    for program in range(128):
        if synth.sfpreset_name(sfid, bank, program) is not None:
            return program
    return None


def _select_programs(synth: Any, sfid: int, voices: tuple[str, ...]) -> set[int]:
    """Assign each voice's channel its program; the channels that will sound."""
    fallback = _first_preset(synth, sfid, 0)
    channels = set()
    for voice in voices:
        channel = channel_for(voice, voices)
        if voice == "drums":
            # Percussion kits live in bank 128 (GM: kit 0, "Standard"); without one,
            # tinysoundfont would play the drum keys as pitches on a melodic preset.
            kit = 0 if synth.sfpreset_name(sfid, 128, 0) else _first_preset(synth, sfid, 128)
            if kit is None:
                continue
            synth.program_select(channel, sfid, 0, kit, is_drums=True)
        else:
            program = GM_PROGRAMS[voice]
            if synth.sfpreset_name(sfid, 0, program) is None:
                if fallback is None:
                    continue
                program = fallback
            synth.program_select(channel, sfid, 0, program)
        channels.add(channel)
    return channels


def render_soundfont(score: Score, total_samples: int, reverb_amount: float, path: str) -> Signal:
    """The stereo mix (2, total_samples) of the score played by the SoundFont at `path`."""
    synth, sfid = _synth(path)
    channels = _select_programs(synth, sfid, score.voices)
    if not channels:
        raise SoundFontError(f"SoundFont {path!r} has no preset the score can use")
    samples_per_beat = SAMPLE_RATE * score.seconds_per_beat
    events: list[tuple[int, int, int, int, int]] = []  # (sample, kind, channel, key, velocity)
    for note in score.notes:
        channel = channel_for(note.voice, score.voices)
        if channel not in channels:
            continue
        key = max(0, min(127, note.pitch))
        on = round(note.start * samples_per_beat)
        off = max(on + 1, round((note.start + note.duration) * samples_per_beat))
        if note.voice == "drums":
            off = max(off, on + round(DRUM_RING_SECONDS * SAMPLE_RATE))
        velocity = max(1, min(127, round(note.velocity * 127)))
        events.append((on, _NOTE_ON, channel, key, velocity))
        events.append((off, _NOTE_OFF, channel, key, 0))
    events.sort()
    frames = np.zeros((total_samples, 2), dtype=np.float32)
    view = frames.data.cast("B")
    bytes_per_frame = frames.itemsize * 2
    position = 0
    for sample, kind, channel, key, velocity in events:
        if sample >= total_samples:
            break
        if sample > position:
            synth.generate_simple(
                sample - position,
                buffer=view[position * bytes_per_frame : sample * bytes_per_frame],
            )
            position = sample
        if kind == _NOTE_ON:
            synth.noteon(channel, key, velocity)
        else:
            synth.noteoff(channel, key)
    if position < total_samples:
        synth.generate_simple(total_samples - position, buffer=view[position * bytes_per_frame :])
    del view
    stereo = np.ascontiguousarray(frames.T)
    del frames
    send = stereo.sum(axis=0)
    send *= np.float32(0.5 * SEND * reverb_amount)
    add_reverb(send, stereo)
    return stereo
