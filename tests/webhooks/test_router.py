from __future__ import annotations

import asyncio
import base64

import httpx
import pytest
from fastapi import FastAPI

from ai_music.core.config import Settings
from ai_music.webhooks.components import webhooks_of
from ai_music.webhooks.sender import WebhookSender
from tests.factories import signed_in_user


async def _secret(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    response = await client.get("/me/webhook-secret", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    secret: str = response.json()["secret"]
    return secret


async def test_requires_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/me/webhook-secret")
    assert response.status_code == 401
    assert "secret" not in response.text


async def test_the_secret_is_made_once_and_kept(client: httpx.AsyncClient) -> None:
    user = await signed_in_user(client)
    first = await _secret(client, user.headers)
    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32
    assert await _secret(client, user.headers) == first


async def test_concurrent_first_calls_agree(client: httpx.AsyncClient) -> None:
    user = await signed_in_user(client)
    secrets = await asyncio.gather(*(_secret(client, user.headers) for _ in range(4)))
    assert len(set(secrets)) == 1


async def test_each_user_has_their_own_secret(client: httpx.AsyncClient) -> None:
    alice, bob = await signed_in_user(client), await signed_in_user(client)
    assert await _secret(client, alice.headers) != await _secret(client, bob.headers)


async def test_documented_in_openapi(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    answers = schema["paths"]["/me/webhook-secret"]["get"]["responses"]
    assert answers["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/WebhookSecret"
    }
    assert "401" in answers


async def test_the_app_builds_one_sender(app: FastAPI) -> None:
    assert isinstance(webhooks_of(app.state.context), WebhookSender)


def test_private_targets_are_enabled_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().webhook_allow_private_network is False
    monkeypatch.setenv("AI_MUSIC_WEBHOOK_ALLOW_PRIVATE_NETWORK", "true")
    assert Settings().webhook_allow_private_network is True
