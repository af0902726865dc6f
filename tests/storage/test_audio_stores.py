"""Audio through the HTTP API of real server processes, once with the local folder and once with
an S3-compatible bucket (moto on loopback): generation, replay, ranges, signed media links,
deletion, a redeploy onto an empty disk, and an upload that fails half-way.

One server per store serves the tests that need only one (each test has users of its own);
the redeploy and the failing upload start servers of their own over the same database."""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from ai_music.core.signed_urls import signer_for
from tests.factories import SignedInUser, delete_account, signed_in_user
from tests.server_process import server, wait_until
from tests.storage.conftest import Bucket, FailingEndpoint, new_bucket

SERVE = [sys.executable, "-m", "ai_music.cli", "serve"]
SECRET = "storage-tests-secret-key-0123456789abcdef"
# What a piece leaves in a store: its audio, and the score of an engine-made piece.
AUDIO_SUFFIXES = {".mp3", ".wav", ".mid"}
TERMINAL = {"succeeded", "failed", "canceled", "aborted"}


@dataclass
class Deployment:
    """A database (and bucket) that server processes share, each with the data dir it is
    given, as deploys on a host with no persistent disk would."""

    kind: str
    database: Path
    bucket: Bucket | None

    @contextmanager
    def start(self, data_dir: Path, **extra: str) -> Iterator[str]:
        env = {
            "DATABASE_URL": f"sqlite:///{self.database}",
            "AI_MUSIC_SECRET_KEY": SECRET,
            "AI_MUSIC_MIN_DURATION_S": "1",
            **(self.bucket.env() if self.bucket else {}),
            **extra,
        }
        with server(SERVE, data_dir, env) as (_, base, _):
            yield base

    def keys_of(self, user_id: int, data_dir: Path) -> list[str]:
        """The stored objects of one user."""
        prefix = f"u{user_id}/"
        if self.bucket is not None:
            return [key for key in self.bucket.object_keys() if key.startswith(f"pieces/{prefix}")]
        return [str(path) for path in audio_files(data_dir / "audio" / prefix)]

    def put_object(self, key: str, data_dir: Path) -> None:
        if self.bucket is not None:
            client = self.bucket.client()
            client.put_object(Bucket=self.bucket.name, Key=f"pieces/{key}", Body=b"partial")
        else:
            (data_dir / "audio" / key).write_bytes(b"partial")


@pytest.fixture(scope="module", params=["local", "bucket"])
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Deployment:
    bucket = (
        new_bucket(request.getfixturevalue("s3_endpoint")) if request.param == "bucket" else None
    )
    database = tmp_path_factory.mktemp("database") / "ai_music.db"
    return Deployment(str(request.param), database, bucket)


