from __future__ import annotations

import httpx
import pytest

from tests.factories import signup_body


async def test_signup_succeeds_with_the_original_body(api: httpx.AsyncClient) -> None:
    response = await api.post("/signup", json=signup_body())
    assert response.status_code == 201
    assert response.json() == {"message": "Signup successful"}


@pytest.mark.parametrize("field", ["fullName", "username", "email", "password"])
async def test_every_field_is_mandatory(api: httpx.AsyncClient, field: str) -> None:
    for empty in ("", "   ", None):
        response = await api.post("/signup", json=signup_body(**{field: empty}))
        assert response.status_code == 400
        assert response.json() == {"error": "All fields are mandatory"}
    body = signup_body()
    del body[field]
    response = await api.post("/signup", json=body)
    assert response.json() == {"error": "All fields are mandatory"}


async def test_invalid_email_is_refused(api: httpx.AsyncClient) -> None:
    response = await api.post("/signup", json=signup_body(email="not-an-email"))
    assert response.status_code == 400
    assert response.json() == {"error": "Invalid email format"}


async def test_short_password_is_refused(api: httpx.AsyncClient) -> None:
    response = await api.post("/signup", json=signup_body(password="12345"))
    assert response.status_code == 400
    assert response.json() == {"error": "Password must be at least 8 characters"}


async def test_duplicate_username_and_email_are_refused(api: httpx.AsyncClient) -> None:
    first = signup_body()
    assert (await api.post("/signup", json=first)).status_code == 201

    same_name = signup_body(username=first["username"])
    response = await api.post("/signup", json=same_name)
    assert response.status_code == 400
    assert response.json() == {"error": "Username already exists"}

    same_email = signup_body(email=first["email"].upper())
    response = await api.post("/signup", json=same_email)
    assert response.status_code == 400
    assert response.json() == {"error": "Email already exists"}


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[1, 2]",
        b'{"username": 5, "fullName": "a", "email": "a@b.co", "password": "x"}',
    ],
)
async def test_malformed_bodies_get_a_400_with_an_error(
    api: httpx.AsyncClient, payload: bytes
) -> None:
    response = await api.post(
        "/signup", content=payload, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert set(response.json()) == {"error"}
    assert response.json()["error"]


async def test_overlong_fields_are_refused(api: httpx.AsyncClient) -> None:
    response = await api.post("/signup", json=signup_body(username="u" * 65))
    assert response.status_code == 400
    assert "username" in response.json()["error"]
