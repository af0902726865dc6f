"""The deployment files name settings and commands that exist."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ai_music.core.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict((name, command.strip()) for name, command in (line.split(":", 1) for line in lines))


def blueprint() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "render.yaml").read_text())
    return loaded


def free_blueprint() -> dict[str, Any]:
    """The free-plan single-service variant, as docs/deploy.md gives it."""
    text = (ROOT / "docs" / "deploy.md").read_text()
    [block] = re.findall(r"```yaml\n(# free plan.*?)```", text, re.DOTALL)
    loaded: dict[str, Any] = yaml.safe_load(block)
    return loaded


def services(plan: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [service for service in plan["services"] if service["type"] == kind]


def environment(plan: dict[str, Any], service: dict[str, Any]) -> list[dict[str, Any]]:
    """The service's variables, with those of the groups it takes."""
    groups = {group["name"]: group["envVars"] for group in plan.get("envVarGroups", [])}
    found: list[dict[str, Any]] = []
    for variable in service["envVars"]:
        found.extend(groups[variable["fromGroup"]] if "fromGroup" in variable else [variable])
    return found


def settings_of(
    plan: dict[str, Any], service: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp: Path
) -> Settings:
    for variable in environment(plan, service):
        if "value" in variable:
            monkeypatch.setenv(variable["key"], str(variable["value"]))
    monkeypatch.setenv("AI_MUSIC_DATA_DIR", str(tmp))
    return Settings()


def test_procfile_has_a_web_and_a_worker_process() -> None:
    assert procfile() == {
        "web": "gunicorn -c gunicorn.conf.py ai_music.main:app",
        "worker": "ai-music worker",
    }


def test_render_blueprint_runs_the_procfile_commands_against_shared_services(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    plan = blueprint()
    [web], [worker], [keyvalue] = (services(plan, kind) for kind in ("web", "worker", "keyvalue"))
    assert web["startCommand"] == procfile()["web"]
    assert worker["startCommand"] == procfile()["worker"]
    assert web["healthCheckPath"] == "/ready"
    databases = {database["name"] for database in plan["databases"]}
    for service in (web, worker):
        variables = environment(plan, service)
        keys = [variable["key"] for variable in variables]
        assert len(keys) == len(set(keys))
        wired = {v["key"]: v for v in variables if "fromDatabase" in v or "fromService" in v}
        assert wired["DATABASE_URL"]["fromDatabase"]["name"] in databases
        assert wired["AI_MUSIC_REDIS_URL"]["fromService"] == {
            "type": "keyvalue",
            "name": keyvalue["name"],
            "property": "connectionString",
        }
        # One generated secret, in the shared group, so both sign and check the same tokens.
        [secret] = [v for v in variables if v["key"] == "AI_MUSIC_SECRET_KEY"]
        assert secret.get("generateValue") is True
        asked = {v["key"] for v in variables if v.get("sync") is False}
        assert {"AI_MUSIC_AUDIO_STORE", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID"} <= asked
    assert keyvalue["maxmemoryPolicy"] == "noeviction" and keyvalue["ipAllowList"] == []
    settings = settings_of(plan, web, monkeypatch, tmp_path)
    assert settings.trusted_proxies and settings.web_processes == 1
    assert "AI_MUSIC_RUN_WORKER" in {v["key"] for v in environment(plan, web)}
    assert worker["maxShutdownDelaySeconds"] <= 300


def test_the_free_variant_is_one_service_that_asks_for_a_bucket_and_has_no_disk(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Render refuses a disk on a free service, and a free service's files go at each deploy."""
    plan = free_blueprint()
    [service] = plan["services"]
    assert service["type"] == "web" and service["plan"] == "free" and "disk" not in service
    assert service["startCommand"] == procfile()["web"]
    asked = {variable["key"] for variable in service["envVars"] if variable.get("sync") is False}
    assert {"AI_MUSIC_AUDIO_STORE", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID"} <= asked
    assert {"AWS_SECRET_ACCESS_KEY", "AWS_REGION"} <= asked
    assert [database["name"] for database in plan["databases"]] == [
        variable["fromDatabase"]["name"]
        for variable in service["envVars"]
        if "fromDatabase" in variable
    ]
    assert settings_of(plan, service, monkeypatch, tmp_path).trusted_proxies


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
