from __future__ import annotations

import asyncio
import base64

import httpx
import pytest
from fastapi import FastAPI

from ai_music.core.config import Settings
from ai_music.egress import OutboundURLRefused
from ai_music.webhooks.sender import WebhookSender
from tests.factories import signed_in_user


async def _secret(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    response = await client.get("/me/webhook-secret", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    secret: str = response.json()["secret"]
    return secret


async def test_requires_a_token(api: httpx.AsyncClient) -> None:
    response = await api.get("/me/webhook-secret")
    assert response.status_code == 401
    assert "secret" not in response.text


async def test_the_secret_is_made_once_and_kept(api: httpx.AsyncClient) -> None:
    user = await signed_in_user(api)
    first = await _secret(api, user.headers)
    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32
    assert await _secret(api, user.headers) == first


async def test_concurrent_first_calls_agree(api: httpx.AsyncClient) -> None:
    user = await signed_in_user(api)
    secrets = await asyncio.gather(*(_secret(api, user.headers) for _ in range(4)))
    assert len(set(secrets)) == 1


async def test_each_user_has_their_own_secret(api: httpx.AsyncClient) -> None:
    alice, bob = await signed_in_user(api), await signed_in_user(api)
    assert await _secret(api, alice.headers) != await _secret(api, bob.headers)


async def test_documented_in_openapi(api: httpx.AsyncClient) -> None:
    schema = (await api.get("/openapi.json")).json()
    answers = schema["paths"]["/me/webhook-secret"]["get"]["responses"]
    assert answers["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/WebhookSecret"
    }
    assert "401" in answers


async def test_the_app_builds_one_sender(app: FastAPI) -> None:
    sender = app.state.context.webhooks
    assert isinstance(sender, WebhookSender)
    # Built from the settings, which keep webhooks off private networks by default.
    with pytest.raises(OutboundURLRefused):
        sender.validate_target("http://127.0.0.1:9/hook")
    assert sender.validate_target("https://hooks.example.com/a") == "https://hooks.example.com/a"


def test_private_targets_are_enabled_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().webhook_allow_private_network is False
    monkeypatch.setenv("AI_MUSIC_WEBHOOK_ALLOW_PRIVATE_NETWORK", "true")
    assert Settings().webhook_allow_private_network is True
