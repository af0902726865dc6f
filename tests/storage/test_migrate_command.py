"""``ai-music storage migrate``: local audio copied into a bucket, again without copying twice,
and a server on the bucket with an empty data dir plays every piece."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.factories import signed_in_user
from tests.server_process import REPO, server
from tests.storage.conftest import Bucket
from tests.storage.test_audio_stores import SECRET, SERVE, audio_files, generate


def migrate(data_dir: Path, bucket: Bucket, *extra: str) -> str:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AI_MUSIC_", "AWS_"))},
        **bucket.env(),
        "AI_MUSIC_DATA_DIR": str(data_dir),
    }
    del env["AI_MUSIC_AUDIO_STORE"]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ai_music.cli",
            "storage",
            "migrate",
            "--to",
            f"s3://{bucket.name}/pieces",
            *extra,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_local_audio_moves_into_a_bucket_once_and_plays_from_there(
    tmp_path: Path, bucket: Bucket
) -> None:
    database = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'ai_music.db'}",
        "AI_MUSIC_SECRET_KEY": SECRET,
        "AI_MUSIC_MIN_DURATION_S": "1",
    }
    local_dir = tmp_path / "local"
    with server(SERVE, local_dir, database) as (_, base, _):
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            user = await signed_in_user(http)
            jobs = [await generate(http, user) for _ in range(3)]
            played = [
                (
                    await http.get(
                        f"/history/{job['history_entry_id']}/audio", headers=user.headers
                    )
                ).content
                for job in jobs
            ]
    files = audio_files(local_dir)
    # As if an earlier run was interrupted after its first piece.
    first = files[0]
    bucket.client().upload_file(
        str(first), bucket.name, f"pieces/{first.relative_to(local_dir / 'audio').as_posix()}"
    )

    # Three pieces: three audio files and their three scores.
    assert migrate(local_dir, bucket).startswith("5 copied, 1 already in the bucket, 0 removed")
    assert len(bucket.object_keys()) == 6
    assert migrate(local_dir, bucket, "--remove-local").startswith(
        "0 copied, 6 already in the bucket, 6 removed"
    )
    assert audio_files(local_dir) == []

    with server(SERVE, tmp_path / "new-disk", {**database, **bucket.env()}) as (_, base, _):
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            for job, content in zip(jobs, played, strict=True):
                again = await http.get(
                    f"/history/{job['history_entry_id']}/audio", headers=user.headers
                )
                assert again.content == content
                score = await http.get(str(job["midi_url"]), headers=user.headers)
                assert score.content[:4] == b"MThd"
