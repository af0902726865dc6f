"""The service's one MP3 encoder: LAME through lameenc, one set of settings.

Used for the engine's pieces (encode.py) and for WAV answers from upstream services
(generation/audio.py). Needs no numpy, so the web app can import it without the engine's
numerical stack.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import lameenc

# Constant bit rate: every frame the same size, so players seek and estimate duration exactly.
MP3_BITRATE_KBPS = 192
# LAME's quality knob (0 best .. 9 fast; lameenc's "7" is its fastest): the 192 kbps keeps
# the faster quantizer transparent enough for music, at a third of the time of quality 2.
MP3_QUALITY = 7


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
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(bitrate_kbps)
    encoder.set_in_sample_rate(sample_rate)
    encoder.set_channels(channels)
    encoder.set_quality(MP3_QUALITY)
    for chunk in pcm16:
        yield bytes(encoder.encode(chunk))
    yield bytes(encoder.flush())
