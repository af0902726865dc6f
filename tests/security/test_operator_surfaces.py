"""Issue 12, item 10: /metrics needs a token by default, and the data dir is private."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import httpx

from tests.security.conftest import SERVE, sign_up_and_in
from tests.server_process import server


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def output_of(process: subprocess.Popen[bytes]) -> str:
    process.terminate()
    process.wait(timeout=30)
    return process.stdout.read().decode() if process.stdout else ""


def test_metrics_need_the_generated_token_and_the_data_dir_is_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with (
        server(SERVE, data_dir) as (process, base, _),
        httpx.Client(base_url=base, timeout=30) as http,
    ):
        refused = http.get("/metrics")
        token = (data_dir / "metrics_token").read_text().strip()
        allowed = http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        account = sign_up_and_in(http)
        generated = http.post(
            "/studio-generate", json={"prompt": "a", "duration": 5}, headers=account.headers
        )
        assert generated.status_code == 200
        # While it runs: the WAL file is removed at a clean shutdown.
        files = [path for path in data_dir.rglob("*") if path.is_file()]
        file_modes = {str(path.relative_to(data_dir)): oct(mode(path)) for path in files}
        first_output = output_of(process)

    assert refused.status_code == 401
    assert refused.json() == {"error": "Metrics token required"}
    assert allowed.status_code == 200 and "ai_music_http_requests_total" in allowed.text
    assert first_output.count(token) == 1  # printed once, when it was made

    assert mode(data_dir) == 0o700
    assert {"ai_music.db", "ai_music.db-wal", "secret_key", "metrics_token"} <= {
        path.name for path in files
    }
    assert any(path.suffix == ".mp3" for path in files)
    assert file_modes == {name: oct(0o600) for name in file_modes}
    folders = [path for path in data_dir.rglob("*") if path.is_dir()]
    assert all(mode(path) == 0o700 for path in folders), [(p, oct(mode(p))) for p in folders]

    with server(SERVE, data_dir) as (process, base, _):
        again = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {token}"})
        second_output = output_of(process)
    assert again.status_code == 200
    assert token not in second_output


def test_metrics_can_be_made_public_or_given_a_token(tmp_path: Path) -> None:
    public = {"AI_MUSIC_METRICS_PUBLIC": "true"}
    with server(SERVE, tmp_path / "a", public) as (_, base, _):
        assert httpx.get(f"{base}/metrics").status_code == 200
    chosen = {"AI_MUSIC_METRICS_TOKEN": "a-chosen-scrape-token"}
    with server(SERVE, tmp_path / "b", chosen) as (_, base, _):
        assert httpx.get(f"{base}/metrics").status_code == 401
        headers = {"Authorization": "Bearer a-chosen-scrape-token"}
        assert httpx.get(f"{base}/metrics", headers=headers).status_code == 200
    assert not (tmp_path / "b" / "metrics_token").exists()
