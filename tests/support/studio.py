"""For the studio tests: accounts and pieces made over HTTP, screenshots, Chromium's flags."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.server_process import REPO

SCREENSHOTS = REPO / "tests" / "studio" / "screenshots"
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
