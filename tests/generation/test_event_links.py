"""A job's signed events_url: a plain EventSource follows one job with no Authorization header."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ai_music.core.signed_urls import signer_for
from ai_music.generation.event_links import events_path
from tests.factories import signed_in_user
from tests.generation.api_support import running_app


@pytest.fixture
async def app_client(
    tmp_path: Path, database_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    async with running_app(tmp_path, database_url) as running:
        yield running


async def finished_job(client: httpx.AsyncClient) -> tuple[dict[str, object], dict[str, str]]:
    user = await signed_in_user(client)
    response = await client.post(
        "/generations",
        json={"prompt": "events", "duration": 5},
        headers={**user.headers, "Prefer": "wait=30"},
    )
    assert response.status_code == 201, response.text
    return response.json(), user.headers


async def test_the_events_url_streams_the_job_with_no_header(app_client: Any) -> None:
    client, _ = app_client
    job, _ = await finished_job(client)
    url = str(job["events_url"])
    assert url.startswith(f"/generations/{job['id']}/events?expires=")
    assert "token" not in url and "Bearer" not in url
    stream = await client.get(url)
    assert stream.status_code == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert '"status":"succeeded"' in stream.text
    assert "events_url" not in stream.text


async def test_the_events_url_is_refused_for_another_job_tampered_or_expired(
    app_client: Any,
) -> None:
    client, app = app_client
    job, headers = await finished_job(client)
    other, _ = await finished_job(client)
    query = parse_qs(urlsplit(str(job["events_url"])).query)
    expires, signature = query["expires"][0], query["signature"][0]
    secret = app.state.context.settings.token_secret()
    expired, _ = signer_for(secret, "events").sign(events_path(str(job["id"])), lifetime_s=-5)
    media_purpose, _ = signer_for(secret, "media").sign(events_path(str(job["id"])), lifetime_s=60)
    own, another = events_path(str(job["id"])), events_path(str(other["id"]))
    refused = {
        "another job": f"{another}?expires={expires}&signature={signature}",
        "tampered": f"{own}?expires={int(expires) + 1}&signature={signature}",
        "no signature": f"{own}?expires={expires}",
        "expired": expired,
        "signed for another purpose": media_purpose,
    }
    for case, url in refused.items():
        response = await client.get(url)
        assert response.status_code == 403, case
        assert set(response.json()) == {"error"}, case
    assert int(expires) <= time.time() + 900 + 1
    with_token = await client.get(f"/generations/{job['id']}/events", headers=headers)
    assert with_token.status_code == 200
    without_anything = await client.get(f"/generations/{job['id']}/events")
    assert without_anything.status_code == 401


async def test_every_job_answer_carries_a_fresh_events_url(app_client: Any) -> None:
    client, _ = app_client
    job, headers = await finished_job(client)
    listed = (await client.get("/generations", headers=headers)).json()["items"][0]
    fetched = (await client.get(f"/generations/{job['id']}", headers=headers)).json()
    for answer in (listed, fetched):
        assert str(answer["events_url"]).startswith(f"/generations/{job['id']}/events?")
