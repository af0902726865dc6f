from __future__ import annotations

import asyncio
import time

import httpx
import jwt
from fastapi import FastAPI

from ai_music.context import AppContext
from tests.factories import delete_account, signed_in_user


async def test_me_needs_a_valid_token(api: httpx.AsyncClient) -> None:
    user = await signed_in_user(api)
    response = await api.get("/me", headers=user.headers)
    assert response.status_code == 200
    assert response.json()["username"] == user.username

    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer not.a.jwt"},
        {"Authorization": f"Bearer {user.token}x"},
    ):
        response = await api.get("/me", headers=headers)
        assert response.status_code == 401, headers
        assert set(response.json()) == {"error"}


async def test_a_token_signed_with_another_secret_is_refused(api: httpx.AsyncClient) -> None:
    user = await signed_in_user(api)
    claims = jwt.decode(user.token, options={"verify_signature": False})
    forged = jwt.encode(claims, "a" * 48, algorithm="HS256")
    response = await api.get("/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


async def test_an_expired_token_is_refused(api: httpx.AsyncClient, app: FastAPI) -> None:
    user = await signed_in_user(api)
    context: AppContext = app.state.context
    claims = jwt.decode(user.token, options={"verify_signature": False})
    past = int(time.time()) - context.tokens.ttl_seconds - 10
    expired = context.tokens.issue(user_id=claims["sub"], session_id=claims["sid"], issued_at=past)
    response = await api.get("/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401


async def test_a_token_in_use_is_refused_once_it_expires(
    api: httpx.AsyncClient, app: FastAPI
) -> None:
    # The codec remembers verified tokens; it must still stop at their exp.
    user = await signed_in_user(api)
    context: AppContext = app.state.context
    claims = jwt.decode(user.token, options={"verify_signature": False})
    expires_at = int(time.time()) + 2
    token = context.tokens.issue(
        user_id=claims["sub"],
        session_id=claims["sid"],
        issued_at=expires_at - context.tokens.ttl_seconds,
    )
    headers = {"Authorization": f"Bearer {token}"}
    assert (await api.get("/me", headers=headers)).status_code == 200
    await asyncio.sleep(max(0.0, expires_at - time.time()) + 0.05)
    assert (await api.get("/me", headers=headers)).status_code == 401


async def test_signout_ends_that_token_only(api: httpx.AsyncClient) -> None:
    user = await signed_in_user(api)
    second = await api.post("/signin", json={"username": user.username, "password": user.password})
    other_token = second.json()["token"]

    response = await api.post("/signout", headers=user.headers)
    assert response.status_code == 200
    assert (await api.get("/me", headers=user.headers)).status_code == 401
    assert (await api.post("/signout", headers=user.headers)).status_code == 401
    other = await api.get("/me", headers={"Authorization": f"Bearer {other_token}"})
    assert other.status_code == 200


async def test_delete_me_removes_the_account_and_its_history(api: httpx.AsyncClient) -> None:
    user = await signed_in_user(api)
    await api.post("/save-history", json={"prompt": "x"}, headers=user.headers)

    response = await delete_account(api, user)
    assert response.status_code == 200
    assert (await api.get("/me", headers=user.headers)).status_code == 401
    signin = await api.post("/signin", json={"username": user.username, "password": user.password})
    assert signin.status_code == 401
    # The username is free again, and the new account starts with an empty history.
    again = await signed_in_user(api, username=user.username, email=user.email)
    history = await api.get("/history", headers=again.headers)
    assert history.json()["items"] == []


async def test_secret_is_generated_once_and_kept_in_the_data_dir(app: FastAPI) -> None:
    context: AppContext = app.state.context
    secret_file = context.settings.data_dir / "secret_key"
    assert secret_file.exists()
    assert secret_file.stat().st_mode & 0o077 == 0
    assert context.settings.token_secret() == secret_file.read_text().strip()
    assert len(secret_file.read_text().strip()) >= 32
