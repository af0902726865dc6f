"""Sign-in and sign-up throttling, through the HTTP API."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from ai_music.observability.metrics import REGISTRY
from tests.factories import signup_body
from tests.support.limits import ServeApp, from_address

ATTACKER = "203.0.113.66"
USER_HOME = "198.51.100.7"


def hasher_verifications() -> float:
    value = REGISTRY.get_sample_value(
        "ai_music_password_hash_operations_total", {"operation": "verify"}
    )
    return value or 0.0


async def create_account(client: httpx.AsyncClient, address: str = "192.0.2.1") -> dict[str, Any]:
    body = signup_body()
    created = await client.post("/signup", json=body, headers=from_address(address))
    assert created.status_code == 201, created.text
    return body


async def signin(
    client: httpx.AsyncClient, username: str, password: str, address: str
) -> httpx.Response:
    return await client.post(
        "/signin",
        json={"username": username, "password": password},
        headers=from_address(address),
    )


def assert_throttled(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert set(response.json()) == {"error"}
    assert 1 <= int(response.headers["retry-after"]) <= 2


async def test_guessing_one_account_is_stopped_before_the_hasher_but_its_owner_gets_in(
    serve_app: ServeApp, limits_backend: dict[str, Any]
) -> None:
    async with serve_app(signin_limit_per_ip_user="3 per 2 seconds", **limits_backend) as (
        client,
        _,
    ):
        account = await create_account(client)
        for _ in range(3):
            wrong = await signin(client, account["username"], "wrong password", ATTACKER)
            assert wrong.status_code == 401

        before = hasher_verifications()
        for _ in range(5):
            assert_throttled(await signin(client, account["username"], "wrong", ATTACKER))
        # Case and spaces do not buy more guesses.
        shouted = f" {account['username'].upper()} "
        assert_throttled(await signin(client, shouted, "wrong", ATTACKER))
        assert hasher_verifications() == before

        owner = await signin(client, account["username"], account["password"], USER_HOME)
        assert owner.status_code == 200


async def test_the_attempt_budget_comes_back_after_the_window(
    serve_app: ServeApp, limits_backend: dict[str, Any]
) -> None:
    async with serve_app(signin_limit_per_ip_user="2 per 1 second", **limits_backend) as (
        client,
        _,
    ):
        account = await create_account(client)
        for _ in range(2):
            await signin(client, account["username"], "wrong password", ATTACKER)
        assert_throttled(await signin(client, account["username"], account["password"], ATTACKER))
        await asyncio.sleep(1.1)
        again = await signin(client, account["username"], account["password"], ATTACKER)
        assert again.status_code == 200


async def test_spraying_many_accounts_from_one_address_is_limited_per_address(
    serve_app: ServeApp, limits_backend: dict[str, Any]
) -> None:
    async with serve_app(signin_limit_per_ip="4 per 2 seconds", **limits_backend) as (client, _):
        for n in range(4):
            response = await signin(client, f"victim{n}", "guess", ATTACKER)
            assert response.status_code == 401
        assert_throttled(await signin(client, "victim-next", "guess", ATTACKER))
        elsewhere = await signin(client, "victim-next", "guess", USER_HOME)
        assert elsewhere.status_code == 401


async def test_signups_are_limited_per_address(
    serve_app: ServeApp, limits_backend: dict[str, Any]
) -> None:
    async with serve_app(signup_limit_per_ip="2 per 2 seconds", **limits_backend) as (client, _):
        for _ in range(2):
            created = await client.post(
                "/signup", json=signup_body(), headers=from_address(ATTACKER)
            )
            assert created.status_code == 201
        refused = await client.post("/signup", json=signup_body(), headers=from_address(ATTACKER))
        assert_throttled(refused)
        other = await client.post("/signup", json=signup_body(), headers=from_address(USER_HOME))
        assert other.status_code == 201


async def test_without_a_trusted_proxy_the_forwarded_header_buys_nothing(
    serve_app: ServeApp,
) -> None:
    async with serve_app(signin_limit_per_ip="2 per 2 seconds", trusted_proxies=[]) as (client, _):
        for n in range(2):
            await signin(client, "someone", "guess", f"192.0.2.{n}")
        assert_throttled(await signin(client, "someone", "guess", "192.0.2.99"))
