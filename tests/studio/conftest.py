"""The studio page in Debian's Chromium, driven by Playwright; real servers on loopback.

One browser for all the browser tests, which live in one module (starting Chromium is slow);
each test gets a fresh context (its own sessionStorage). The API runs as a real
``ai-music serve`` process, and the page either from it (same origin) or from a plain static
file server on another port.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from ai_music.studio.routes import STATIC_DIR
from tests.server_process import SERVE, server
from tests.support.app import loopback_upstream
from tests.support.servers import serve_directory, serve_in_thread
from tests.support.studio import CHROMIUM_FLAGS, DAILY_LIMIT


# Module scope: Playwright's sync API keeps an event loop running in this thread while it is
# open, which the async tests after this module need to start their own.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("no chromium on PATH (Debian: apt-get install -y chromium; .ci/run does it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (it is in the [test] extra)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], "uncaught errors in the page"


@pytest.fixture(scope="session")
def api_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real API server that also serves the page; the engine upstream, a small daily limit."""
    data_dir = tmp_path_factory.mktemp("studio-api")
    env = {"AI_MUSIC_GENERATION_DAILY_LIMIT": f"{DAILY_LIMIT} per day"}
    with server(SERVE, data_dir, env) as (_, base, _):
        yield base


@pytest.fixture(scope="session")
def slow_api_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An API server whose one upstream takes 30 s a piece: a job to watch and to cancel."""
    from tests.generation.support.fault_service import app as fault_service

    with serve_in_thread(fault_service) as upstream_base:
        upstream = loopback_upstream("slow", f"{upstream_base}/slow?delay=30")
        env = {"AI_MUSIC_UPSTREAMS": json.dumps([upstream])}
        data_dir = tmp_path_factory.mktemp("studio-slow-api")
        with server(SERVE, data_dir, env) as (_, base, _):
            yield base


@pytest.fixture(scope="session")
def static_site(tmp_path_factory: pytest.TempPathFactory, api_base: str) -> Iterator[str]:
    """The page's files as a static host would serve them, with config.json naming the API."""
    root = tmp_path_factory.mktemp("static-site")
    shutil.copytree(STATIC_DIR, root, dirs_exist_ok=True)
    (root / "studio" / "config.json").write_text(f'{{"apiUrl": "{api_base}"}}\n')
    with serve_directory(root) as url:
        yield url
