"""CORS from a foreign origin: the API's own request headers allowed, its response headers
readable by a script, a refused preflight answered in JSON."""

from __future__ import annotations

import httpx
import pytest

from ai_music.web.cors import ALLOWED_REQUEST_HEADERS, EXPOSED_RESPONSE_HEADERS
from tests.factories import signed_in_user

FOREIGN = "https://example.vercel.app"
# Sent by the browser itself or safelisted by the CORS standard: never need exposing.
SAFELISTED_RESPONSE_HEADERS = {
    "cache-control",
    "content-language",
    "content-type",
    "expires",
    "last-modified",
    "pragma",
}
# Response headers that are for the browser, not for a script.
BROWSER_ONLY_HEADERS = {
    "access-control-allow-origin",
    "access-control-expose-headers",
    "content-security-policy",
    "cross-origin-opener-policy",
    "date",
    "referrer-policy",
    "server",
    "vary",
    "x-accel-buffering",
    "x-content-type-options",
    "x-frame-options",
}


async def preflight(
    client: httpx.AsyncClient, path: str, method: str, headers: str
) -> httpx.Response:
    return await client.options(
        path,
        headers={
            "Origin": FOREIGN,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )


@pytest.mark.parametrize(
    "header",
    ["Prefer", "Idempotency-Key", "Cancel-After", "Last-Event-ID", "X-Request-ID", "Range"],
)
async def test_a_preflight_for_each_documented_request_header_is_allowed(
    client: httpx.AsyncClient, header: str
) -> None:
    response = await preflight(
        client, "/generations", "POST", f"authorization, content-type, {header}"
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    allowed = {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
    }
    assert header.lower() in allowed
    assert "access-control-allow-credentials" not in response.headers


async def test_a_refused_preflight_answers_json(client: httpx.AsyncClient) -> None:
    response = await preflight(client, "/generations", "POST", "prefer, x-not-an-api-header")
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": "Cross-origin request refused: headers not allowed"}


async def test_a_preflight_from_an_origin_not_configured_is_refused_in_json(
    tmp_path: object, settings: object
) -> None:
    from ai_music.app import create_app

    restricted = settings.model_copy(update={"cors_origins": ["https://studio.example"]})  # type: ignore[attr-defined]
    app = create_app(restricted)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        refused = await preflight(http, "/signin", "POST", "content-type")
        allowed = await http.options(
            "/signin",
            headers={
                "Origin": "https://studio.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
    assert refused.status_code == 400 and "origin" in refused.json()["error"]
    assert allowed.status_code == 200


def unexposed(response: httpx.Response) -> set[str]:
    """The headers of a cross-origin answer that a script could not read."""
    exposed = {
        name.strip().lower()
        for name in response.headers.get("access-control-expose-headers", "").split(",")
    }
    return {
        name
        for name in response.headers
        if name not in exposed
        and name not in SAFELISTED_RESPONSE_HEADERS
        and name not in BROWSER_ONLY_HEADERS
    }


async def test_every_header_the_api_answers_with_is_readable_from_another_origin(
    client: httpx.AsyncClient,
) -> None:
    user = await signed_in_user(client)
    headers = {**user.headers, "Origin": FOREIGN}
    responses = [
        await client.post(
            "/generations",
            json={"prompt": "cors", "duration": 5},
            headers={**headers, "Prefer": "wait=30", "Idempotency-Key": "cors-1"},
        ),
        await client.post("/studio-generate", json={"duration": 5}, headers=headers),
        await client.get("/me/limits", headers=headers),
        await client.get("/history", headers=headers),
    ]
    entry_id = responses[0].json()["history_entry_id"]
    responses.append(
        await client.get(f"/history/{entry_id}/audio", headers={**headers, "Range": "bytes=0-99"})
    )
    for _ in range(20):
        responses.append(
            await client.post(
                "/signin", json={"username": "x", "password": "y"}, headers={"Origin": FOREIGN}
            )
        )
    statuses = {response.status_code for response in responses}
    assert {200, 201, 206, 429} <= statuses, statuses
    for response in responses:
        assert unexposed(response) == set(), (response.request.url, response.status_code)


def test_the_documented_response_headers_are_exposed() -> None:
    for header in (
        "Location",
        "Retry-After",
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
        "ETag",
        "X-History-Id",
        "X-Job-Id",
        "Content-Disposition",
        "Content-Range",
        "Accept-Ranges",
        "X-Request-ID",
    ):
        assert header in EXPOSED_RESPONSE_HEADERS
    assert "Last-Event-ID" in ALLOWED_REQUEST_HEADERS
