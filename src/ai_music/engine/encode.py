"""Encoding mastered audio: 16-bit PCM WAV and MP3 (LAME through lameenc)."""

from __future__ import annotations

import io
import wave

import numpy as np

from ai_music.engine.synth import Signal

MP3_BITRATE_KBPS = 160
# LAME's quality knob (2 best .. 7 fast); 7 keeps a 30 s piece's encode near 0.1 s.
MP3_QUALITY = 7


def to_pcm16(stereo: Signal) -> bytes:
    """Interleaved little-endian 16-bit samples."""
    frames = np.empty((stereo.shape[1], stereo.shape[0]), dtype="<i2")
    chunk = 1 << 16
    for start in range(0, stereo.shape[1], chunk):
        part = stereo[:, start : start + chunk].T * np.float32(32767.0)
        frames[start : start + chunk] = np.clip(np.round(part), -32768, 32767)
    return frames.tobytes()


def wav_bytes(stereo: Signal, sample_rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(stereo.shape[0])
        writer.setsampwidth(2)
        writer.setframerate(sample_rate)
        writer.writeframes(to_pcm16(stereo))
    return buffer.getvalue()


def mp3_bytes(stereo: Signal, sample_rate: int) -> bytes:
    import lameenc  # imported here so importing the engine stays light

    encoder = lameenc.Encoder()
    encoder.set_bit_rate(MP3_BITRATE_KBPS)
    encoder.set_in_sample_rate(sample_rate)
    encoder.set_channels(stereo.shape[0])
    encoder.set_quality(MP3_QUALITY)
    return bytes(encoder.encode(to_pcm16(stereo)) + encoder.flush())
