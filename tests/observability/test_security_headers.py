from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.factories import signed_in_user


def assert_hardened(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"


async def test_json_answers_get_a_csp_that_allows_nothing_and_are_not_stored(
    api: httpx.AsyncClient,
) -> None:
    user = await signed_in_user(api)
    for response in (
        await api.get("/health"),
        await api.get("/me", headers=user.headers),
        await api.get("/nope"),
        await api.post("/signin", json={"username": user.username, "password": user.password}),
    ):
        assert_hardened(response)
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        assert response.headers["cache-control"] == "no-store"


async def test_a_route_that_sets_its_own_caching_keeps_it(
    app: FastAPI, api: httpx.AsyncClient
) -> None:
    from starlette.responses import Response

    async def cached() -> Response:
        return Response(b"abc", media_type="audio/mpeg", headers={"Cache-Control": "max-age=60"})

    app.add_api_route("/cached-test", cached)
    response = await api.get("/cached-test")
    assert response.headers["cache-control"] == "max-age=60"
    assert_hardened(response)


async def test_the_docs_page_gets_a_csp_that_lets_the_apps_own_swagger_ui_load(
    api: httpx.AsyncClient,
) -> None:
    response = await api.get("/docs")
    assert response.status_code == 200
    assert_hardened(response)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self' 'unsafe-inline'" in csp and "https:" not in csp
    assert "/docs-assets/swagger-ui-bundle.js" in response.text
