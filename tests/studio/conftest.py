"""The studio page in Debian's Chromium, driven by Playwright; real servers on loopback.

One browser for all the browser tests, which live in one module (starting Chromium is slow);
each test gets a fresh context (its own sessionStorage). The API runs as a real
``ai-music serve`` process, and the page either from it (same origin) or from a plain static
file server on another port.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ai_music.studio.routes import STATIC_DIR
from tests.server_process import REPO, free_port, server

SCREENSHOTS = Path(__file__).parent / "screenshots"
AXE_SCRIPT = REPO / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
DAILY_LIMIT = 2
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]
# Strong enough for any password policy: long, mixed, not a common password.
PASSWORD = "Tuneful-Otter-4827!"


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
    with server([sys.executable, "-m", "ai_music.cli", "serve"], data_dir, env) as (_, base, _):
        yield base


@pytest.fixture(scope="session")
def slow_api_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An API server whose one upstream takes 30 s a piece: a job to watch and to cancel."""
    from tests.generation.conftest import _serve_in_thread
    from tests.generation.support.fault_service import app as fault_service

    for upstream_base in _serve_in_thread(fault_service):
        upstream = {
            "name": "slow",
            "kind": "http",
            "url": f"{upstream_base}/slow?delay=30",
            "allow_private_network": True,
        }
        env = {"AI_MUSIC_UPSTREAMS": json.dumps([upstream])}
        data_dir = tmp_path_factory.mktemp("studio-slow-api")
        command = [sys.executable, "-m", "ai_music.cli", "serve"]
        with server(command, data_dir, env) as (_, base, _):
            yield base


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def static_site(tmp_path_factory: pytest.TempPathFactory, api_base: str) -> Iterator[str]:
    """The page's files as a static host would serve them, with config.json naming the API."""
    root = tmp_path_factory.mktemp("static-site")
    shutil.copytree(STATIC_DIR, root, dirs_exist_ok=True)
    (root / "studio" / "config.json").write_text(f'{{"apiUrl": "{api_base}"}}\n')
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def new_username() -> str:
    return f"u{uuid.uuid4().hex[:10]}"


def api_account(api_base: str) -> tuple[str, str]:
    """A signed-up account (username, token), made over HTTP."""
    username = new_username()
    body = {"fullName": "Ada Test", "username": username, "email": f"{username}@example.com"}
    signup = httpx.post(f"{api_base}/signup", json={**body, "password": PASSWORD})
    assert signup.status_code == 201, signup.text
    signin = httpx.post(f"{api_base}/signin", json={"username": username, "password": PASSWORD})
    return username, signin.json()["token"]


def api_piece(api_base: str, token: str, prompt: str = "A short calm piano piece") -> Any:
    """One finished piece, made over HTTP (Prefer: wait)."""
    response = httpx.post(
        f"{api_base}/generations",
        json={"prompt": prompt, "duration": 5, "mood": "Calm", "tempo": 90},
        headers={"Authorization": f"Bearer {token}", "Prefer": "wait=60"},
        timeout=90,
    )
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "succeeded", response.text
    return response.json()


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
