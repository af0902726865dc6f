"""The upstream interface: what every generation backend adapter implements.

Contract for :meth:`Upstream.generate` (the way ``httpx.BaseTransport.handle_request`` is
the contract for transports):

* It sends one generation request for ``params`` to the backend and returns a
  :class:`ReceivedAudio` whose ``path`` is a complete file the adapter wrote inside the
  spool directory it was given. From then on the caller owns the file (moves or deletes it).
  An adapter that also has the piece's score (the built-in engine) writes it as a Standard
  MIDI File beside it, ``score_path``, owned by the caller the same way; others leave it None.
* The container is sniffed from the bytes, never taken from headers, and the size is
  capped while streaming; the answer is never held whole in memory.
* It raises only :class:`UpstreamError` subclasses (or ``asyncio.CancelledError``):

      UpstreamError                      base, an AppError: ``retryable``; ``status_code``
      ├── UpstreamConnectionError        could not connect / connection dropped (retryable, 502)
      ├── UpstreamTimeout                no answer in time (retryable, 504)
      ├── UpstreamHTTPError              an error status; retryable only for 429 and 5xx (502)
      ├── UpstreamBadAnswer              not audio, unparsable, truncated, too big (502)
      │   └── UpstreamRedirectRefused    a redirect to another host, not followed (502)
      ├── UpstreamConfigurationError     the service cannot be used as configured, e.g. no
      │                                  endpoint fits; the message says what to set (502)
      ├── ClientURLRefused               the client's colab_url led there (400; the service
      │                                  raises it, adapters do not)
      └── NoUpstreamAvailable            nothing configured, or every circuit is open (503)

* It is cancel-safe: when the awaiting task is cancelled it closes its HTTP stream, deletes
  the partial spool file and, where the upstream's protocol allows, tells the upstream to
  cancel; then it re-raises ``CancelledError``. No file is left behind on any failure.
* ``progress``, when given, is called with :class:`Progress` updates as the upstream reports
  them (queue position, ETA, fraction done). It must be cheap and must not raise.
* Adapters do not retry, time out or limit concurrency themselves: the router does that.
"""

from __future__ import annotations

import contextlib
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ai_music.core.errors import AppError

__all__ = [
    "DONE",
    "ClientURLRefused",
    "GenerationParams",
    "NoUpstreamAvailable",
    "Progress",
    "ProgressSink",
    "ReceivedAudio",
    "Upstream",
    "UpstreamBadAnswer",
    "UpstreamConfigurationError",
    "UpstreamConnectionError",
    "UpstreamError",
    "UpstreamHTTPError",
    "UpstreamRedirectRefused",
    "UpstreamTimeout",
    "merged_prompt",
    "spool_file",
]


@dataclass(frozen=True)
class GenerationParams:
    prompt: str
    duration: float
    mood: str
    tempo: int
    instruments: str
    seed: int | None = None

    @classmethod
    def of(cls, source: object) -> GenerationParams:
        """The parameters of ``source``, anything with attributes of these names (a job row)."""
        return cls(**{param.name: getattr(source, param.name) for param in fields(cls)})


def merged_prompt(
    params: GenerationParams, include: Collection[str] = ("mood", "tempo", "instruments")
) -> str:
    """The single text the original service sent to its Gradio upstream; with ``include``,
    only those of mood, tempo and instruments are written into it."""
    parts = {
        "mood": f"Mood: {params.mood}",
        "tempo": f"Tempo: {params.tempo} BPM",
        "instruments": f"Instrument: {params.instruments}",
    }
    added = [text for control, text in parts.items() if control in include]
    return ". ".join([params.prompt, *added]) + ("." if added else "")


@dataclass(frozen=True)
class Progress:
    """A progress report; any field is None when the upstream does not say."""

    fraction: float | None = None
    eta_seconds: float | None = None
    queue_position: int | None = None
    message: str | None = None


ProgressSink = Callable[[Progress], None]

# What an adapter reports once its audio is in the spool, whatever its service said before.
DONE = Progress(fraction=1.0, eta_seconds=0.0, queue_position=0, message="done")


@dataclass
class ReceivedAudio:
    path: Path
    container: str
    size: int
    details: dict[str, str] = field(default_factory=dict)
    score_path: Path | None = None


class Upstream(ABC):
    name: str
    kind: str

    @abstractmethod
    async def generate(
        self, params: GenerationParams, *, progress: ProgressSink | None = None
    ) -> ReceivedAudio:
        """Generate audio for ``params``; see the module docstring for the contract."""

    async def aclose(self) -> None:  # noqa: B027 - most adapters hold nothing of their own
        """Release what the adapter holds (not the shared HTTP client, which the app owns)."""

    def status(self) -> dict[str, Any] | None:
        """What the adapter has learnt about its service, for ``/ready`` (None: nothing)."""
        return None


class UpstreamError(AppError):
    """Base of every upstream failure: an AppError (core/errors.py), so its ``status_code`` is
    the answer's status wherever it ends up; ``message`` is meant for the end user."""

    retryable: bool = False
    status_code = 502

    def __init__(self, message: str, *, upstream: str | None = None) -> None:
        super().__init__(message)
        self.upstream = upstream


class UpstreamConnectionError(UpstreamError):
    retryable = True


class UpstreamTimeout(UpstreamError):
    retryable = True
    status_code = 504


class UpstreamHTTPError(UpstreamError):
    def __init__(
        self,
        message: str,
        *,
        http_status: int,
        retry_after: float | None = None,
        upstream: str | None = None,
    ) -> None:
        super().__init__(message, upstream=upstream)
        self.http_status = http_status
        self.retry_after = retry_after
        self.retryable = http_status == 429 or http_status >= 500


class UpstreamBadAnswer(UpstreamError):
    pass


class UpstreamRedirectRefused(UpstreamBadAnswer):
    """The service redirected to another host, which this server does not follow."""

    def __init__(self, message: str, *, target_host: str, upstream: str | None = None) -> None:
        super().__init__(message, upstream=upstream)
        self.target_host = target_host


class UpstreamConfigurationError(UpstreamError):
    """The service answers, but not in a way this configuration can use (not retried)."""


class ClientURLRefused(UpstreamError):
    """A client-named URL (``colab_url``) led somewhere this server does not go."""

    status_code = 400


class NoUpstreamAvailable(UpstreamError):
    status_code = 503


_SPOOL_DIRS_MADE: set[Path] = set()


@contextlib.contextmanager
def spool_file(spool_dir: Path, suffix: str = ".part") -> Iterator[Path]:
    """A fresh path in ``spool_dir`` that is deleted unless the block completes normally.

    Also deleted on ``CancelledError`` (a BaseException), which is why this is not a
    plain ``try/except Exception``.
    """
    if spool_dir not in _SPOOL_DIRS_MADE:  # a mkdir system call per answer, otherwise
        spool_dir.mkdir(parents=True, exist_ok=True)
        _SPOOL_DIRS_MADE.add(spool_dir)
    path = spool_dir / f"{uuid.uuid4().hex}{suffix}"
    try:
        yield path
    except BaseException:
        path.unlink(missing_ok=True)
        raise
