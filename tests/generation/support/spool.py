"""What an upstream call leaves in its spool directory."""

from __future__ import annotations

from pathlib import Path


def leftovers(spool_dir: Path) -> list[Path]:
    """Files left in the spool directory (a failed or cancelled call must leave none)."""
    return sorted(spool_dir.iterdir())
