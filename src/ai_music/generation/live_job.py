"""A job this process is running or holding in its queue: the state only the running process
knows (progress, ETA, the result), and the events its waiters watch."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ai_music.generation.service import JobSpec, StoredAudio
from ai_music.generation.upstreams.base import Progress

DEFAULT_EXPECTED_SECONDS = 30.0


@dataclass
class LiveJob:
    """A job this process owns, with what only the running process knows."""

    spec: JobSpec
    status: str = "queued"
    progress: float = 0.0
    eta_seconds: float | None = None
    reported_progress: bool = False
    shown_progress: float = 0.0
    started_at: float | None = None
    finishing: bool = False
    cancel_reason: str | None = None
    stored: StoredAudio | None = None
    history_entry_id: int | None = None
    error: str | None = None
    error_status: int | None = None
    task: asyncio.Task[None] | None = None
    on_settled: Callable[[], Awaitable[None]] | None = None  # e.g. frees the user's quota slot
    upstream: str | None = None
    enqueued_at: float = field(default_factory=time.monotonic)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def notify(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    def on_progress(self, report: Progress) -> None:
        if report.fraction is not None:
            self.reported_progress = True
            self.progress = max(self.progress, min(1.0, report.fraction))
        if report.eta_seconds is not None:
            self.eta_seconds = max(0.0, report.eta_seconds)
        self.notify()

    def estimate(self, expected_seconds: float) -> tuple[float, float | None]:
        """Progress and ETA: the upstream's own figures, else elapsed time over the usual time."""
        if self.status != "running" or self.started_at is None or self.reported_progress:
            progress, eta = self.progress, self.eta_seconds
        else:
            elapsed = time.monotonic() - self.started_at
            progress = min(0.95, elapsed / expected_seconds)
            eta = max(0.0, expected_seconds - elapsed)
        # An upstream that starts reporting after the estimate moved (Gradio's queue says 0
        # first) must not make the progress a client saw go backwards.
        self.shown_progress = max(self.shown_progress, progress)
        return self.shown_progress, eta
