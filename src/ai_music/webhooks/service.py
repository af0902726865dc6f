"""Per-user webhook secrets: made once on first use, then read."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ai_music.accounts.models import User
from ai_music.core.errors import NotFound
from ai_music.webhooks.signing import new_secret


async def secret_for(session: AsyncSession, user_id: int) -> str | None:
    """The user's secret, or None if none was made yet (or the user does not exist)."""
    secret: str | None = await session.scalar(select(User.webhook_secret).where(User.id == user_id))
    return secret


async def get_or_create_secret(session: AsyncSession, user_id: int) -> str:
    """The user's secret, made now if it has none; concurrent callers all get the same one."""
    existing = await secret_for(session, user_id)
    if existing is not None:
        return existing
    # Conditional on NULL: of two racing requests, the second updates nothing and reads
    # back the first one's secret (its row lock waits for the first to commit).
    await session.execute(
        update(User)
        .where(User.id == user_id, User.webhook_secret.is_(None))
        .values(webhook_secret=new_secret())
        .execution_options(synchronize_session=False)
    )
    secret = await secret_for(session, user_id)
    if secret is None:
        raise NotFound("User not found")
    return secret
