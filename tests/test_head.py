"""HEAD on every GET route, and /docs and /redoc with no CDN."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from starlette.routing import Mount

from tests.factories import signed_in_user

# The GET routes the OpenAPI document leaves out: the pages and the document itself.
UNDOCUMENTED_GETS = {"/", "/studio/config.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def get_paths(app: FastAPI) -> list[str]:
    documented = {path for path, item in app.openapi()["paths"].items() if "get" in item}
    return sorted(documented | UNDOCUMENTED_GETS | {"/openapi.json"})


async def test_head_answers_every_get_route_with_its_status_and_headers_and_no_body(
    app: FastAPI, api: httpx.AsyncClient
) -> None:
    user = await signed_in_user(api)
    job = await api.post(
        "/generations",
        json={"prompt": "head", "duration": 5},
        headers={**user.headers, "Prefer": "wait=30"},
    )
    assert job.status_code == 201, job.text
    values = {
        "job_id": job.json()["id"],
        "entry_id": str(job.json()["history_entry_id"]),
        "username": user.username,
    }
    paths = get_paths(app)
    assert {"/", "/health", "/docs", "/redoc", "/history/{entry_id}/audio"} <= set(paths)
    for template in paths:
        path = re.sub(r"\{(\w+)\}", lambda match: values[match.group(1)], template)
        got = await api.get(path, headers=user.headers)
        head = await api.head(path, headers=user.headers)
        assert head.status_code == got.status_code != 405, (path, head.status_code)
        assert head.content == b"", path
        assert head.headers.get("content-type") == got.headers.get("content-type"), path
        if "content-length" in got.headers:
            assert head.headers["content-length"] == got.headers["content-length"], path


async def test_head_on_a_live_event_stream_returns_at_once(api: httpx.AsyncClient) -> None:
    user = await signed_in_user(api)
    job = (await api.post("/generations", json={"duration": 30}, headers=user.headers)).json()
    head = await api.head(f"/generations/{job['id']}/events", headers=user.headers, timeout=5)
    assert head.status_code == 200
    assert head.headers["content-type"].startswith("text/event-stream")
    await api.post(f"/generations/{job['id']}/cancel", headers=user.headers)


async def test_the_api_docs_load_their_assets_from_the_app(
    app: FastAPI, api: httpx.AsyncClient
) -> None:
    for page in ("/docs", "/redoc"):
        html = (await api.get(page)).text
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert assets, page
        assert not [url for url in assets if "//" in url], (page, assets)
        for url in assets:
            asset = await api.get(url)
            assert asset.status_code == 200 and len(asset.content) > 1000, url
        policy = (await api.get(page)).headers["content-security-policy"]
        assert "https:" not in policy and "cdn" not in policy
    assert any(isinstance(route, Mount) and route.path == "/docs-assets" for route in app.routes)
