"""Real Gradio apps connected by URL alone (issue 19): each shape generates MP3 through
``/studio-generate`` and as a job, lands in history, and its function receives the values
our controls map onto by its parameters' names, types and bounds.

The apps run in one Gradio process (support/gradio_apps.py), each at its own path.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from ai_music.generation.upstreams.base import GenerationParams, merged_prompt
from tests.factories import SignedInUser, signed_in_user
from tests.generation.job_support import get_job, gradio_received, is_over, poll_job, unique
from tests.support.app import loopback_upstream, running_app

MOOD, TEMPO, INSTRUMENTS, DURATION = "calm", 96, "strings and piano", 20


def space(url: str, **options: Any) -> dict[str, Any]:
    """A Gradio upstream configured by its URL only (plus: it is on loopback)."""
    return loopback_upstream("space", url, kind="gradio", **{"retries": 0, **options})


def body(prompt: str, **extra: Any) -> dict[str, Any]:
    return {
        "prompt": prompt,
        "duration": DURATION,
        "mood": MOOD,
        "tempo": TEMPO,
        "instruments": INSTRUMENTS,
        "format": "mp3",
        **extra,
    }


def merged(prompt: str) -> str:
    params = GenerationParams(prompt, DURATION, MOOD, TEMPO, INSTRUMENTS)
    return merged_prompt(params)


def is_mp3(content: bytes) -> bool:
    return content[:3] == b"ID3" or (content[0] == 0xFF and content[1] & 0xE0 == 0xE0)


async def studio_and_job(
    client: httpx.AsyncClient, user: SignedInUser, request: dict[str, Any]
) -> tuple[httpx.Response, dict[str, Any]]:
    """One generation through /studio-generate and one as a job; both stored as MP3."""
    studio = await client.post("/studio-generate", json=request, headers=user.headers)
    assert studio.status_code == 200, studio.text
    assert studio.headers["content-type"] == "audio/mpeg" and is_mp3(studio.content)
    created = await client.post("/generations", json=request, headers=user.headers)
    assert created.status_code == 202, created.text
    job = await poll_job(client, user, created.json()["id"], timeout_s=60)
    assert job["status"] == "succeeded", job
    assert job["upstream"] == "space"
    audio = await client.get(job["audio_url"], headers=user.headers)
    assert audio.status_code == 200 and is_mp3(audio.content)
    history = (await client.get("/history", headers=user.headers)).json()["items"]
    assert len(history) == 2
    assert {entry["audio"]["format"] for entry in history} == {"mp3"}
    assert {entry["prompt"] for entry in history} == {request["prompt"]}
    return studio, job


async def test_readme_five_input_interface_named_generate(
    tmp_path: Path, database_url: str, gradio_apps_url: str
) -> None:
    prompt = unique("readme")
    async with running_app(tmp_path, database_url, [space(f"{gradio_apps_url}/readme")]) as (
        client,
        _,
    ):
        user = await signed_in_user(client)
        await studio_and_job(client, user, body(prompt))
        ready = (await client.get("/ready")).json()
    calls = gradio_received(gradio_apps_url, "readme", prompt)
    assert len(calls) == 2
    assert calls[0] == {
        "prompt": prompt,
        "duration": DURATION,
        "mood": MOOD,
        "tempo": TEMPO,
        "instruments": INSTRUMENTS,
    }
    [state] = ready["checks"]["upstreams"]
    assert state["api"]["discovered"] is True and state["api"]["endpoint"] == "/generate"


async def test_original_two_input_shape_gets_the_merged_prompt(
    tmp_path: Path, database_url: str, gradio_apps_url: str
) -> None:
    prompt = unique("original")
    async with running_app(tmp_path, database_url, [space(f"{gradio_apps_url}/original")]) as (
        client,
        _,
    ):
        user = await signed_in_user(client)
        await studio_and_job(client, user, body(prompt))
    calls = gradio_received(gradio_apps_url, "original", prompt)
    assert calls == [{"prompt": merged(prompt), "duration": DURATION}] * 2


async def test_blocks_app_with_several_endpoints_and_an_explicit_api_name(
    tmp_path: Path, database_url: str, gradio_apps_url: str
) -> None:
    prompt = unique("blocks")
    upstream = space(f"{gradio_apps_url}/blocks", api_name="/compose_song")
    async with running_app(tmp_path, database_url, [upstream]) as (client, _):
        user = await signed_in_user(client)
        await studio_and_job(client, user, body(prompt))
    calls = gradio_received(gradio_apps_url, "blocks", prompt)
    expected = {"endpoint": "compose_song", "description": merged(prompt), "length": DURATION}
    assert calls == [expected] * 2


async def test_blocks_app_without_api_name_is_a_clear_configuration_error(
    tmp_path: Path, database_url: str, gradio_apps_url: str
) -> None:
    async with running_app(tmp_path, database_url, [space(f"{gradio_apps_url}/blocks")]) as (
        client,
        _,
    ):
        user = await signed_in_user(client)
        answer = await client.post("/studio-generate", json=body("x"), headers=user.headers)
        assert answer.status_code == 502
        error = answer.json()["error"]
        for shown in ("/compose_song", "/generate_variation", "/describe", "api_name"):
            assert shown in error, error


async def test_sliders_are_clamped_and_the_mood_dropdown_gets_its_nearest_choice(
    tmp_path: Path, database_url: str, gradio_apps_url: str
) -> None:
    prompt = unique("sliders")
    async with running_app(tmp_path, database_url, [space(f"{gradio_apps_url}/sliders")]) as (
        client,
        _,
    ):
        user = await signed_in_user(client)
        await studio_and_job(client, user, body(prompt, seed=1234))
    calls = gradio_received(gradio_apps_url, "sliders", prompt)
    assert (
        calls
        == [
            {
                # The app has no instruments control: they are written into the text.
                "text": f"{prompt}. Instrument: {INSTRUMENTS}.",
                "length": 15,  # 20 s asked, the slider stops at 15
                "mood": "Calm",
                "bpm": TEMPO,
                "temperature": 0.7,  # not ours: the app's default
                "seed": 1234,
            }
        ]
        * 2
    )


@pytest.mark.parametrize("app", ["numpy", "two_outputs", "data_url"])
async def test_every_audio_output_shape(
    app: str, tmp_path: Path, database_url: str, gradio_apps_url: str
) -> None:
    prompt = unique(app)
    async with running_app(tmp_path, database_url, [space(f"{gradio_apps_url}/{app}")]) as (
        client,
        _,
    ):
        user = await signed_in_user(client)
        studio, _ = await studio_and_job(client, user, body(prompt))
    assert (
        gradio_received(gradio_apps_url, app, prompt)
        == [{"prompt": merged(prompt), "duration": DURATION}] * 2
    )
    if app == "two_outputs":
        assert studio.headers["x-upstream-output_0"] == f"made {DURATION} s of {merged(prompt)}"


async def test_gradio_progress_becomes_the_jobs_progress_and_eta(
    tmp_path: Path, database_url: str, gradio_apps_url: str
) -> None:
    prompt = unique("progress")
    async with running_app(tmp_path, database_url, [space(f"{gradio_apps_url}/progress")]) as (
        client,
        _,
    ):
        user = await signed_in_user(client)
        created = await client.post("/generations", json=body(prompt), headers=user.headers)
        job_id = created.json()["id"]
        seen = [await get_job(client, user, job_id)]
        while not is_over(seen[-1]):
            await asyncio.sleep(0.05)
            seen.append(await get_job(client, user, job_id))
        assert seen[-1]["status"] == "succeeded", seen[-1]
        studio = await client.post("/studio-generate", json=body(prompt), headers=user.headers)
        assert studio.status_code == 200 and is_mp3(studio.content)
        history = (await client.get("/history", headers=user.headers)).json()["items"]
        assert [entry["audio"]["format"] for entry in history] == ["mp3", "mp3"]
    running = [job for job in seen if job["status"] == "running"]
    steps = {job["progress"] for job in running if 0 < job["progress"] < 1}
    assert len(steps) >= 2, running
    # The app states no ETA of its own on a first run; ours comes from the pace of its steps.
    etas = [job["eta_seconds"] for job in running if 0 < job["progress"] < 1]
    assert any(eta is not None and 0 < eta < 5 for eta in etas), running
    assert seen[-1]["progress"] == 1
