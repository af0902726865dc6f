"""The score travels with the piece: MIDI stored beside the engine's audio, downloadable."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import mido

from tests.factories import SignedInUser, delete_account, signed_in_user
from tests.generation.job_support import audio_files, poll_job
from tests.support.app import loopback_upstream, running_app

BODY = {
    "prompt": "jazz trio in a smoky bar",
    "duration": 5,
    "mood": "Happy",
    "tempo": 132,
    "instruments": "piano, bass, drums",
    "seed": 11,
}


def midi_files(tmp_path: Path) -> list[Path]:
    return [path for path in audio_files(tmp_path) if path.suffix == ".mid"]


async def downloaded_score(
    client: httpx.AsyncClient, user: SignedInUser, url: str
) -> mido.MidiFile:
    response = await client.get(url, headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/midi"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.content[:4] == b"MThd"
    return mido.MidiFile(file=io.BytesIO(response.content))


def assert_is_the_piece(score: mido.MidiFile, tempo_bpm: int) -> None:
    messages = [message for track in score.tracks for message in track]
    notes = [m for m in messages if m.type == "note_on" and m.velocity > 0]
    assert len(notes) > 20
    [tempo] = [m.tempo for m in messages if m.type == "set_tempo"]
    assert round(mido.tempo2bpm(tempo)) == tempo_bpm
    assert 4 <= score.length <= 6  # seconds: the requested duration


async def test_studio_generate_stores_the_score_beside_the_audio(
    tmp_path: Path, database_url: str
) -> None:
    async with running_app(tmp_path, database_url) as (client, _):
        user = await signed_in_user(client)
        response = await client.post("/studio-generate", json=BODY, headers=user.headers)
        assert response.status_code == 200, response.text
        assert response.headers["x-upstream"] == "engine"
        entry_id = response.headers["x-history-id"]
        assert response.headers["x-midi-url"] == f"/history/{entry_id}/midi"

        [entry] = (await client.get("/history", headers=user.headers)).json()["items"]
        assert entry["midi_url"] == f"/history/{entry_id}/midi"
        single = (await client.get(f"/history/{entry_id}", headers=user.headers)).json()
        assert single["midi_url"] == entry["midi_url"]
        [legacy] = (await client.get(f"/get-history/{user.username}", headers=user.headers)).json()
        assert legacy["midi_url"] == entry["midi_url"]

        assert_is_the_piece(await downloaded_score(client, user, entry["midi_url"]), 132)
        head = await client.head(entry["midi_url"], headers=user.headers)
        assert head.status_code == 200
        assert head.headers["content-type"] == "audio/midi"
        assert head.content == b""
        assert len(midi_files(tmp_path)) == 1


async def test_a_finished_job_links_its_score(tmp_path: Path, database_url: str) -> None:
    async with running_app(tmp_path, database_url) as (client, _):
        user = await signed_in_user(client)
        created = await client.post("/generations", json=BODY, headers=user.headers)
        assert created.status_code == 202, created.text
        assert created.json()["midi_url"] is None  # not made yet

        job = await poll_job(client, user, created.json()["id"])
        assert job["status"] == "succeeded", job
        assert job["midi_url"] == f"/history/{job['history_entry_id']}/midi"
        assert_is_the_piece(await downloaded_score(client, user, job["midi_url"]), 132)
        listed = (await client.get("/generations", headers=user.headers)).json()["items"]
        assert listed[0]["midi_url"] == job["midi_url"]


async def test_same_seed_same_score(tmp_path: Path, database_url: str) -> None:
    async with running_app(tmp_path, database_url) as (client, _):
        user = await signed_in_user(client)
        scores = []
        for _ in range(2):
            response = await client.post("/studio-generate", json=BODY, headers=user.headers)
            assert response.status_code == 200, response.text
            midi = await client.get(response.headers["x-midi-url"], headers=user.headers)
            scores.append(midi.content)
        assert scores[0] == scores[1]


async def test_a_piece_from_an_http_upstream_has_no_score(
    tmp_path: Path, database_url: str, fault_service_url: str
) -> None:
    upstreams = [loopback_upstream("ml", f"{fault_service_url}/ok")]
    async with running_app(tmp_path, database_url, upstreams) as (client, _):
        user = await signed_in_user(client)
        response = await client.post("/studio-generate", json=BODY, headers=user.headers)
        assert response.status_code == 200, response.text
        assert "x-midi-url" not in response.headers
        entry_id = response.headers["x-history-id"]

        [entry] = (await client.get("/history", headers=user.headers)).json()["items"]
        assert entry["midi_url"] is None
        missing = await client.get(f"/history/{entry_id}/midi", headers=user.headers)
        assert missing.status_code == 404
        assert "score" in missing.json()["error"]

        created = await client.post("/generations", json=BODY, headers=user.headers)
        job = await poll_job(client, user, created.json()["id"])
        assert job["status"] == "succeeded", job
        assert job["midi_url"] is None
        assert midi_files(tmp_path) == []


async def test_the_score_is_private_and_goes_with_its_entry(
    tmp_path: Path, database_url: str
) -> None:
    async with running_app(tmp_path, database_url) as (client, _):
        owner = await signed_in_user(client)
        other = await signed_in_user(client)
        response = await client.post("/studio-generate", json=BODY, headers=owner.headers)
        assert response.status_code == 200, response.text
        entry_id = response.headers["x-history-id"]
        url = response.headers["x-midi-url"]

        assert (await client.get(url)).status_code == 401
        foreign = await client.get(url, headers=other.headers)
        assert foreign.status_code == 404
        assert "error" in foreign.json()
        assert len(midi_files(tmp_path)) == 1

        deleted = await client.delete(f"/history/{entry_id}", headers=owner.headers)
        assert deleted.status_code == 200
        assert audio_files(tmp_path) == []  # the audio and the score
        assert (await client.get(url, headers=owner.headers)).status_code == 404


async def test_deleting_the_account_deletes_its_scores(tmp_path: Path, database_url: str) -> None:
    async with running_app(tmp_path, database_url) as (client, _):
        user = await signed_in_user(client)
        response = await client.post("/studio-generate", json=BODY, headers=user.headers)
        assert response.status_code == 200, response.text
        assert len(midi_files(tmp_path)) == 1
        assert (await delete_account(client, user)).status_code == 200
        assert audio_files(tmp_path) == []
