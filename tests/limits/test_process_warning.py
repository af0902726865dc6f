"""Several processes without Redis: start-up says each counts limits on its own."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from tests.server_process import server
from tests.support.limits import ServeApp

WARNING = "and no AI_MUSIC_REDIS_URL: each process counts limits on its own"
GUNICORN = [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py"]


@pytest.mark.parametrize(
    ("settings", "warned"),
    [
        ({"web_processes": 2}, True),
        ({"web_processes": 1}, False),
        ({"web_processes": 3, "redis_url": "redis://127.0.0.1:6379/7"}, False),
        ({"run_worker": False}, True),
        ({"run_worker": False, "redis_url": "redis://127.0.0.1:6379/7"}, False),
    ],
)
async def test_start_up_warns_only_for_several_processes_without_redis(
    serve_app: ServeApp,
    caplog: pytest.LogCaptureFixture,
    settings: dict[str, Any],
    warned: bool,
) -> None:
    async with serve_app(**settings):
        pass
    logged = [record.getMessage() for record in caplog.records if WARNING in record.getMessage()]
    assert bool(logged) == warned
    if warned:
        expected = "2 server processes" if settings.get("run_worker", True) else "Jobs run in"
        assert logged[0].startswith(expected) and "multiplied" in logged[0]


def test_gunicorn_tells_its_workers_how_many_they_are(tmp_path: Path) -> None:
    env = {"WEB_CONCURRENCY": "2", "AI_MUSIC_MIGRATE_ON_START": "true"}
    with server([*GUNICORN, "ai_music.main:app"], tmp_path, env, port_option=False) as started:
        process = started[0]
    assert process.stdout is not None
    output = process.stdout.read().decode()
    # The worker that answered said so (the other may still be starting when it is stopped).
    assert "2 server processes and no AI_MUSIC_REDIS_URL" in output, output[-3000:]
