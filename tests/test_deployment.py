"""The deployment files name settings and commands that exist."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ai_music.core.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_render_blueprint_settings_are_valid(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blueprint = yaml.safe_load((ROOT / "render.yaml").read_text())
    [service] = blueprint["services"]
    assert service["healthCheckPath"] == "/ready"
    assert service["startCommand"] == (ROOT / "Procfile").read_text().split(":", 1)[1].strip()
    for variable in service["envVars"]:
        if "value" in variable:
            monkeypatch.setenv(variable["key"], str(variable["value"]))
    monkeypatch.setenv("AI_MUSIC_DATA_DIR", str(tmp_path))
    settings = Settings()
    assert settings.trusted_proxies
    assert [database["name"] for database in blueprint["databases"]] == [
        service_env["fromDatabase"]["name"]
        for service_env in service["envVars"]
        if "fromDatabase" in service_env
    ]


def test_the_free_render_blueprint_asks_for_a_bucket_and_declares_no_disk() -> None:
    """Render refuses a disk on a free service, and a free service's files go at each deploy."""
    blueprint = yaml.safe_load((ROOT / "render.yaml").read_text())
    [service] = blueprint["services"]
    assert service["plan"] == "free"
    assert "disk" not in service
    asked = {variable["key"] for variable in service["envVars"] if variable.get("sync") is False}
    assert {"AI_MUSIC_AUDIO_STORE", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID"} <= asked
    assert {"AWS_SECRET_ACCESS_KEY", "AWS_REGION"} <= asked


def test_gunicorn_accepts_the_production_config(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--check-config",
            "ai_music.main:app",
        ],
        cwd=ROOT,
        env={"AI_MUSIC_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
