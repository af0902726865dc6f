"""Encoding audio: 16-bit PCM WAV, and MP3 through the project's one MP3 encoder.

encode_mp3 is used for the engine's pieces and for WAV answers from upstream services
(generation/audio.py), so every MP3 the service makes has the same settings.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Iterable, Iterator

import numpy as np

from ai_music.engine.sound import Signal

# Constant bit rate: every frame the same size, so players seek and estimate duration exactly.
MP3_BITRATE_KBPS = 192
# LAME's quality knob (0 best .. 9 fast; lameenc's "7" is its fastest): the 192 kbps keeps
# the faster quantizer transparent enough for music, at a third of the time of quality 2.
MP3_QUALITY = 7


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


def encode_mp3(
    pcm16: Iterable[bytes],
    *,
    sample_rate: int,
    channels: int,
    bitrate_kbps: int = MP3_BITRATE_KBPS,
) -> Iterator[bytes]:
    """MP3 (LAME through lameenc) of interleaved little-endian 16-bit PCM given a chunk at a
    time, yielded as it is made: memory stays bounded however long the audio is.

    LAME buffers internally, so the chunking does not change the bytes.
    """
    import lameenc  # imported here so importing the engine stays light

    encoder = lameenc.Encoder()
    encoder.set_bit_rate(bitrate_kbps)
    encoder.set_in_sample_rate(sample_rate)
    encoder.set_channels(channels)
    encoder.set_quality(MP3_QUALITY)
    for chunk in pcm16:
        yield bytes(encoder.encode(chunk))
    yield bytes(encoder.flush())


def mp3_bytes(stereo: Signal, sample_rate: int) -> bytes:
    chunks = (chunk.tobytes() for chunk in _pcm16_chunks(stereo))
    return b"".join(encode_mp3(chunks, sample_rate=sample_rate, channels=stereo.shape[0]))
