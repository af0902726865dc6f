"""The reference music engine: parameters in, a composed, synthesized and mastered piece out.

CPU-only and self-contained: it imports nothing of the web app. See docs/engine.md.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ai_music.engine.service import (
        EngineInputError,
        EnginePool,
        EngineRequest,
        EngineResult,
        render,
    )

__all__ = ["EngineInputError", "EnginePool", "EngineRequest", "EngineResult", "render"]


def __getattr__(name: str) -> Any:
    # Loaded on first use, so that importing a submodule (the CLI, say) does not pull in
    # NumPy and the synthesizer.
    if name in __all__:
        from ai_music.engine import service

        return getattr(service, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
