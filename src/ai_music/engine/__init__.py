"""The reference music engine: parameters in, a composed, synthesized and mastered piece out.

CPU-only and self-contained: it imports nothing of the web app. See docs/engine.md.
"""

from ai_music.engine.service import (
    EngineInputError,
    EnginePool,
    EngineRequest,
    EngineResult,
    render,
)

__all__ = ["EngineInputError", "EnginePool", "EngineRequest", "EngineResult", "render"]
