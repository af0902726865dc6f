"""Cached renders shared by the engine tests: each distinct request renders once."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ai_music.engine import EngineRequest, EngineResult, render
from tests.engine.analysis import read_wav


@lru_cache(maxsize=64)
def rendered(**fields: object) -> EngineResult:
    """Render once per distinct request across the whole engine test session."""
    return render(EngineRequest(**fields))  # type: ignore[arg-type]


def wav_of(**fields: object) -> tuple[np.ndarray, int]:
    result = rendered(format="wav", **fields)
    return read_wav(result.audio)
