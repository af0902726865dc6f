"""Accounts: sign up, sign in, sign out, change password, delete.

Services flush; the caller's transaction commits."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ai_music.accounts.models import AuthSession, User
from ai_music.accounts.schemas import SignupRequest
from ai_music.accounts.security import PasswordHashing, TokenCodec, new_session_id
from ai_music.db import FastReader, Query, now_ms
from ai_music.errors import BadRequest, Unauthorized

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 6


@dataclass(frozen=True)
class CurrentUser:
    id: int
    full_name: str
    username: str
    email: str
    session_id: str
    history_version: int = 0


@dataclass(frozen=True)
class SignedIn:
    user: User
    token: str
    expires_in: int


def validate_signup(data: SignupRequest) -> SignupRequest:
    fields = {
        "full_name": data.full_name.strip(),
        "username": data.username.strip(),
        "email": data.email.strip().lower(),
        "password": data.password,
    }
    if not all(value.strip() for value in fields.values()):
        raise BadRequest("All fields are mandatory")
    if not EMAIL_PATTERN.match(fields["email"]):
        raise BadRequest("Invalid email format")
    if len(fields["password"]) < MIN_PASSWORD_LENGTH:
        raise BadRequest("Password must be at least 6 characters")
    return SignupRequest.model_validate(fields)


async def _raise_if_taken(session: AsyncSession, username: str, email: str) -> None:
    if await session.scalar(select(User.id).where(User.username == username)) is not None:
        raise BadRequest("Username already exists")
    if await session.scalar(select(User.id).where(User.email == email)) is not None:
        raise BadRequest("Email already exists")


async def sign_up(*, session: AsyncSession, hashing: PasswordHashing, data: SignupRequest) -> User:
    clean = validate_signup(data)
    await _raise_if_taken(session, clean.username, clean.email)
    user = User(
        full_name=clean.full_name,
        username=clean.username,
        email=clean.email,
        password_hash=await hashing.hash(clean.password),
    )
    try:
        async with session.begin_nested():
            session.add(user)
    except IntegrityError:
        # A concurrent signup took the name between our check and our insert.
        await _raise_if_taken(session, clean.username, clean.email)
        raise
    return user


async def sign_in(
    *,
    session: AsyncSession,
    hashing: PasswordHashing,
    tokens: TokenCodec,
    username: str,
    password: str,
) -> SignedIn:
    if not username.strip() or not password:
        raise BadRequest("Username and password are required")
    user = await session.scalar(select(User).where(User.username == username.strip()))
    verified = await hashing.verify(user.password_hash if user else None, password)
    if user is None or not verified:
        raise Unauthorized("Invalid username or password")
    issued_at = int(time.time())
    auth_session = AuthSession(
        id=new_session_id(),
        user_id=user.id,
        expires_at_ms=(issued_at + tokens.ttl_seconds) * 1000,
    )
    session.add(auth_session)
    await session.flush()
    token = tokens.issue(user_id=user.id, session_id=auth_session.id, issued_at=issued_at)
    return SignedIn(user=user, token=token, expires_in=tokens.ttl_seconds)


_ACTIVE_SESSION_USER = Query(
    select(User.id, User.full_name, User.username, User.email, User.history_version)
    .join(AuthSession, AuthSession.user_id == User.id)
    .where(
        AuthSession.id == Query.param("session_id"),
        AuthSession.user_id == Query.param("user_id"),
        AuthSession.revoked_at_ms.is_(None),
        AuthSession.expires_at_ms > Query.param("now"),
    )
)


async def authenticate(*, reader: FastReader, tokens: TokenCodec, token: str) -> CurrentUser:
    claims = tokens.decode(token)
    if claims is None:
        raise Unauthorized("Invalid or expired token")
    row = await reader.fetch_one(
        _ACTIVE_SESSION_USER, session_id=claims.session_id, user_id=claims.user_id, now=now_ms()
    )
    if row is None:
        raise Unauthorized("Invalid or expired token")
    return CurrentUser(
        id=row[0],
        full_name=row[1],
        username=row[2],
        email=row[3],
        session_id=claims.session_id,
        history_version=row[4],
    )


async def sign_out(*, session: AsyncSession, current: CurrentUser) -> None:
    await session.execute(
        update(AuthSession)
        .where(AuthSession.id == current.session_id, AuthSession.revoked_at_ms.is_(None))
        .values(revoked_at_ms=now_ms())
    )


async def change_password(
    *,
    session: AsyncSession,
    hashing: PasswordHashing,
    current: CurrentUser,
    current_password: str,
    new_password: str,
) -> None:
    """Sets a new password and revokes every other session of the user (this one stays)."""
    if len(new_password) < MIN_PASSWORD_LENGTH:
        raise BadRequest("Password must be at least 6 characters")
    user = await session.get(User, current.id)
    if user is None or not await hashing.verify(user.password_hash, current_password):
        raise BadRequest("Current password is incorrect")
    user.password_hash = await hashing.hash(new_password)
    await session.execute(
        update(AuthSession)
        .where(
            AuthSession.user_id == current.id,
            AuthSession.id != current.session_id,
            AuthSession.revoked_at_ms.is_(None),
        )
        .values(revoked_at_ms=now_ms())
    )
    await session.flush()


async def delete_account(*, session: AsyncSession, current: CurrentUser) -> None:
    """Deletes the user; sessions and history go with it (ON DELETE CASCADE)."""
    await session.execute(delete(User).where(User.id == current.id))
