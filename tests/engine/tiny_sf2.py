"""A minimal SoundFont 2 file written from scratch: one looped sine sample, one instrument,
one preset per requested (bank, program). A few kilobytes of RIFF chunks, for tests only."""

from __future__ import annotations

import math
import struct

SAMPLE_RATE = 44100
PERIOD = 100  # samples: a 441 Hz sine, about MIDI key 69 (A4, 440 Hz) plus 4 cents
PERIODS = 20


def _chunk(kind: bytes, data: bytes) -> bytes:
    padding = b"\0" if len(data) % 2 else b""
    return kind + struct.pack("<I", len(data)) + data + padding


def _list(kind: bytes, *chunks: bytes) -> bytes:
    return _chunk(b"LIST", kind + b"".join(chunks))


def _name(text: str) -> bytes:
    return text.encode("ascii")[:19].ljust(20, b"\0")


def tiny_sf2(presets: tuple[tuple[int, int], ...] = ((0, 0),)) -> bytes:
    """An .sf2 whose every preset (bank, program) plays the same looped sine."""
    length = PERIOD * PERIODS
    sine = [round(12000 * math.sin(2 * math.pi * i / PERIOD)) for i in range(length)]
    # The SoundFont spec wants 46 zero samples after each sample.
    samples = struct.pack(f"<{length + 46}h", *sine, *([0] * 46))

    info = _list(
        b"INFO",
        _chunk(b"ifil", struct.pack("<HH", 2, 1)),
        _chunk(b"isng", b"EMU8000\0"),
        _chunk(b"INAM", b"ai-music test sine\0"),
    )
    sdta = _list(b"sdta", _chunk(b"smpl", samples))

    phdr = b""
    pbag = b""
    pgen = b""
    for index, (bank, program) in enumerate(presets):
        phdr += _name(f"sine {bank}:{program}") + struct.pack(
            "<HHHIII", program, bank, index, 0, 0, 0
        )
        pbag += struct.pack("<HH", index, 0)
        pgen += struct.pack("<HH", 41, 0)  # instrument 0
    phdr += _name("EOP") + struct.pack("<HHHIII", 0, 0, len(presets), 0, 0, 0)
    pbag += struct.pack("<HH", len(presets), 0)
    pgen += struct.pack("<HH", 0, 0)
    # Instrument zone: loop continuously (54 = sampleModes), a short release (38 =
    # releaseVolEnv, in timecents: -1200 = 0.5 s), then the sample (53 = sampleID) last.
    igen = struct.pack("<HH", 54, 1) + struct.pack("<Hh", 38, -1200) + struct.pack("<HH", 53, 0)
    igen += struct.pack("<HH", 0, 0)
    inst = _name("sine") + struct.pack("<H", 0) + _name("EOI") + struct.pack("<H", 1)
    ibag = struct.pack("<HH", 0, 0) + struct.pack("<HH", 3, 0)
    shdr = _name("sine") + struct.pack(
        "<IIIIIBbHH", 0, length, 0, length, SAMPLE_RATE, 69, -4, 0, 1
    )
    shdr += _name("EOS") + struct.pack("<IIIIIBbHH", 0, 0, 0, 0, 0, 0, 0, 0, 0)
    pdta = _list(
        b"pdta",
        _chunk(b"phdr", phdr),
        _chunk(b"pbag", pbag),
        _chunk(b"pmod", b"\0" * 10),
        _chunk(b"pgen", pgen),
        _chunk(b"inst", inst),
        _chunk(b"ibag", ibag),
        _chunk(b"imod", b"\0" * 10),
        _chunk(b"igen", igen),
        _chunk(b"shdr", shdr),
    )
    body = b"sfbk" + info + sdta + pdta
    return b"RIFF" + struct.pack("<I", len(body)) + body
