"""The built-in reference engine (``ai_music.engine``) as an upstream."""

from __future__ import annotations

import asyncio
import inspect
import time
from pathlib import Path
from typing import Any, Literal, Protocol

from ai_music.generation.audio import SNIFF_BYTES, sniff_container
from ai_music.observability import metrics

from .base import (
    DONE,
    GenerationParams,
    Progress,
    ProgressSink,
    ReceivedAudio,
    Upstream,
    UpstreamBadAnswer,
    spool_file,
)

__all__ = ["EngineFormat", "EnginePoolLike", "EngineUpstream"]

EngineFormat = Literal["mp3", "wav"]


class EnginePoolLike(Protocol):
    """What the adapter needs from ``ai_music.engine.EnginePool``."""

    def render(self, request: Any) -> Any: ...


class EngineUpstream(Upstream):
    """Renders in the engine's worker pool and spools the encoded bytes it returns."""

    kind = "engine"

    def __init__(
        self,
        *,
        pool: EnginePoolLike,
        spool_dir: Path,
        name: str = "engine",
        audio_format: EngineFormat = "mp3",
    ) -> None:
        self.name = name
        self._pool = pool
        self._spool_dir = spool_dir
        self._format = audio_format

    async def generate(
        self, params: GenerationParams, *, progress: ProgressSink | None = None
    ) -> ReceivedAudio:
        # Imported late: a server whose upstreams are all remote never loads the engine.
        from ai_music.engine import EngineRequest

        request = EngineRequest.of(params, format=self._format, with_midi=True)
        if progress is not None:
            progress(Progress(fraction=0.0, queue_position=0, message="rendering"))
        started = time.perf_counter()
        result = await self._render(request)
        metrics.observe_engine_render(time.perf_counter() - started)
        audio = self._spool(bytes(result.audio), _details(result), getattr(result, "midi", None))
        if progress is not None:
            progress(DONE)
        return audio

    async def _render(self, request: Any) -> Any:
        if inspect.iscoroutinefunction(self._pool.render):
            return await self._pool.render(request)
        # A synchronous pool blocks while it waits for its worker: keep that off the loop.
        return await asyncio.to_thread(self._pool.render, request)

    def _spool(self, audio: bytes, details: dict[str, str], midi: bytes | None) -> ReceivedAudio:
        container = sniff_container(audio[:SNIFF_BYTES])
        if container is None:
            raise UpstreamBadAnswer(
                f"The built-in engine '{self.name}' produced no recognisable audio.",
                upstream=self.name,
            )
        with spool_file(self._spool_dir) as path:
            path.write_bytes(audio)
            score_path = self._spool_score(midi) if midi else None
            return ReceivedAudio(
                path=path,
                container=container,
                size=len(audio),
                details=details,
                score_path=score_path,
            )

    def _spool_score(self, midi: bytes) -> Path:
        with spool_file(self._spool_dir, suffix=".mid.part") as path:
            path.write_bytes(midi)
            return path


def _details(result: Any) -> dict[str, str]:
    details: dict[str, str] = {}
    for key in ("seed", "mood", "style", "tempo", "duration_s"):
        value = getattr(result, key, None)
        if value is not None:
            details[key] = str(value)
    instruments = getattr(result, "instruments", None)
    if instruments:
        details["instruments"] = ",".join(str(item) for item in instruments)
    return details
