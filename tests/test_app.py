from __future__ import annotations

import gc
import logging

import httpx
import pytest
from fastapi import FastAPI

from ai_music.app import GC_YOUNG_THRESHOLD
from ai_music.context import AppContext
from ai_music.core.config import Settings
from tests.support.app import started_app


async def test_health_is_exactly_the_original(api: httpx.AsyncClient) -> None:
    response = await api.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "AI Music Backend"}


async def test_ready_reports_the_database(api: httpx.AsyncClient, app: FastAPI) -> None:
    response = await api.get("/ready")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"

    context: AppContext = app.state.context
    await context.db.engine.dispose()
    original_url = context.db.engine.url
    from sqlalchemy.ext.asyncio import create_async_engine

    context.db.engine = create_async_engine(
        "postgresql+asyncpg://nobody@127.0.0.1:1/none", connect_args={"timeout": 1}
    )
    try:
        response = await api.get("/ready")
        assert response.status_code == 503
        assert response.json()["checks"]["database"] == "unavailable"
    finally:
        await context.db.engine.dispose()
        context.db.engine = create_async_engine(original_url)


async def test_unknown_routes_are_404_with_the_original_message(api: httpx.AsyncClient) -> None:
    for path in ("/nope", "/users", "/api/v1/anything"):
        response = await api.get(path)
        assert response.status_code == 404
        assert response.json() == {"error": "Endpoint not found"}


async def test_wrong_method_is_a_json_405(api: httpx.AsyncClient) -> None:
    response = await api.get("/signup")
    assert response.status_code == 405
    assert response.json() == {"error": "Method not allowed"}


async def test_unhandled_errors_are_500_without_details_but_logged_with_the_request_id(
    app: FastAPI, api: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    async def explode() -> None:
        raise RuntimeError("secret internal detail")

    app.add_api_route("/explode", explode)
    with caplog.at_level(logging.ERROR, logger="ai_music.request"):
        response = await api.get("/explode")
    assert response.status_code == 500
    assert response.json() == {"error": "Internal server error"}
    assert "secret internal detail" not in response.text
    request_id = response.headers["x-request-id"]
    assert any(request_id in record.getMessage() for record in caplog.records)
    assert any("secret internal detail" in (record.exc_text or "") for record in caplog.records)


async def test_request_ids_are_returned_and_propagated(api: httpx.AsyncClient) -> None:
    generated = await api.get("/health")
    assert len(generated.headers["x-request-id"]) == 32
    given = await api.get("/health", headers={"X-Request-ID": "frontend-abc.123"})
    assert given.headers["x-request-id"] == "frontend-abc.123"
    hostile = await api.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})
    assert hostile.headers["x-request-id"] != "bad id\twith spaces"


async def test_cors_is_open_without_credentials_by_default(api: httpx.AsyncClient) -> None:
    response = await api.options(
        "/signin",
        headers={
            "Origin": "https://studio.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "authorization" in response.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in response.headers


async def test_openapi_documents_every_route_and_the_bearer_scheme(
    api: httpx.AsyncClient,
) -> None:
    spec = (await api.get("/openapi.json")).json()
    paths = spec["paths"]
    for path in (
        "/signup",
        "/signin",
        "/signout",
        "/me",
        "/save-history",
        "/get-history/{username}",
        "/history",
        "/history/{entry_id}",
        "/health",
        "/ready",
    ):
        assert path in paths, path
    schemes = spec["components"]["securitySchemes"]
    assert any(scheme.get("scheme", "").lower() == "bearer" for scheme in schemes.values())
    legacy = paths["/get-history/{username}"]["get"]["responses"]["200"]
    assert "schema" in legacy["content"]["application/json"]
    assert (await api.get("/docs")).status_code == 200


async def test_the_running_app_keeps_its_startup_objects_out_of_the_collector(
    settings: Settings,
) -> None:
    gc.unfreeze()
    thresholds = gc.get_threshold()
    async with started_app(settings):
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, *thresholds[1:])
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == thresholds
