from __future__ import annotations

import time

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from ai_music.accounts.models import User
from ai_music.context import AppContext
from tests.factories import signed_in_user, signup_body


async def test_signin_returns_the_original_body_plus_a_token(api: httpx.AsyncClient) -> None:
    body = signup_body(fullName="Ada Lovelace")
    await api.post("/signup", json=body)
    response = await api.post(
        "/signin", json={"username": body["username"], "password": body["password"]}
    )
    assert response.status_code == 200
    payload = response.json()
    assert payload["message"] == "Signin successful"
    assert payload["user"] == {
        "id": payload["user"]["id"],
        "fullName": "Ada Lovelace",
        "username": body["username"],
        "email": body["email"],
    }
    assert isinstance(payload["user"]["id"], int)
    me = await api.get("/me", headers={"Authorization": f"Bearer {payload['token']}"})
    assert me.json() == payload["user"]  # the id is the account's, as its own token sees it
    assert payload["token_type"] == "bearer"
    assert payload["expires_in"] == 24 * 3600
    assert payload["token"].count(".") == 2
    assert "password" not in response.text


async def test_wrong_password_and_unknown_user_get_the_same_401(api: httpx.AsyncClient) -> None:
    user = await signed_in_user(api)
    wrong = await api.post("/signin", json={"username": user.username, "password": "nope123"})
    unknown = await api.post("/signin", json={"username": "ghost", "password": "nope123"})
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.json() == {"error": "Invalid username or password"}


async def test_missing_credentials_are_a_400(api: httpx.AsyncClient) -> None:
    for body in ({}, {"username": "a"}, {"password": "b"}, {"username": " ", "password": "x"}):
        response = await api.post("/signin", json=body)
        assert response.status_code == 400
        assert response.json() == {"error": "Username and password are required"}


async def test_password_is_stored_as_an_argon2id_hash(api: httpx.AsyncClient, app: FastAPI) -> None:
    user = await signed_in_user(api)
    context: AppContext = app.state.context
    async with context.db.transaction() as session:
        stored = await session.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert user.password not in stored


async def test_unknown_user_costs_about_as_much_as_a_wrong_password(
    api: httpx.AsyncClient,
) -> None:
    user = await signed_in_user(api)

    async def median_seconds(username: str) -> float:
        timings = []
        for _ in range(7):
            started = time.perf_counter()
            await api.post("/signin", json={"username": username, "password": "wrong-pass"})
            timings.append(time.perf_counter() - started)
        return sorted(timings)[len(timings) // 2]

    known = await median_seconds(user.username)
    unknown = await median_seconds("nobody-by-this-name")
    # Both run one argon2 verification; without the decoy hash, unknown would be ~100× faster.
    assert unknown > known * 0.5
