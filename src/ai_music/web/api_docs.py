"""``/docs`` (Swagger UI) and ``/redoc`` with their scripts served by the app, not a CDN.

FastAPI's pages load Swagger UI and ReDoc from jsDelivr (and fonts from Google), so they were
blank offline or behind a strict network. The same pages here load the copies that the
``fastapi-offline`` package ships (swagger-ui-dist and redoc's standalone bundle).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
ASSETS_URL = "/docs-assets"
FAVICON_URL = f"{ASSETS_URL}/favicon.png"
DOCS_PATHS = (DOCS_URL, REDOC_URL, OAUTH2_REDIRECT_URL)


def _assets_dir() -> Path:
    return Path(str(resources.files("fastapi_offline") / "static"))


def install_offline_docs(app: FastAPI) -> None:
    """Add the pages; the app must be created with ``docs_url=None, redoc_url=None``."""
    title = f"{app.title} - API docs"
    openapi_url = app.openapi_url or "/openapi.json"
    app.mount(ASSETS_URL, StaticFiles(directory=_assets_dir()), name="docs-assets")

    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=FAVICON_URL,
            oauth2_redirect_url=OAUTH2_REDIRECT_URL,
        )

    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=title,
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=FAVICON_URL,
            with_google_fonts=False,
        )

    for path, page in (
        (DOCS_URL, swagger_ui),
        (OAUTH2_REDIRECT_URL, swagger_ui_redirect),
        (REDOC_URL, redoc),
    ):
        app.add_api_route(path, page, methods=["GET"], include_in_schema=False)
