from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Identity, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ai_music.core.db import Base, now_ms


class HistoryEntry(Base):
    """One piece a user made or saved: its parameters and, when generated here, its audio."""

    __tablename__ = "history_entries"
    # Ids reach URLs (/history/{id}/audio) and are never reused (migration 0005).
    __table_args__ = (
        Index("ix_history_user_recent", "user_id", "created_at_ms", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Identity(), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    prompt: Mapped[str] = mapped_column(Text, default="")
    mood: Mapped[str] = mapped_column(String(100), default="")
    instruments: Mapped[str] = mapped_column(String(500), default="")
    tempo: Mapped[int | None] = mapped_column(Integer, default=None)
    duration: Mapped[float | None] = mapped_column(Float, default=None)
    created_at_ms: Mapped[int] = mapped_column(default=now_ms)
    source: Mapped[str] = mapped_column(String(16), default="saved")
    audio_key: Mapped[str | None] = mapped_column(String(300), default=None)
    audio_format: Mapped[str | None] = mapped_column(String(8), default=None)
    audio_size: Mapped[int | None] = mapped_column(default=None)
    audio_duration_s: Mapped[float | None] = mapped_column(Float, default=None)
    midi_key: Mapped[str | None] = mapped_column(String(300), default=None)
    upstream: Mapped[str | None] = mapped_column(String(100), default=None)
    generation_ms: Mapped[int | None] = mapped_column(default=None)
    details: Mapped[str | None] = mapped_column(Text, default=None)
