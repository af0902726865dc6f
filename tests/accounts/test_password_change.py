"""POST /me/password: a new password, and every other session signed out."""

from __future__ import annotations

import httpx

from tests.factories import signed_in_user


async def signin(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post("/signin", json={"username": username, "password": password})


async def test_changing_the_password_ends_every_other_session_and_keeps_this_one(
    api: httpx.AsyncClient,
) -> None:
    user = await signed_in_user(api)
    other_device = (await signin(api, user.username, user.password)).json()["token"]
    other_headers = {"Authorization": f"Bearer {other_device}"}
    someone_else = await signed_in_user(api)

    response = await api.post(
        "/me/password",
        json={"current_password": user.password, "new_password": "a brand new secret"},
        headers=user.headers,
    )
    assert response.status_code == 200
    assert response.json() == {"message": "Password changed"}

    assert (await api.get("/me", headers=user.headers)).status_code == 200
    assert (await api.get("/me", headers=other_headers)).status_code == 401
    assert (await api.get("/me", headers=someone_else.headers)).status_code == 200
    assert (await signin(api, user.username, user.password)).status_code == 401
    assert (await signin(api, user.username, "a brand new secret")).status_code == 200


async def test_a_wrong_current_password_or_a_short_new_one_changes_nothing(
    api: httpx.AsyncClient,
) -> None:
    user = await signed_in_user(api)
    other_device = (await signin(api, user.username, user.password)).json()["token"]
    for body, message in (
        ({"current_password": "not it", "new_password": "long enough"}, "incorrect"),
        ({"current_password": user.password, "new_password": "short"}, "at least 8"),
    ):
        response = await api.post("/me/password", json=body, headers=user.headers)
        assert response.status_code == 400
        assert message in response.json()["error"]
    assert (await api.get("/me", headers={"Authorization": f"Bearer {other_device}"})).is_success
    assert (await signin(api, user.username, user.password)).status_code == 200


async def test_changing_the_password_needs_a_token(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/me/password", json={"current_password": "x" * 8, "new_password": "y" * 8}
    )
    assert response.status_code == 401
