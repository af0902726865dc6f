"""Encoding mastered audio: 16-bit PCM WAV, and MP3 through the service's one MP3 encoder
(mp3.py)."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator

import numpy as np

from ai_music.engine.mp3 import encode_mp3
from ai_music.engine.sound import Signal

_CHUNK = 1 << 16  # frames converted (and MP3-encoded) at a time


def _pcm16_chunks(stereo: Signal) -> Iterator[np.ndarray]:
    """Interleaved 16-bit frames, a chunk at a time: no full-length temporaries."""
    for start in range(0, stereo.shape[1], _CHUNK):
        part = stereo[:, start : start + _CHUNK].T * np.float32(32767.0)
        yield np.clip(np.round(part), -32768, 32767).astype("<i2")


def to_pcm16(stereo: Signal) -> bytes:
    """Interleaved little-endian 16-bit samples."""
    return b"".join(chunk.tobytes() for chunk in _pcm16_chunks(stereo))


def wav_bytes(stereo: Signal, sample_rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(stereo.shape[0])
        writer.setsampwidth(2)
        writer.setframerate(sample_rate)
        writer.setnframes(stereo.shape[1])
        for chunk in _pcm16_chunks(stereo):
            writer.writeframesraw(chunk.tobytes())
    return buffer.getvalue()


def mp3_bytes(stereo: Signal, sample_rate: int) -> bytes:
    chunks = (chunk.tobytes() for chunk in _pcm16_chunks(stereo))
    return b"".join(encode_mp3(chunks, sample_rate=sample_rate, channels=stereo.shape[0]))
