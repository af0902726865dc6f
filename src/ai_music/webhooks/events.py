"""Which job events a webhook asked for, as a job row stores them (comma-separated names)."""

from __future__ import annotations

from collections.abc import Iterable


def stored_events(events: Iterable[str]) -> str:
    return ",".join(events)


def wanted_events(stored: str | None) -> frozenset[str]:
    return frozenset((stored or "").split(",")) - {""}
