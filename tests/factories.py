"""Test-data factories that go through the public API, as a frontend would."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx

_counter = itertools.count(1)


@dataclass
class SignedInUser:
    id: int
    username: str
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def signup_body(**overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    body = {
        "fullName": f"Test User {n}",
        "username": f"user{n}",
        "email": f"user{n}@example.com",
        "password": "correct horse battery",
    }
    body.update(overrides)
    return body


def _user(body: dict[str, Any], signin: dict[str, Any]) -> SignedInUser:
    return SignedInUser(
        id=signin["user"]["id"],
        username=body["username"],
        email=body["email"],
        password=body["password"],
        token=signin["token"],
    )


async def signed_in_user(client: httpx.AsyncClient, **overrides: Any) -> SignedInUser:
    body = signup_body(**overrides)
    created = await client.post("/signup", json=body)
    assert created.status_code == 201, created.text
    signed_in = await client.post(
        "/signin", json={"username": body["username"], "password": body["password"]}
    )
    assert signed_in.status_code == 200, signed_in.text
    return _user(body, signed_in.json())


async def delete_account(client: httpx.AsyncClient, user: SignedInUser) -> httpx.Response:
    """``DELETE /me`` as the frontend sends it: the bearer token and the current password."""
    return await client.request(
        "DELETE", "/me", json={"password": user.password}, headers=user.headers
    )


def sign_up_and_in(http: httpx.Client, **overrides: Any) -> SignedInUser:
    """``signed_in_user`` for a blocking client of a real server process."""
    body = signup_body(**overrides)
    created = http.post("/signup", json=body)
    assert created.status_code == 201, created.text
    signed_in = http.post("/signin", json=body)
    assert signed_in.status_code == 200, signed_in.text
    return _user(body, signed_in.json())


def delete_account_sync(http: httpx.Client, user: SignedInUser) -> httpx.Response:
    """``delete_account`` for a blocking client of a real server process."""
    return http.request("DELETE", "/me", json={"password": user.password}, headers=user.headers)


def history_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "prompt": "Calm music",
        "mood": "Happy",
        "instruments": "piano",
        "tempo": 120,
        "duration": 20,
    }
    body.update(overrides)
    return body
