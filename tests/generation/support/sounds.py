"""Small, valid audio files for tests, made in memory."""

from __future__ import annotations

import io
import struct
import wave

import lameenc
import numpy as np


def wav_bytes(seconds: float = 0.5, *, rate: int = 16000, channels: int = 1) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    tone = (np.sin(2 * np.pi * 440 * t) * 12000).astype("<i2")
    frames = np.repeat(tone[:, None], channels, axis=1).tobytes()
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


def mp3_bytes(seconds: float = 1.0, *, rate: int = 44100) -> bytes:
    pcm = wav_bytes(seconds, rate=rate)[44:]
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(128)
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(1)
    return bytes(encoder.encode(pcm) + encoder.flush())


def float_wav_bytes() -> bytes:
    """A 32-bit float WAV (format 3), which the MP3 converter must refuse."""
    data = struct.pack("<4f", 0.0, 0.5, -0.5, 0.0)
    fmt = struct.pack("<HHIIHH", 3, 1, 8000, 32000, 4, 32)
    return (
        b"RIFF"
        + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data))
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )
