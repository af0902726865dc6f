"""Accounts: sign up, sign in, sign out, change password, delete.

Services flush; the caller's transaction commits."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ai_music.accounts.models import AuthSession, User
from ai_music.accounts.passwords import check_new_password
from ai_music.accounts.schemas import SignupRequest
from ai_music.accounts.security import PasswordHashing, TokenCodec, new_session_id
from ai_music.accounts.usernames import checked_new_username, normalised, username_key
from ai_music.core.db import FastReader, Query, now_ms
from ai_music.core.errors import BadRequest, Unauthorized

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WRONG_CURRENT_PASSWORD = "Current password is incorrect"


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
    fields["username"] = checked_new_username(fields["username"])
    check_new_password(fields["password"], username=fields["username"], email=fields["email"])
    return SignupRequest.model_validate(fields)


async def _raise_if_taken(session: AsyncSession, username: str, email: str) -> None:
    taken = select(User.id).where(User.username_key == username_key(username))
    if await session.scalar(taken) is not None:
        raise BadRequest("Username already exists")
    if await session.scalar(select(User.id).where(User.email == email)) is not None:
        raise BadRequest("Email already exists")


async def sign_up(*, session: AsyncSession, hashing: PasswordHashing, data: SignupRequest) -> User:
    clean = validate_signup(data)
    # Hashed before the names are checked, so that "already exists" costs the same time as a
    # sign-up that succeeds: the answer's timing does not tell which names exist.
    password_hash = await hashing.hash(clean.password)
    await _raise_if_taken(session, clean.username, clean.email)
    user = User(
        full_name=clean.full_name,
        username=clean.username,
        username_key=username_key(clean.username),
        email=clean.email,
        password_hash=password_hash,
    )
    try:
        async with session.begin_nested():
            session.add(user)
    except IntegrityError:
        # A concurrent signup took the name between our check and our insert.
        await _raise_if_taken(session, clean.username, clean.email)
        raise
    return user


async def find_for_sign_in(session: AsyncSession, username: str) -> User | None:
    """The account with exactly this name, else the one whose case-folded name matches (an
    account whose name collided when keys were introduced signs in with its exact name)."""
    name = normalised(username)
    exact = User.username == name
    return await session.scalar(
        select(User)
        .where(or_(exact, User.username_key == username_key(name)), User.is_system.is_(False))
        .order_by(exact.desc())
        .limit(1)
    )


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
    user = await find_for_sign_in(session, username)
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
    check_new_password(new_password, username=current.username, email=current.email)
    user = await _with_verified_password(session, hashing, current, current_password)
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


async def delete_account(
    *, session: AsyncSession, hashing: PasswordHashing, current: CurrentUser, password: str
) -> None:
    """Deletes the user once the current password is confirmed (a stolen token alone cannot);
    sessions, history and jobs go with it (ON DELETE CASCADE)."""
    await _with_verified_password(session, hashing, current, password)
    await session.execute(delete(User).where(User.id == current.id))


async def _with_verified_password(
    session: AsyncSession, hashing: PasswordHashing, current: CurrentUser, password: str
) -> User:
    user = await session.get(User, current.id)
    if user is None or not await hashing.verify(user.password_hash, password):
        raise BadRequest(WRONG_CURRENT_PASSWORD)
    return user
