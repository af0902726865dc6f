"""Gradio's queue messages as :class:`Progress` reports: queue rank and ETA while waiting,
then ``gr.Progress``/tqdm steps with an ETA extrapolated from the pace so far."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .base import Progress

__all__ = ["QueueProgress"]


class QueueProgress:
    """Turns one job's queue messages into progress reports (one instance per job)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._started: float | None = None
        self._app_eta: float | None = None

    def update(self, message: dict[str, Any]) -> Progress | None:
        kind = message.get("msg")
        if kind == "estimation":
            return Progress(
                fraction=0.0,
                eta_seconds=_number(message.get("rank_eta")),
                queue_position=_integer(message.get("rank")),
                message="queued",
            )
        if kind == "process_starts":
            self._started = self._clock()
            self._app_eta = _number(message.get("eta"))
            return Progress(
                fraction=0.0, eta_seconds=self._app_eta, queue_position=0, message="started"
            )
        if kind == "progress":
            return self._from_units(message.get("progress_data") or [])
        return None

    def _from_units(self, units: list[Any]) -> Progress | None:
        """The outermost ``gr.Progress``/tqdm level that states how far it is."""
        for unit in units:
            if not isinstance(unit, dict):
                continue
            fraction = _number(unit.get("progress"))
            index, length = _number(unit.get("index")), _number(unit.get("length"))
            if fraction is None and index is not None and length:
                fraction = index / length
            if fraction is not None:
                fraction = min(1.0, max(0.0, fraction))
                desc = unit.get("desc")
                return Progress(
                    fraction=fraction,
                    eta_seconds=self._eta(fraction),
                    queue_position=0,
                    message=desc if isinstance(desc, str) else None,
                )
        return None

    def _eta(self, fraction: float) -> float | None:
        """Time left at the pace so far; the app's own estimate before there is a pace."""
        if self._started is None or fraction <= 0.0:
            return self._app_eta
        elapsed = self._clock() - self._started
        return max(0.0, elapsed * (1.0 - fraction) / fraction)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _integer(value: Any) -> int | None:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else None
