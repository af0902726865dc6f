"""The studio page at ``/``: plain files (``static/``) plus the one file that names the API.

The page is a separate frontend that this app happens to serve: ``static/`` can be copied to any
static host as it is, with the API's address written into ``studio/config.json``. Served from
here, that file says ``AI_MUSIC_STUDIO_API_URL`` (empty: this same origin).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.responses import FileResponse, Response

from ai_music.core.config import Settings
from ai_music.core.responses import json_response
from ai_music.deps import ContextDep
from ai_music.storage.stores import media_origin

STATIC_DIR = Path(__file__).parent / "static"
PAGE_URL = "/"
ASSETS_URL = "/studio"
REVALIDATE = {"Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)


@router.get(PAGE_URL)
async def studio_page() -> Response:
    return FileResponse(STATIC_DIR / "index.html", headers=REVALIDATE)


@router.get(f"{ASSETS_URL}/config.json")
async def studio_config(context: ContextDep) -> Response:
    return json_response({"apiUrl": context.settings.studio_api_url or ""}, headers=REVALIDATE)


def page_csp(settings: Settings) -> bytes:
    """The page's policy: its own files only; the API's origin too when it is another one,
    and the bucket's for media when signed links redirect there."""
    api = ""
    if settings.studio_api_url:
        parts = urlsplit(settings.studio_api_url)
        api = f" {parts.scheme}://{parts.netloc}"
    bucket = media_origin(settings)
    media = f"{api} {bucket}" if bucket else api
    return (
        f"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'{api}; media-src 'self' blob:{media}; object-src 'none'; "
        f"base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ).encode()


def install_studio(app: FastAPI) -> None:
    app.include_router(router)
    app.mount(ASSETS_URL, StaticFiles(directory=STATIC_DIR / "studio"), name="studio")
