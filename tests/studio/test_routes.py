"""The studio page's files, its config file, and its content security policy."""

from __future__ import annotations

import json

import httpx
import pytest

from ai_music.app import create_app
from ai_music.core.config import Settings
from ai_music.studio.routes import STATIC_DIR


async def test_the_page_and_its_files_are_served_with_a_strict_policy(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe" not in policy
    assert "connect-src 'self';" in policy
    assets = ("app.js", "api.js", "messages.js", "waveform.js", "style.css", "icon.svg")
    for asset in (f"studio/{name}" for name in assets):
        response = await client.get(f"/{asset}")
        assert response.status_code == 200, asset
        assert "//cdn" not in response.text and "https://" not in response.text, asset
    assert (await client.get("/studio/config.json")).json() == {"apiUrl": ""}


async def test_the_page_can_name_another_api_origin(settings: Settings) -> None:
    api = "https://api.music.example"
    app = create_app(settings.model_copy(update={"studio_api_url": api}))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        config = (await http.get("/studio/config.json")).json()
        policy = (await http.get("/")).headers["content-security-policy"]
    assert config == {"apiUrl": api}
    assert f"connect-src 'self' {api};" in policy and f"media-src 'self' blob: {api};" in policy


async def test_media_may_load_from_the_bucket_that_signed_links_redirect_to(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = "http://127.0.0.1:9"
    for name, value in {
        "AWS_ENDPOINT_URL": bucket,
        "AWS_ALLOW_HTTP": "true",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "key",
        "AWS_SECRET_ACCESS_KEY": "secret",
    }.items():
        monkeypatch.setenv(name, value)
    app = create_app(settings.model_copy(update={"audio_store": "s3://audio/pieces"}))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        policy = (await http.get("/")).headers["content-security-policy"]
    assert f"media-src 'self' blob: {bucket};" in policy
    assert "connect-src 'self';" in policy


async def test_an_api_only_deployment_has_no_page(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"studio_enabled": False}))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        assert (await http.get("/")).status_code == 404
        assert (await http.get("/studio/app.js")).status_code == 404


def test_the_static_files_deploy_as_they_are() -> None:
    """No build step: a static host serves index.html and studio/, config.json says the API."""
    assert json.loads((STATIC_DIR / "studio" / "config.json").read_text()) == {"apiUrl": ""}
    html = (STATIC_DIR / "index.html").read_text()
    assert 'src="studio/app.js"' in html and 'href="studio/style.css"' in html
