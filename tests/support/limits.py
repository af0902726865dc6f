"""For the limits tests: the app sits behind a trusted proxy; a test names each client address."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx
from fastapi import FastAPI

PROXY = "127.0.0.1"

# The serve_app fixture (tests/limits/conftest.py): settings overrides -> running_app's (api, app).
ServeApp = Callable[..., AbstractAsyncContextManager[tuple[httpx.AsyncClient, FastAPI]]]


def from_address(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}
