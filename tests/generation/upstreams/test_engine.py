from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import ai_music.engine
from ai_music.generation.upstreams.base import GenerationParams, UpstreamBadAnswer
from ai_music.generation.upstreams.engine import EngineUpstream

from ..support.sounds import mp3_bytes
from ..support.spool import leftovers

PARAMS = GenerationParams(
    prompt="rain", duration=8, mood="calm", tempo=72, instruments="piano", seed=5
)


@dataclass
class FakeResult:
    audio: bytes
    format: str = "mp3"
    media_type: str = "audio/mpeg"
    seed: int = 5
    duration_s: float = 8.0
    tempo: int = 72
    mood: str = "calm"
    style: str = "ambient"
    instruments: tuple[str, ...] = ("piano", "strings")


class FakePool:
    def __init__(self, audio: bytes) -> None:
        self.audio = audio
        self.requests: list[Any] = []

    def render(self, request: Any) -> FakeResult:
        self.requests.append(request)
        return FakeResult(self.audio)


@pytest.fixture(autouse=True)
def engine_request(monkeypatch: pytest.MonkeyPatch) -> None:
    if not hasattr(ai_music.engine, "EngineRequest"):

        @dataclass
        class EngineRequest:
            prompt: str
            duration: float
            mood: str
            tempo: int
            instruments: str
            seed: int | None
            format: str

        monkeypatch.setattr(ai_music.engine, "EngineRequest", EngineRequest, raising=False)


async def test_engine_adapter_spools_and_reports(spool_dir: Path) -> None:
    pool = FakePool(mp3_bytes(0.2))
    audio = await EngineUpstream(pool=pool, spool_dir=spool_dir, audio_format="mp3").generate(
        PARAMS
    )
    assert pool.requests[0].format == "mp3" and pool.requests[0].seed == 5
    assert audio.container == "mp3" and audio.path.read_bytes() == pool.audio
    assert audio.details["instruments"] == "piano,strings"
    assert audio.details["seed"] == "5" and audio.details["style"] == "ambient"


async def test_engine_garbage_is_a_bad_answer(spool_dir: Path) -> None:
    with pytest.raises(UpstreamBadAnswer):
        await EngineUpstream(pool=FakePool(b"nonsense bytes!!"), spool_dir=spool_dir).generate(
            PARAMS
        )
    assert leftovers(spool_dir) == []


@pytest.mark.skipif(not hasattr(ai_music.engine, "EnginePool"), reason="engine not built yet")
async def test_real_engine_pool(spool_dir: Path) -> None:
    pool = ai_music.engine.EnginePool(max_workers=1)
    try:
        upstream = EngineUpstream(pool=pool, spool_dir=spool_dir, audio_format="wav")
        short = GenerationParams(**{**PARAMS.__dict__, "duration": 5})
        audio = await upstream.generate(short)
    finally:
        await pool.aclose()
    assert audio.container == "wav" and audio.size > 10_000
    assert audio.details["seed"] == "5" and audio.details["instruments"]
