from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from ai_music.core.db import Base, now_ms


class GenerationJob(Base):
    """One generation, from the request to the stored audio: the queue is these rows."""

    __tablename__ = "generation_jobs"
    __table_args__ = (
        Index("ix_generation_jobs_user_recent", "user_id", "created_at_ms", "id"),
        Index("ix_generation_jobs_status", "status"),
        UniqueConstraint("user_id", "idempotency_key", name="uq_generation_jobs_idempotency"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    prompt: Mapped[str] = mapped_column(Text, default="")
    mood: Mapped[str] = mapped_column(String(100), default="")
    instruments: Mapped[str] = mapped_column(String(500), default="")
    tempo: Mapped[int] = mapped_column(Integer)
    duration: Mapped[float] = mapped_column(Float)
    format: Mapped[str] = mapped_column(String(8), default="mp3")
    seed: Mapped[int | None] = mapped_column(default=None)
    colab_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    params_hash: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at_ms: Mapped[int] = mapped_column(default=now_ms)
    started_at_ms: Mapped[int | None] = mapped_column(default=None)
    finished_at_ms: Mapped[int | None] = mapped_column(default=None)
    deadline_ms: Mapped[int | None] = mapped_column(default=None)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    eta_seconds: Mapped[float | None] = mapped_column(Float, default=None)
    error: Mapped[str | None] = mapped_column(String(500), default=None)
    error_status: Mapped[int | None] = mapped_column(Integer, default=None)
    upstream: Mapped[str | None] = mapped_column(String(100), default=None)
    history_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("history_entries.id", ondelete="SET NULL"), default=None
    )
    # Whether the piece came with its score (MIDI on the history entry): the job's midi_url
    # is known without reading the entry.
    has_midi: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Why a cut-off run sent the job back to the queue (generation/claims.py); shown to users.
    requeued_reason: Mapped[str | None] = mapped_column(String(300), default=None)
    runner_id: Mapped[str | None] = mapped_column(String(32), default=None)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    webhook_url: Mapped[str | None] = mapped_column(String(2000), default=None)
    webhook_events: Mapped[str | None] = mapped_column(String(100), default=None)
    # The Procrastinate job moving this one (distributed mode, generation/queue.py).
    queue_job_id: Mapped[int | None] = mapped_column(BigInteger, default=None)


class JobRunnerRow(Base):
    """A server process working jobs. Its heartbeat says it is alive; the jobs it holds
    (``GenerationJob.runner_id``) are adopted by another runner once it goes quiet."""

    __tablename__ = "job_runners"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    started_at_ms: Mapped[int] = mapped_column(default=now_ms)
    heartbeat_ms: Mapped[int] = mapped_column(default=now_ms)
