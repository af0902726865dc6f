from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ai_music.history.schemas import ScoreFields
from ai_music.storage.schemas import MediaLinkFields

WebhookEvent = Literal["start", "completed"]
JobStatus = Literal["queued", "running", "succeeded", "failed", "canceled", "aborted"]
TERMINAL_STATUSES = frozenset({"succeeded", "failed", "canceled", "aborted"})


class GenerateRequest(BaseModel):
    """The original ``/studio-generate`` body (same fields and defaults) plus ``format``/``seed``.

    Bounds that an operator may change (duration) are checked against the settings by the
    service; the rest are fixed here.
    """

    model_config = ConfigDict(extra="ignore")

    prompt: str = Field(default="Calm music", max_length=1000)
    duration: float = Field(default=12, description="Seconds; 5–30 unless configured otherwise")
    mood: str = Field(default="Happy", max_length=50)
    # The built-in engine's range (engine/plan.py clamps to it): a tempo it would not play is
    # refused rather than silently changed.
    tempo: int = Field(default=120, ge=40, le=220, description="Beats per minute, 40–220")
    instruments: str = Field(default="piano", max_length=200)
    username: str | None = Field(
        default=None, max_length=64, description="Ignored: the bearer token says who you are"
    )
    use_colab: bool = False
    colab_url: str | None = Field(
        default=None,
        max_length=2000,
        description="Used only with use_colab: true (ignored otherwise), and only when on the "
        "server's allow-list",
    )
    format: Literal["mp3", "wav"] = "mp3"
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)


class JobCreate(GenerateRequest):
    webhook: str | None = Field(default=None, max_length=2000)
    # Pydantic copies mutable defaults per instance.
    webhook_events_filter: list[WebhookEvent] = ["start", "completed"]


class JobInput(BaseModel):
    prompt: str
    duration: float
    mood: str
    tempo: int
    instruments: str
    format: str
    seed: int | None


class JobUrls(BaseModel):
    self: str
    cancel: str
    events: str
    audio: str | None


class _JobFields(BaseModel):
    id: str
    status: JobStatus
    input: JobInput
    progress: float = Field(ge=0, le=1)
    eta_seconds: float | None
    queue_position: int | None
    error: str | None
    upstream: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    queued_seconds: float | None
    run_seconds: float | None
    history_entry_id: int | None
    audio_url: str | None


class _JobRuns(BaseModel):
    attempts: int = Field(
        ge=0, description="Runs started: more than 1 when a run was cut off and the job re-run"
    )
    requeued: bool = Field(description="A run was cut off and the job went back to the queue")
    requeued_reason: str | None = Field(description="Why it went back (the latest time)")


class _JobLinks(BaseModel):
    urls: JobUrls


# Fields follow the bases from the last to the first: the order of the JSON clients know.
class JobPublic(_JobRuns, MediaLinkFields, _JobLinks, ScoreFields, _JobFields):
    events_url: str | None = Field(
        default=None,
        description="This job's event stream with a short-lived signature: for a plain "
        "EventSource, no Authorization header needed (absent in the stream's own events)",
    )


class JobPage(BaseModel):
    items: list[JobPublic]
    next_cursor: str | None