@pytest.fixture(scope="module")
def served(
    deployment: Deployment, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    data_dir = tmp_path_factory.mktemp("data")
    with deployment.start(data_dir) as base:
        yield base, data_dir


@pytest.fixture
async def http(served: tuple[str, Path]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=served[0], timeout=60) as client:
        yield client


async def generate(
    http: httpx.AsyncClient, user: SignedInUser, **body: object
) -> dict[str, object]:
    answer = await http.post(
        "/generations",
        json={"prompt": "storage test", "duration": 1, "format": "mp3", **body},
        headers={**user.headers, "Prefer": "wait=60"},
    )
    assert answer.status_code in (201, 202), answer.text
    job: dict[str, object] = answer.json()
    deadline = time.monotonic() + 120
    while job["status"] not in TERMINAL and time.monotonic() < deadline:
        job = (await http.get(f"/generations/{job['id']}", headers=user.headers)).json()
    return job


def audio_files(directory: Path) -> list[Path]:
    return [path for path in directory.rglob("*") if path.suffix in AUDIO_SUFFIXES]


async def test_a_piece_replays_whole_in_ranges_and_by_its_signed_link_with_no_header(
    http: httpx.AsyncClient, served: tuple[str, Path], deployment: Deployment
) -> None:
    data_dir = served[1]
    user = await signed_in_user(http)
    job = await generate(http, user)
    assert job["status"] == "succeeded", job
    entry_id = job["history_entry_id"]

    whole = await http.get(f"/history/{entry_id}/audio", headers=user.headers)
    assert whole.status_code == 200
    assert whole.content[:3] == b"ID3" or whole.content[:2] == b"\xff\xfb"
    part = await http.get(
        f"/history/{entry_id}/audio", headers={**user.headers, "Range": "bytes=100-1099"}
    )
    assert part.status_code == 206
    assert part.content == whole.content[100:1100]

    media_url = str(job["media_url"])
    assert job["media_url_expires_at"]
    page = (await http.get("/history", headers=user.headers)).json()
    assert page["items"][0]["media_url"] == media_url
    legacy = (await http.get(f"/get-history/{user.username}", headers=user.headers)).json()
    assert legacy[0]["audio_url"] == f"/history/{entry_id}/audio"
    assert legacy[0]["media_url"] == media_url

    played = await http.get(media_url, follow_redirects=True)
    assert played.status_code == 200, played.text
    assert played.content == whole.content
    ranged = await http.get(media_url, headers={"Range": "bytes=-500"}, follow_redirects=True)
    assert ranged.status_code == 206
    assert ranged.content == whole.content[-500:]
    head = await http.head(media_url, follow_redirects=True)
    assert head.status_code == 200
    assert int(head.headers["content-length"]) == len(whole.content)
    assert head.content == b""

    first_hop = await http.get(media_url)
    assert len(deployment.keys_of(user.id, data_dir)) == 2  # the audio and its score
    if deployment.kind == "bucket":
        assert first_hop.status_code == 307
        assert "X-Amz-Signature" in first_hop.headers["location"]
        assert audio_files(data_dir) == []
    else:
        assert first_hop.status_code == 200
    assert list((data_dir / "spool").iterdir()) == []


async def test_an_expired_or_altered_media_link_is_refused(http: httpx.AsyncClient) -> None:
    user = await signed_in_user(http)
    job = await generate(http, user)
    entry_id = job["history_entry_id"]
    path, _, query = str(job["media_url"]).partition("?")
    params = {name: values[0] for name, values in parse_qs(query).items()}
    expired, _ = signer_for(SECRET, "media").sign(path, lifetime_s=-5)
    later = str(int(params["expires"]) + 3600)

    for refused in (
        expired,
        f"{path}?expires={params['expires']}&signature={'0' * 64}",
        f"{path}?expires={later}&signature={params['signature']}",
        f"/media/{int(str(entry_id)) + 1}?{query}",
        path,
    ):
        answer = await http.get(refused)
        assert answer.status_code == 403, refused
        assert answer.json()["error"]
    assert "expired" in (await http.get(expired)).json()["error"]


async def test_deleting_an_entry_deletes_its_audio(
    http: httpx.AsyncClient, served: tuple[str, Path], deployment: Deployment
) -> None:
    data_dir = served[1]
    user = await signed_in_user(http)
    kept = await generate(http, user)
    gone = await generate(http, user)
    # Each engine piece is two objects: its audio and its score.
    keys = deployment.keys_of(user.id, data_dir)
    assert sorted(key.rpartition(".")[2] for key in keys) == ["mid", "mid", "mp3", "mp3"]
    score = await http.get(str(kept["midi_url"]), headers=user.headers)
    assert score.status_code == 200 and score.content[:4] == b"MThd"

    deleted = await http.delete(f"/history/{gone['history_entry_id']}", headers=user.headers)
    assert deleted.status_code == 200

    wait_until(lambda: len(deployment.keys_of(user.id, data_dir)) == 2, 10, "the delete")
    assert (await http.get(str(gone["media_url"]))).status_code == 404
    assert (await http.get(str(gone["midi_url"]), headers=user.headers)).status_code == 404
    assert (await http.get(str(kept["media_url"]), follow_redirects=True)).status_code == 200
    again = await http.get(str(kept["midi_url"]), headers=user.headers)
    assert again.content == score.content


async def test_deleting_an_account_deletes_every_object_of_the_user(
    http: httpx.AsyncClient, served: tuple[str, Path], deployment: Deployment
) -> None:
    data_dir = served[1]
    leaving = await signed_in_user(http)
    staying = await signed_in_user(http)
    for user in (leaving, staying, leaving):
        await generate(http, user)
    # An object no entry names yet: what a job still uploading at deletion leaves.
    deployment.put_object(f"u{leaving.id}/InFlightUploadOfARunningJob.mp3", data_dir)
    # Two pieces of audio and score each, and the in-flight object.
    assert len(deployment.keys_of(leaving.id, data_dir)) == 5

    deleted = await delete_account(http, leaving)
    assert deleted.status_code == 200

    wait_until(lambda: not deployment.keys_of(leaving.id, data_dir), 10, "the account's audio")
    assert len(deployment.keys_of(staying.id, data_dir)) == 2


async def test_a_redeploy_onto_an_empty_data_dir_still_plays_every_piece_from_a_bucket(
    deployment: Deployment, tmp_path: Path
) -> None:
    with deployment.start(tmp_path / "first") as base:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            user = await signed_in_user(http)
            jobs = [await generate(http, user), await generate(http, user)]
            before = [
                (await http.get(f"/history/{job['history_entry_id']}/audio", headers=user.headers))
                for job in jobs
            ]

    with deployment.start(tmp_path / "second") as base:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            for job, played in zip(jobs, before, strict=True):
                entry = job["history_entry_id"]
                again = await http.get(f"/history/{entry}/audio", headers=user.headers)
                by_link = await http.get(str(job["media_url"]), follow_redirects=True)
                if deployment.kind == "bucket":
                    assert again.content == played.content
                    assert by_link.content == played.content
                else:
                    # A folder does not outlive its disk: a clear 404, never a 500.
                    assert again.status_code == by_link.status_code == 404
                    assert "missing" in again.json()["error"]


async def _generate_through_a_refusing_bucket(
    deployment: Deployment,
    data_dir: Path,
    request: pytest.FixtureRequest,
    endpoint_fixture: str,
    **body: object,
) -> tuple[SignedInUser, dict[str, object], FailingEndpoint, dict[str, object]]:
    """One generation on a server whose bucket endpoint refuses some uploads: the user, the
    finished job, the endpoint (what it refused) and the user's history page."""
    if deployment.bucket is None:
        pytest.skip("the local store takes a piece with one rename; there is no upload")
    failing: FailingEndpoint = request.getfixturevalue(endpoint_fixture)
    with deployment.start(data_dir, AWS_ENDPOINT_URL=failing.url) as base:
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            user = await signed_in_user(http)
            job = await generate(http, user, **body)
            history = (await http.get("/history", headers=user.headers)).json()
    return user, job, failing, history


async def test_an_upload_failing_half_way_leaves_no_entry_and_no_object(
    deployment: Deployment, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    data_dir = tmp_path / "data"
    # 30 s of WAV is ~5.3 MB: more than one 5 MiB part, so part 2 is refused.
    user, job, failing, history = await _generate_through_a_refusing_bucket(
        deployment, data_dir, request, "failing_s3_endpoint", duration=30, format="wav"
    )
    assert deployment.bucket is not None
    assert job["status"] == "failed", job
    assert any(deployment.bucket.name in path for path in failing.refused_parts)
    assert job["media_url"] is None
    assert history["items"] == []
    assert deployment.keys_of(user.id, data_dir) == []
    assert deployment.bucket.unfinished_uploads() == []
    assert audio_files(data_dir) == []


async def test_a_score_the_bucket_refuses_takes_its_audio_with_it(
    deployment: Deployment, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    data_dir = tmp_path / "data"
    user, job, failing, history = await _generate_through_a_refusing_bucket(
        deployment, data_dir, request, "score_refusing_s3_endpoint"
    )
    assert job["status"] == "failed", job
    assert any(path.endswith(".mid") for path in failing.refused_parts)
    assert history["items"] == []
    # The audio was stored before the score was refused, and was deleted again.
    assert deployment.keys_of(user.id, data_dir) == []
    assert list((data_dir / "spool").iterdir()) == []
