"""Real server processes for the security tests, on SQLite and (when reachable) PostgreSQL."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import _truncate_all
from tests.factories import signup_body
from tests.server_process import server

SERVE = [sys.executable, "-m", "ai_music.cli", "serve"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_env(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The environment that points a server process at the database under test."""
    if request.param == "sqlite":
        yield {}
        return
    url: str = request.getfixturevalue("postgres_database")
    yield {"DATABASE_URL": url}
    asyncio.run(_truncate_all(url))


@dataclass
class Account:
    id: int
    username: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def sign_up_and_in(http: httpx.Client, **overrides: Any) -> Account:
    body = signup_body(**overrides)
    created = http.post("/signup", json=body)
    assert created.status_code == 201, created.text
    signed_in = http.post("/signin", json=body)
    assert signed_in.status_code == 200, signed_in.text
    payload = signed_in.json()
    return Account(payload["user"]["id"], body["username"], body["password"], payload["token"])


def delete_account(http: httpx.Client, account: Account) -> httpx.Response:
    return http.request(
        "DELETE", "/me", json={"password": account.password}, headers=account.headers
    )


@contextmanager
def served(data_dir: Path, env: dict[str, str] | None = None) -> Iterator[httpx.Client]:
    """``ai-music serve`` as a real process, and a client for it."""
    with (
        server(SERVE, data_dir, env) as (_, base, _),
        httpx.Client(base_url=base, timeout=30) as http,
    ):
        yield http
