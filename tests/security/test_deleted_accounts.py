"""Issue 12, item 1: nothing of a deleted account reaches the next one (real server processes)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.factories import delete_account_sync, sign_up_and_in
from tests.generation.support.fault_service import app as fault_service
from tests.server_process import served, wait_until
from tests.support.app import loopback_upstream
from tests.support.servers import serve_in_thread


def audio_files(data_dir: Path) -> list[Path]:
    return [path for path in (data_dir / "audio").rglob("*") if path.is_file()]


def test_a_new_account_gets_a_new_id_and_none_of_the_deleted_accounts_history_or_quota(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    with served(tmp_path, database_env) as http:
        gone = sign_up_and_in(http)
        http.post("/save-history", json={"prompt": "private words"}, headers=gone.headers)
        # Pages rendered now sit in the page cache, keyed by user id and history version.
        assert http.get(f"/get-history/{gone.username}", headers=gone.headers).json()
        assert http.get("/history", headers=gone.headers).json()["items"]
        job = http.post(
            "/generations",
            json={"prompt": "a", "duration": 5},
            headers={**gone.headers, "Prefer": "wait=30"},
        )
        assert job.status_code == 201, job.text
        assert (
            http.get("/me/limits", headers=gone.headers).json()["generations_per_day"]["used"] == 1
        )
        assert delete_account_sync(http, gone).status_code == 200

        newcomer = sign_up_and_in(http)

        assert newcomer.id > gone.id
        assert http.get(f"/get-history/{newcomer.username}", headers=newcomer.headers).json() == []
        assert http.get("/history", headers=newcomer.headers).json()["items"] == []
        limits = http.get("/me/limits", headers=newcomer.headers).json()
        assert limits["generations_per_day"]["used"] == 0


@contextmanager
def slow_upstream_env(delay_s: float) -> Iterator[dict[str, str]]:
    with serve_in_thread(fault_service) as url:
        upstream = loopback_upstream("slow", f"{url}/slow?delay={delay_s}", retries=0)
        yield {"AI_MUSIC_UPSTREAMS": json.dumps([upstream])}


def test_a_job_running_when_its_owner_is_deleted_records_nothing_and_leaves_no_audio(
    tmp_path: Path, database_env: dict[str, str]
) -> None:
    with (
        slow_upstream_env(delay_s=2) as upstream_env,
        served(tmp_path, {**database_env, **upstream_env}) as http,
    ):
        gone = sign_up_and_in(http)
        job = http.post("/generations", json={"prompt": "a", "duration": 5}, headers=gone.headers)
        assert job.status_code == 202, job.text
        job_url = f"/generations/{job.json()['id']}"

        def running() -> bool:
            return http.get(job_url, headers=gone.headers).json()["status"] == "running"

        wait_until(running, 10, "the job to start")
        assert delete_account_sync(http, gone).status_code == 200
        newcomer = sign_up_and_in(http)

        time.sleep(3)  # past the upstream's answer: the job has ended one way or another
        assert http.get("/history", headers=newcomer.headers).json()["items"] == []
        assert http.get(f"/get-history/{newcomer.username}", headers=newcomer.headers).json() == []
        assert audio_files(tmp_path) == []


@pytest.mark.parametrize("body", [None, {}, {"password": "not the password"}])
def test_deleting_the_account_needs_the_current_password(
    tmp_path: Path, body: dict[str, str] | None
) -> None:
    with served(tmp_path) as http:
        account = sign_up_and_in(http)
        refused = http.request("DELETE", "/me", json=body, headers=account.headers)
        assert refused.status_code == 400
        assert set(refused.json()) == {"error"}
        assert http.get("/me", headers=account.headers).status_code == 200
        assert delete_account_sync(http, account).status_code == 200
        assert http.get("/me", headers=account.headers).status_code == 401


def test_the_audio_of_a_deleted_account_is_removed(tmp_path: Path) -> None:
    with served(tmp_path) as http:
        account = sign_up_and_in(http)
        generated = http.post(
            "/studio-generate", json={"prompt": "a", "duration": 5}, headers=account.headers
        )
        assert generated.status_code == 200
        assert audio_files(tmp_path)
        assert delete_account_sync(http, account).status_code == 200
        wait_until(lambda: not audio_files(tmp_path), 5, "the audio to be removed")
