"""One structured line per request, and nothing secret in any log line."""

from __future__ import annotations

import json
import logging
import time

import httpx
import pytest

from ai_music.observability.logs import JsonFormatter, TextFormatter
from tests.factories import signed_in_user

SECRET_PASSWORD = "hunter2-very-secret"
NEW_PASSWORD = "correct-battery-staple-9"


async def test_each_request_logs_one_line_with_its_id_route_status_duration_and_user(
    api: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    user = await signed_in_user(api)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="ai_music"):
        started = time.perf_counter()
        response = await api.get("/history/5", headers=user.headers)
        elapsed_ms = (time.perf_counter() - started) * 1000
    lines = [r for r in caplog.records if r.name == "ai_music.access"]
    assert len(lines) == 1
    entry = json.loads(JsonFormatter().format(lines[0]))
    assert entry["request_id"] == response.headers["x-request-id"]
    assert entry["route"] == "/history/{entry_id}"
    assert entry["status"] == 404
    assert entry["user_id"] == user.id
    assert 0 < entry["duration_ms"] <= elapsed_ms
    assert entry["level"] == "INFO"
    text = TextFormatter().format(lines[0])
    assert "route=/history/{entry_id}" in text and "status=404" in text


async def test_passwords_and_tokens_never_reach_the_logs(
    api: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        user = await signed_in_user(api, password=SECRET_PASSWORD)
        await api.post("/signin", json={"username": user.username, "password": "wrong-guess-x"})
        await api.post(
            "/me/password",
            json={"current_password": SECRET_PASSWORD, "new_password": NEW_PASSWORD},
            headers=user.headers,
        )
        await api.get(f"/get-history/{user.username}?token={user.token}", headers=user.headers)
        await api.post("/signin", content=b'{"password": "' + SECRET_PASSWORD.encode())
    formatted = "\n".join(
        JsonFormatter().format(record) + TextFormatter().format(record) for record in caplog.records
    )
    assert "ai_music.access" in formatted
    for secret in (SECRET_PASSWORD, NEW_PASSWORD, "wrong-guess-x", user.token, user.token[-20:]):
        assert secret not in formatted
