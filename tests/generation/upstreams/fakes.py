"""Scripted upstreams for router tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from ai_music.generation.upstreams.base import (
    GenerationParams,
    ProgressSink,
    ReceivedAudio,
    Upstream,
    UpstreamError,
)

PARAMS = GenerationParams(prompt="rain", duration=10, mood="calm", tempo=90, instruments="piano")


class ScriptedUpstream(Upstream):
    """Raises the scripted errors in turn, then succeeds (or keeps raising the last one)."""

    def __init__(
        self,
        name: str,
        script: list[UpstreamError | None] | None = None,
        *,
        delay: float = 0.0,
        kind: str = "http",
        on_call: Callable[[], None] | None = None,
    ) -> None:
        self.name = name
        self.kind = kind
        self.script = list(script or [])
        self.delay = delay
        self.calls = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.closed = False
        self.on_call = on_call

    async def generate(
        self, params: GenerationParams, *, progress: ProgressSink | None = None
    ) -> ReceivedAudio:
        self.calls += 1
        if self.on_call:
            self.on_call()
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            step = (
                self.script.pop(0)
                if len(self.script) > 1
                else (self.script[0] if self.script else None)
            )
            if step is not None:
                raise step
            return ReceivedAudio(path=Path("/dev/null"), container="mp3", size=0, details={})
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        self.closed = True
