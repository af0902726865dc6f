from __future__ import annotations

from sqlalchemy import ForeignKey, Identity, String, false
from sqlalchemy.orm import Mapped, mapped_column

from ai_music.core.db import Base, now_ms


class User(Base):
    __tablename__ = "users"
    # Ids are never reused (migration 0005): a new account must not inherit a deleted one's
    # id, and with it cached pages, quota counters or a job still finishing under that id.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Identity(), primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    # As the person typed it (NFKC-normalised); shown back to them.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    # What uniqueness and sign-in are decided on (accounts/usernames.py): "Admin" and "ADMIN"
    # are one name.
    username_key: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at_ms: Mapped[int] = mapped_column(default=now_ms)
    # Signs this user's job webhooks; made on first use (GET /me/webhook-secret).
    webhook_secret: Mapped[str | None] = mapped_column(String(100), default=None)
    # Bumped by every change to this user's history: cached history pages are current while
    # it stays the same, and the token check reads it in the same query (history/cache.py).
    history_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Made by the server itself (the guest account), never by a sign-up.
    is_system: Mapped[bool] = mapped_column(default=False, server_default=false())


class AuthSession(Base):
    """One signed-in device: a token names its session, and signing out revokes it."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at_ms: Mapped[int] = mapped_column(default=now_ms)
    expires_at_ms: Mapped[int]
    revoked_at_ms: Mapped[int | None] = mapped_column(default=None)
