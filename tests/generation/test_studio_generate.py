"""POST /studio-generate through the whole app: upstream → audio → storage → history."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.factories import delete_account, signed_in_user
from tests.generation.job_support import audio_files
from tests.generation.support import fault_service
from tests.support.app import loopback_upstream, running_app

ORIGINAL_BODY = {
    "prompt": "Calm ambient music",
    "duration": 10,
    "mood": "Happy",
    "tempo": 120,
    "instruments": "piano",
    "username": "ignored",
}


def spool_files(tmp_path: Path) -> list[Path]:
    spool = tmp_path / "data" / "spool"
    return sorted(spool.iterdir()) if spool.exists() else []


async def test_wav_from_upstream_becomes_stored_mp3_in_history(
    tmp_path: Path, database_url: str, fault_service_url: str
) -> None:
    upstreams = [loopback_upstream("ml", f"{fault_service_url}/ok")]
    async with running_app(tmp_path, database_url, upstreams) as (client, _):
        user = await signed_in_user(client)
        response = await client.post("/studio-generate", json=ORIGINAL_BODY, headers=user.headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "audio/mpeg"
        assert int(response.headers["content-length"]) == len(response.content)
        assert response.content[:3] == b"ID3" or response.content[0] == 0xFF
        assert 'filename="music-' in response.headers["content-disposition"]
        assert fault_service.last_bodies["ok"]["prompt"] == "Calm ambient music"

        [entry] = (await client.get("/history", headers=user.headers)).json()["items"]
        assert entry["source"] == "generated"
        assert entry["upstream"] == "ml"
        assert entry["audio"]["format"] == "mp3"
        assert entry["audio"]["size"] == len(response.content)
        stored = await client.get(entry["audio"]["url"], headers=user.headers)
        assert stored.content == response.content
        assert len(audio_files(tmp_path)) == 1
        assert spool_files(tmp_path) == []


async def test_wav_is_kept_when_wav_is_asked_for(
    tmp_path: Path, database_url: str, fault_service_url: str
) -> None:
    upstreams = [loopback_upstream("ml", f"{fault_service_url}/ok")]
    async with running_app(tmp_path, database_url, upstreams) as (client, _):
        user = await signed_in_user(client)
        body = {**ORIGINAL_BODY, "format": "wav"}
        response = await client.post("/studio-generate", json=body, headers=user.headers)
        assert response.status_code == 200
        assert response.headers["content-type"] == "audio/wav"
        assert response.content[:4] == b"RIFF"


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/html", 502, "not audio"),
        ("/status/500?x=1", 502, ""),
        ("/status/404", 502, ""),
        ("/truncated", 502, ""),
        ("/slow?delay=5", 504, ""),
        ("/big-declared", 502, ""),
    ],
)
async def test_upstream_faults_map_to_gateway_errors_and_leave_nothing_behind(
    tmp_path: Path,
    database_url: str,
    fault_service_url: str,
    path: str,
    status: int,
    words: str,
) -> None:
    upstream = loopback_upstream(
        "ml", f"{fault_service_url}{path}", timeout_s=1, retries=0, max_audio_bytes=1_000_000
    )
    async with running_app(tmp_path, database_url, [upstream]) as (client, _):
        user = await signed_in_user(client)
        response = await client.post("/studio-generate", json=ORIGINAL_BODY, headers=user.headers)
        assert response.status_code == status, response.text
        assert set(response.json()) == {"error"}
        assert words.lower() in response.json()["error"].lower()
        assert (await client.get("/history", headers=user.headers)).json()["items"] == []
        assert audio_files(tmp_path) == []
        assert spool_files(tmp_path) == []


async def test_connection_refused_is_a_502(tmp_path: Path, database_url: str) -> None:
    from tests.server_process import free_port

    upstream = loopback_upstream("ml", f"http://127.0.0.1:{free_port()}/x", retries=0)
    async with running_app(tmp_path, database_url, [upstream]) as (client, _):
        user = await signed_in_user(client)
        response = await client.post("/studio-generate", json=ORIGINAL_BODY, headers=user.headers)
        assert response.status_code == 502
        assert response.json()["error"]


async def test_falls_back_to_the_next_upstream(
    tmp_path: Path, database_url: str, fault_service_url: str
) -> None:
    upstreams = [
        loopback_upstream("broken", f"{fault_service_url}/status/500", retries=0),
        loopback_upstream("good", f"{fault_service_url}/ok"),
    ]
    async with running_app(tmp_path, database_url, upstreams) as (client, _):
        user = await signed_in_user(client)
        response = await client.post("/studio-generate", json=ORIGINAL_BODY, headers=user.headers)
        assert response.status_code == 200
        assert response.headers["x-upstream"] == "good"
        ready = (await client.get("/ready")).json()
        states = {state["name"]: state for state in ready["checks"]["upstreams"]}
        assert states["broken"]["consecutive_failures"] >= 1
        assert states["good"]["circuit"] == "closed"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("duration", 4),
        ("duration", 31),
        ("duration", "long"),
        ("tempo", 500),
        ("tempo", 221),
        ("tempo", 39),
        ("prompt", "x" * 1001),
    ],
)
async def test_out_of_bounds_parameters_are_400s(
    tmp_path: Path, database_url: str, fault_service_url: str, field: str, value: object
) -> None:
    upstreams = [loopback_upstream("ml", f"{fault_service_url}/ok")]
    async with running_app(tmp_path, database_url, upstreams) as (client, _):
        user = await signed_in_user(client)
        body = {**ORIGINAL_BODY, field: value}
        response = await client.post("/studio-generate", json=body, headers=user.headers)
        assert response.status_code == 400
        assert field in response.json()["error"]


async def test_authentication_is_required_unless_guests_are_allowed(
    tmp_path: Path, database_url: str, fault_service_url: str
) -> None:
    upstreams = [loopback_upstream("ml", f"{fault_service_url}/ok")]
    async with running_app(tmp_path, database_url, upstreams) as (client, _):
        response = await client.post("/studio-generate", json=ORIGINAL_BODY)
        assert response.status_code == 401
    async with running_app(
        tmp_path / "guest", database_url, upstreams, allow_guest_generation=True
    ) as (client, _):
        response = await client.post("/studio-generate", json=ORIGINAL_BODY)
        assert response.status_code == 200
        assert response.headers["content-type"] == "audio/mpeg"


async def test_concurrent_generations_all_succeed(
    tmp_path: Path, database_url: str, fault_service_url: str
) -> None:
    upstreams = [loopback_upstream("ml", f"{fault_service_url}/ok")]
    async with running_app(tmp_path, database_url, upstreams, max_active_jobs_per_user=100) as (
        client,
        _,
    ):
        users = [await signed_in_user(client) for _ in range(3)]
        responses = await asyncio.gather(
            *(
                client.post("/studio-generate", json=ORIGINAL_BODY, headers=users[n % 3].headers)
                for n in range(60)
            )
        )
        assert [r.status_code for r in responses] == [200] * 60
        counts = [
            len(
                (await client.get("/history", params={"limit": 100}, headers=u.headers)).json()[
                    "items"
                ]
            )
            for u in users
        ]
        assert counts == [20, 20, 20]


async def test_the_default_upstream_is_the_built_in_engine(
    tmp_path: Path, database_url: str
) -> None:
    async with running_app(tmp_path, database_url) as (client, _):
        user = await signed_in_user(client)
        body = {**ORIGINAL_BODY, "duration": 5, "seed": 7}
        response = await client.post("/studio-generate", json=body, headers=user.headers)
        assert response.status_code == 200, response.text
        assert response.headers["x-upstream"] == "engine"
        assert response.headers["content-type"] == "audio/mpeg"
        assert len(response.content) > 20_000
        assert response.headers["x-upstream-seed"] == "7"


async def test_audio_range_requests_and_deletion(
    tmp_path: Path, database_url: str, fault_service_url: str
) -> None:
    upstreams = [loopback_upstream("ml", f"{fault_service_url}/ok")]
    async with running_app(tmp_path, database_url, upstreams) as (client, _):
        user = await signed_in_user(client)
        other = await signed_in_user(client)
        full = await client.post("/studio-generate", json=ORIGINAL_BODY, headers=user.headers)
        entry_id = full.headers["x-history-id"]
        url = f"/history/{entry_id}/audio"

        part = await client.get(url, headers={**user.headers, "Range": "bytes=100-199"})
        assert part.status_code == 206
        assert part.content == full.content[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{len(full.content)}"
        tail = await client.get(url, headers={**user.headers, "Range": "bytes=-50"})
        assert tail.content == full.content[-50:]
        beyond = await client.get(url, headers={**user.headers, "Range": "bytes=999999999-"})
        assert beyond.status_code == 416
        # Not a valid range at all: ignored, the whole file (RFC 9110).
        for nonsense in ("bytes=abc-", "bytes=-", "bytes=1-x"):
            whole = await client.get(url, headers={**user.headers, "Range": nonsense})
            assert whole.status_code == 200, nonsense
            assert whole.content == full.content
        assert (await client.get(url, headers=other.headers)).status_code == 404

        assert len(audio_files(tmp_path)) == 1
        await client.delete(f"/history/{entry_id}", headers=user.headers)
        assert audio_files(tmp_path) == []
        assert (await client.get(url, headers=user.headers)).status_code == 404


async def test_deleting_the_account_deletes_its_audio(
    tmp_path: Path, database_url: str, fault_service_url: str
) -> None:
    upstreams = [loopback_upstream("ml", f"{fault_service_url}/ok")]
    async with running_app(tmp_path, database_url, upstreams) as (client, _):
        user = await signed_in_user(client)
        for _ in range(2):
            await client.post("/studio-generate", json=ORIGINAL_BODY, headers=user.headers)
        assert len(audio_files(tmp_path)) == 2
        assert (await delete_account(client, user)).status_code == 200
        assert audio_files(tmp_path) == []
