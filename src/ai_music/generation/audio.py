"""Audio containers by their bytes: sniffing, duration probing and WAV → MP3 conversion.

Everything here streams: files are read in bounded chunks, never loaded whole, so a
200 MB answer costs a few hundred KB of memory.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ai_music.engine.formats import MEDIA_TYPES, media_type_of
from ai_music.engine.mp3 import MP3_BITRATE_KBPS, encode_mp3

__all__ = [
    "MEDIA_TYPES",
    "SNIFF_BYTES",
    "UnsupportedAudio",
    "convert_wav_to_mp3",
    "media_type_for",
    "probe_duration",
    "sniff_container",
]

SNIFF_BYTES = 16
"""How many leading bytes :func:`sniff_container` needs to decide."""

_CHUNK = 1 << 20


class UnsupportedAudio(ValueError):
    """The file is audio we cannot handle (e.g. a WAV encoding other than 16-bit PCM)."""


def media_type_for(container: str) -> str:
    return media_type_of(container)


def sniff_container(first_bytes: bytes) -> str | None:
    """The container named by the leading bytes, or None when they are not audio we know."""
    if first_bytes.startswith(b"ID3"):
        return "mp3"
    if first_bytes[:4] == b"RIFF" and first_bytes[8:12] == b"WAVE":
        return "wav"
    if first_bytes.startswith(b"OggS"):
        return "ogg"
    if first_bytes.startswith(b"fLaC"):
        return "flac"
    if _parse_mp3_frame_header(first_bytes[:4]) is not None:
        return "mp3"
    return None


# --- MP3 frame headers ------------------------------------------------------------------

_MP3_BITRATES_KBPS = {
    (1, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (1, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (1, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (2, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (2, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (2, 3): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MP3_SAMPLE_RATES = {1: (44100, 48000, 32000), 2: (22050, 24000, 16000), 25: (11025, 12000, 8000)}


@dataclass(frozen=True)
class _Mp3Frame:
    version: int  # 1, 2 or 25 (MPEG-2.5)
    layer: int
    sample_rate: int
    samples: int
    length: int
    mono: bool


def _parse_mp3_frame_header(header: bytes) -> _Mp3Frame | None:
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    version = {0: 25, 2: 2, 3: 1}.get((header[1] >> 3) & 3)
    layer = {1: 3, 2: 2, 3: 1}.get((header[1] >> 1) & 3)
    bitrate_index, rate_index = header[2] >> 4, (header[2] >> 2) & 3
    if version is None or layer is None or bitrate_index in (0, 15) or rate_index == 3:
        return None
    table_version = 1 if version == 1 else 2
    bitrate = _MP3_BITRATES_KBPS[(table_version, layer)][bitrate_index] * 1000
    sample_rate = _MP3_SAMPLE_RATES[version][rate_index]
    samples = 384 if layer == 1 else (576 if layer == 3 and version != 1 else 1152)
    padding = (header[2] >> 1) & 1
    slot = 4 if layer == 1 else 1
    length = (samples // 8 * bitrate // sample_rate // slot + padding) * slot
    return _Mp3Frame(version, layer, sample_rate, samples, length, (header[3] >> 6) == 3)


def _skip_id3v2(f: BinaryIO) -> None:
    head = f.read(10)
    if len(head) == 10 and head.startswith(b"ID3"):
        size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
        footer = 10 if head[5] & 0x10 else 0
        f.seek(10 + size + footer)
    else:
        f.seek(0)


# Bytes of layer III side information between the frame header and a Xing/Info tag.
_XING_SIDE_INFO = {(True, False): 32, (True, True): 17, (False, False): 17, (False, True): 9}


def _xing_frame_count(frame_bytes: bytes, frame: _Mp3Frame) -> int | None:
    side_info = _XING_SIDE_INFO[(frame.version == 1, frame.mono)]
    offset = 4 + side_info
    tag = frame_bytes[offset : offset + 4]
    if tag not in (b"Xing", b"Info"):
        return None
    flags = struct.unpack(">I", frame_bytes[offset + 4 : offset + 8])[0]
    if not flags & 1:
        return None
    return int(struct.unpack(">I", frame_bytes[offset + 8 : offset + 12])[0])


def _probe_mp3(f: BinaryIO) -> float | None:
    _skip_id3v2(f)
    first = _parse_mp3_frame_header(f.read(4))
    if first is None:
        return None
    f.seek(-4, 1)
    frames = _xing_frame_count(f.read(first.length), first)
    if frames is not None:
        return frames * first.samples / first.sample_rate
    f.seek(-first.length, 1)
    total_samples = 0
    while (frame := _parse_mp3_frame_header(f.read(4))) is not None and frame.length > 4:
        total_samples += frame.samples
        f.seek(frame.length - 4, 1)
    return total_samples / first.sample_rate


# --- WAV ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _WavLayout:
    audio_format: int
    channels: int
    sample_rate: int
    byte_rate: int
    block_align: int
    bits_per_sample: int
    data_offset: int
    data_size: int


_WAVE_FORMAT_PCM = 1
_WAVE_FORMAT_EXTENSIBLE = 0xFFFE


def _read_wav_layout(f: BinaryIO, file_size: int) -> _WavLayout:
    riff = f.read(12)
    if riff[:4] != b"RIFF" or riff[8:12] != b"WAVE":
        raise UnsupportedAudio("not a RIFF/WAVE file")
    fmt: tuple[int, ...] | None = None
    while True:
        chunk_head = f.read(8)
        if len(chunk_head) < 8:
            raise UnsupportedAudio("WAV file has no data chunk")
        chunk_id, chunk_size = chunk_head[:4], struct.unpack("<I", chunk_head[4:])[0]
        if chunk_id == b"fmt ":
            body = f.read(chunk_size)
            fmt = struct.unpack("<HHIIHH", body[:16])
            if fmt[0] == _WAVE_FORMAT_EXTENSIBLE and len(body) >= 26:
                fmt = (struct.unpack("<H", body[24:26])[0], *fmt[1:])
            f.seek(chunk_size % 2, 1)
        elif chunk_id == b"data":
            if fmt is None:
                raise UnsupportedAudio("WAV data chunk comes before its fmt chunk")
            offset = f.tell()
            # Streamed WAVs often carry 0 or 0xFFFFFFFF here: trust the file instead.
            size = min(chunk_size, file_size - offset) or file_size - offset
            return _WavLayout(*fmt, data_offset=offset, data_size=size)  # type: ignore[misc]
        else:
            f.seek(chunk_size + chunk_size % 2, 1)


def _probe_wav(f: BinaryIO, file_size: int) -> float | None:
    layout = _read_wav_layout(f, file_size)
    if layout.byte_rate <= 0:
        return None
    return layout.data_size / layout.byte_rate


def probe_duration(path: Path, container: str) -> float | None:
    """Duration in seconds read from headers (WAV) or frame headers (MP3); None if unknown."""
    try:
        with path.open("rb") as f:
            if container == "wav":
                return _probe_wav(f, path.stat().st_size)
            if container == "mp3":
                return _probe_mp3(f)
    except (UnsupportedAudio, struct.error, OSError):
        return None
    return None


def convert_wav_to_mp3(src: Path, dst: Path, *, bitrate_kbps: int = MP3_BITRATE_KBPS) -> int:
    """Encode the 16-bit PCM WAV ``src`` into the MP3 ``dst`` chunk by chunk; returns its size.

    The encoder is the engine's (one set of MP3 settings for the whole service). Raises
    :class:`UnsupportedAudio` for anything but 16-bit PCM mono or stereo.
    """
    with src.open("rb") as f:
        layout = _read_wav_layout(f, src.stat().st_size)
        _require_pcm16(layout)
        f.seek(layout.data_offset)
        mp3 = encode_mp3(
            _pcm_chunks(f, layout),
            sample_rate=layout.sample_rate,
            channels=layout.channels,
            bitrate_kbps=bitrate_kbps,
        )
        try:
            with dst.open("wb") as out:
                for part in mp3:
                    out.write(part)
        except BaseException:
            dst.unlink(missing_ok=True)
            raise
    return dst.stat().st_size


def _pcm_chunks(f: BinaryIO, layout: _WavLayout) -> Iterator[bytes]:
    """The WAV's sample data in whole frames, _CHUNK bytes at a time at most."""
    remaining = layout.data_size - layout.data_size % layout.block_align
    chunk = _CHUNK - _CHUNK % layout.block_align
    while remaining > 0:
        pcm = f.read(min(chunk, remaining))
        if not pcm:
            return
        remaining -= len(pcm)
        yield pcm


def _require_pcm16(layout: _WavLayout) -> None:
    if layout.audio_format != _WAVE_FORMAT_PCM or layout.bits_per_sample != 16:
        raise UnsupportedAudio(
            f"only 16-bit PCM WAV can be converted to MP3 (this one is format "
            f"{layout.audio_format}, {layout.bits_per_sample}-bit)"
        )
    if layout.channels not in (1, 2):
        raise UnsupportedAudio(f"only mono or stereo WAV can be converted ({layout.channels} ch)")
    if layout.block_align != 2 * layout.channels:
        raise UnsupportedAudio("WAV block alignment does not match 16-bit PCM")
