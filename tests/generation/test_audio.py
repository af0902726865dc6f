from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from ai_music.generation.audio import (
    UnsupportedAudio,
    convert_wav_to_mp3,
    media_type_for,
    probe_duration,
    sniff_container,
)

from .support.sounds import float_wav_bytes, mp3_bytes, wav_bytes


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", "mp3"),
        (bytes([0xFF, 0xFB, 0x90, 0x64]), "mp3"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "wav"),
        (b"OggS\x00\x02\x00\x00", "ogg"),
        (b"fLaC\x00\x00\x00\x22", "flac"),
        (b"<!DOCTYPE html><html>", None),
        (b'{"error": "x"}', None),
        (bytes([0xFF, 0xF1, 0x50, 0x80]), None),  # ADTS AAC: sync bits but layer 0
        (b"RIFF\x24\x00\x00\x00AVI LIST", None),
        (b"", None),
    ],
)
def test_sniff_container(head: bytes, expected: str | None) -> None:
    assert sniff_container(head) == expected


def test_sniff_real_encoder_output() -> None:
    assert sniff_container(mp3_bytes(0.2)[:16]) == "mp3"
    assert sniff_container(wav_bytes(0.1)[:16]) == "wav"


def test_media_types() -> None:
    assert media_type_for("mp3") == "audio/mpeg"
    assert media_type_for("wav") == "audio/wav"
    assert media_type_for("flac") == "audio/flac"


def test_probe_wav_duration(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    path.write_bytes(wav_bytes(1.5, rate=8000, channels=2))
    assert probe_duration(path, "wav") == pytest.approx(1.5)


def test_probe_mp3_duration_by_frames(tmp_path: Path) -> None:
    path = tmp_path / "a.mp3"
    path.write_bytes(mp3_bytes(2.0))
    duration = probe_duration(path, "mp3")
    assert duration is not None and duration == pytest.approx(2.0, abs=0.1)


def test_probe_mp3_behind_id3_tag(tmp_path: Path) -> None:
    tag = b"ID3\x04\x00\x00\x00\x00\x00\x0a" + b"\0" * 10
    path = tmp_path / "a.mp3"
    path.write_bytes(tag + mp3_bytes(1.0))
    duration = probe_duration(path, "mp3")
    assert duration is not None and duration == pytest.approx(1.0, abs=0.1)


def test_probe_garbage_is_none(tmp_path: Path) -> None:
    path = tmp_path / "x.wav"
    path.write_bytes(b"RIFF....WAVEjunk")
    assert probe_duration(path, "wav") is None
    assert probe_duration(path, "ogg") is None


def test_convert_wav_to_mp3(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.wav", tmp_path / "out.mp3"
    src.write_bytes(wav_bytes(1.0, rate=22050, channels=2))
    size = convert_wav_to_mp3(src, dst)
    assert size == dst.stat().st_size > 0
    assert sniff_container(dst.read_bytes()[:16]) == "mp3"
    duration = probe_duration(dst, "mp3")
    assert duration is not None and duration == pytest.approx(1.0, abs=0.15)


def test_convert_refuses_float_wav(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.wav", tmp_path / "out.mp3"
    src.write_bytes(float_wav_bytes())
    with pytest.raises(UnsupportedAudio, match="16-bit PCM"):
        convert_wav_to_mp3(src, dst)
    assert not dst.exists()


def test_convert_streams_in_bounded_memory(tmp_path: Path) -> None:
    src, dst = tmp_path / "big.wav", tmp_path / "big.mp3"
    src.write_bytes(wav_bytes(60.0, rate=44100))  # ~5 MB of PCM
    tracemalloc.start()
    try:
        convert_wav_to_mp3(src, dst)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < src.stat().st_size / 2
