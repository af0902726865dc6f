"""Standard MIDI File (type 1) writer for a score: one track per voice, General MIDI."""

from __future__ import annotations

import struct

from ai_music.engine.score import Score

TICKS_PER_BEAT = 480
DRUM_CHANNEL = 9

# General MIDI programs (0-based) for each voice.
GM_PROGRAMS = {
    "piano": 0,  # Acoustic Grand Piano
    "rhodes": 4,  # Electric Piano 1
    "organ": 16,  # Drawbar Organ
    "guitar": 24,  # Nylon Guitar
    "electric_guitar": 30,  # Distortion Guitar
    "harp": 46,  # Orchestral Harp
    "strings": 48,  # String Ensemble 1
    "violin": 40,  # Violin
    "cello": 42,  # Cello
    "choir": 52,  # Choir Aahs
    "pad": 89,  # Pad 2 (warm)
    "synth": 80,  # Lead 1 (square)
    "flute": 73,  # Flute
    "clarinet": 71,  # Clarinet
    "sax": 65,  # Alto Sax
    "brass": 61,  # Brass Section
    "bells": 9,  # Glockenspiel
    "marimba": 12,  # Marimba
    "bass": 33,  # Electric Bass (finger)
}


def _varlen(value: int) -> bytes:
    """MIDI variable-length quantity."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def _track(events: list[tuple[int, int, bytes]], end_tick: int) -> bytes:
    """A track chunk from (tick, order, message) events; order sorts note-offs first."""
    body = bytearray()
    now = 0
    for tick, _, message in sorted(events, key=lambda e: (e[0], e[1])):
        body += _varlen(tick - now) + message
        now = tick
    body += _varlen(max(0, end_tick - now)) + b"\xff\x2f\x00"
    return b"MTrk" + struct.pack(">I", len(body)) + bytes(body)


def _meta(kind: int, data: bytes) -> bytes:
    return bytes([0xFF, kind]) + _varlen(len(data)) + data


def channel_for(voice: str, voices: tuple[str, ...]) -> int:
    if voice == "drums":
        return DRUM_CHANNEL
    pitched = [v for v in voices if v != "drums"]
    index = pitched.index(voice)
    return index if index < DRUM_CHANNEL else index + 1


def midi_bytes(score: Score) -> bytes:
    tempo_us = round(60_000_000 / score.tempo)
    conductor = [
        (0, 0, _meta(0x03, b"ai-music engine")),
        (0, 0, _meta(0x51, tempo_us.to_bytes(3, "big"))),
        (0, 0, _meta(0x58, bytes([4, 2, 24, 8]))),  # 4/4
    ]
    # Every track ends at the piece's end, so players keep the final chord's full length.
    end_tick = round(score.total_beats * TICKS_PER_BEAT)
    tracks = [_track(conductor, end_tick)]
    for voice in score.voices:
        channel = channel_for(voice, score.voices)
        events: list[tuple[int, int, bytes]] = [(0, 0, _meta(0x03, voice.encode()))]
        if voice != "drums":
            events.append((0, 0, bytes([0xC0 | channel, GM_PROGRAMS[voice]])))
        for note in score.notes:
            if note.voice != voice:
                continue
            on = round(note.start * TICKS_PER_BEAT)
            off = max(on + 1, round((note.start + note.duration) * TICKS_PER_BEAT))
            velocity = max(1, min(127, round(note.velocity * 127)))
            pitch = max(0, min(127, note.pitch))
            events.append((on, 2, bytes([0x90 | channel, pitch, velocity])))
            events.append((off, 1, bytes([0x80 | channel, pitch, 0])))
        tracks.append(_track(events, end_tick))
    header = b"MThd" + struct.pack(">IHHH", 6, 1, len(tracks), TICKS_PER_BEAT)
    return header + b"".join(tracks)
