"""The Gradio adapter: answer shapes against handler-described apps on loopback (loopback.py);
protocols against real Gradio apps on loopback."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import httpx
import pytest

from ai_music.egress import OutboundClient
from ai_music.generation.upstreams.base import (
    GenerationParams,
    Progress,
    UpstreamBadAnswer,
    UpstreamHTTPError,
)
from ai_music.generation.upstreams.download import DEFAULT_MAX_AUDIO_BYTES, RemoteEndpoint
from ai_music.generation.upstreams.gradio import GradioUpstream

from ..support import legacy_gradio
from ..support.sounds import wav_bytes
from ..support.spool import leftovers
from .loopback import loopback_client

PARAMS = GenerationParams(prompt="waves", duration=6.0, mood="calm", tempo=80, instruments="piano")
MERGED = "waves. Mood: calm. Tempo: 80 BPM. Instrument: piano."
WAV = wav_bytes(0.1)
DATA_URL = "data:audio/wav;base64," + base64.b64encode(WAV).decode()


def mock_gradio(
    handler,
    spool_dir: Path,
    url: str = "http://space.test",
    max_audio_bytes: int = DEFAULT_MAX_AUDIO_BYTES,
    **kwargs,
) -> GradioUpstream:  # type: ignore[no-untyped-def]
    client = loopback_client(handler)
    endpoint = RemoteEndpoint("space", url, client, spool_dir, max_audio_bytes=max_audio_bytes)
    return GradioUpstream(endpoint, **kwargs)


def legacy_answer(*items: object):  # type: ignore[no-untyped-def]
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/gradio_api/api/predict":
            return httpx.Response(200, json={"data": list(items)})
        if request.url.path.startswith("/gradio_api/file="):
            return httpx.Response(200, content=WAV)
        return httpx.Response(404)

    return handler


@pytest.mark.parametrize(
    "items",
    [
        ["text first", DATA_URL],
        ["text", base64.b64encode(WAV).decode()],
        [1.5, {"name": "audio.wav", "data": DATA_URL, "is_file": False}],
        [
            "ok",
            {"path": "/tmp/gradio/x/audio.wav", "url": None, "meta": {"_type": "gradio.FileData"}},
        ],
        [{"__type__": "update", "value": DATA_URL}],
        [{"path": "audio.wav", "url": DATA_URL, "meta": {"_type": "gradio.FileData"}}],
    ],
)
async def test_every_audio_shape(items: list[object], spool_dir: Path) -> None:
    upstream = mock_gradio(legacy_answer(*items), spool_dir, protocol="legacy")
    audio = await upstream.generate(PARAMS)
    assert audio.container == "wav" and audio.path.read_bytes() == WAV


async def test_text_outputs_become_details(spool_dir: Path) -> None:
    upstream = mock_gradio(legacy_answer("seed 42", 7, DATA_URL), spool_dir, protocol="legacy")
    audio = await upstream.generate(PARAMS)
    assert audio.details == {"output_0": "seed 42", "output_1": "7"}


async def test_answer_without_audio_is_bad(spool_dir: Path) -> None:
    upstream = mock_gradio(legacy_answer("just text", 3), spool_dir, protocol="legacy")
    with pytest.raises(UpstreamBadAnswer, match="without any audio"):
        await upstream.generate(PARAMS)
    assert leftovers(spool_dir) == []


async def test_file_on_another_host_is_fetched_from_the_configured_origin(spool_dir: Path) -> None:
    fetched: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        fetched.append(str(request.url))
        if request.url.host != "space.test":
            pytest.fail("contacted a host named by the answer")
        if request.url.path == "/gradio_api/api/predict":
            ref = {
                "path": "/tmp/gradio/h/a.wav",
                "url": "http://169.254.169.254/gradio_api/file=/tmp/gradio/h/a.wav",
            }
            return httpx.Response(200, json={"data": ["ok", ref]})
        return httpx.Response(200, content=WAV)

    await mock_gradio(handler, spool_dir, protocol="legacy").generate(PARAMS)
    assert fetched[-1] == "http://space.test/gradio_api/file=/tmp/gradio/h/a.wav"


async def test_file_download_is_capped(spool_dir: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/gradio_api/api/predict":
            return httpx.Response(200, json={"data": [{"path": "/tmp/big.wav", "url": None}]})
        return httpx.Response(200, content=WAV + b"\0" * 5000)

    upstream = mock_gradio(handler, spool_dir, protocol="legacy", max_audio_bytes=2048)
    with pytest.raises(UpstreamBadAnswer, match="limit"):
        await upstream.generate(PARAMS)
    assert leftovers(spool_dir) == []


async def test_inputs_mapping_token_and_fn_index(spool_dir: Path) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return legacy_answer(DATA_URL)(request)

    upstream = mock_gradio(
        handler,
        spool_dir,
        protocol="legacy",
        fn_index=2,
        hf_token="hf_secret",
        inputs=["{prompt}", "{tempo}", "{duration}", "{mood} / {instruments}", True],
    )
    await upstream.generate(PARAMS)
    posts = [r for r in requests if r.method == "POST"]
    body = json.loads(posts[0].content)
    assert body == {"data": ["waves", 80, 6.0, "calm / piano", True], "fn_index": 2}
    assert all(r.headers["authorization"] == "Bearer hf_secret" for r in requests)


async def test_default_inputs_are_the_originals(spool_dir: Path) -> None:
    bodies: list[object] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            bodies.append(json.loads(request.content))
        return legacy_answer(DATA_URL)(request)

    await mock_gradio(handler, spool_dir, protocol="legacy").generate(PARAMS)
    assert bodies == [{"data": [MERGED, 6.0]}]


async def test_explicit_predict_url_is_used_as_is(spool_dir: Path) -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return httpx.Response(200, json={"data": [DATA_URL]})

    await mock_gradio(handler, spool_dir, url="http://space.test/run/predict").generate(PARAMS)
    assert paths == ["/run/predict"]


def sse(*events: tuple[str, object]) -> bytes:
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events).encode()


async def test_call_protocol_error_event(spool_dir: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, json={"event_id": "e1"})
        return httpx.Response(
            200, content=sse(("heartbeat", None), ("error", "CUDA out of memory"))
        )

    with pytest.raises(UpstreamBadAnswer, match="CUDA out of memory"):
        await mock_gradio(handler, spool_dir, protocol="call").generate(PARAMS)


async def test_auto_falls_back_to_legacy_on_404(spool_dir: Path) -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        if request.url.path == "/run/predict":
            return httpx.Response(200, json={"data": [DATA_URL]})
        return httpx.Response(404)

    audio = await mock_gradio(handler, spool_dir).generate(PARAMS)
    assert audio.container == "wav"
    assert paths == [
        "/config",  # the API description, found nowhere: the original's defaults
        "/gradio_api/info",
        "/info",
        "/gradio_api/call/predict",
        "/call/predict",
        "/gradio_api/api/predict",
        "/api/predict",
        "/run/predict",
    ]


async def test_explicit_protocol_404_is_a_non_retryable_error(spool_dir: Path) -> None:
    upstream = mock_gradio(lambda request: httpx.Response(404), spool_dir, protocol="call")
    with pytest.raises(UpstreamHTTPError) as caught:
        await upstream.generate(PARAMS)
    assert caught.value.http_status == 404 and not caught.value.retryable


async def test_queue_cancellation_tells_the_app(spool_dir: Path) -> None:
    cancels: list[dict[str, object]] = []
    streaming = asyncio.Event()

    class NeverEnding(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[no-untyped-def, override]
            estimation = {"msg": "estimation", "event_id": "ev", "rank": 3, "rank_eta": 9.0}
            yield f"data: {json.dumps(estimation)}\n\n".encode()
            streaming.set()
            await asyncio.sleep(3600)
            yield b""

    async def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/config":
            return httpx.Response(
                200,
                json={
                    "protocol": "sse_v3",
                    "api_prefix": "/gradio_api",
                    "dependencies": [{"id": 4, "api_name": "predict"}],
                },
            )
        if path == "/gradio_api/queue/join":
            return httpx.Response(200, json={"event_id": "ev"})
        if path == "/gradio_api/queue/data":
            return httpx.Response(200, stream=NeverEnding())
        if path == "/gradio_api/cancel":
            cancels.append(json.loads(request.content))
            return httpx.Response(200, json={"success": True})
        return httpx.Response(404)

    updates: list[Progress] = []
    upstream = mock_gradio(handler, spool_dir, protocol="queue")
    task = asyncio.create_task(upstream.generate(PARAMS, progress=updates.append))
    await asyncio.wait_for(streaming.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await upstream.aclose()
    assert updates == [Progress(fraction=0.0, eta_seconds=9.0, queue_position=3, message="queued")]
    assert len(cancels) == 1 and cancels[0]["event_id"] == "ev" and cancels[0]["fn_index"] == 4
    assert leftovers(spool_dir) == []


# --- a real Gradio app on loopback ---------------------------------------------------------


def real(url: str, outbound: OutboundClient, spool_dir: Path, **kwargs: object) -> GradioUpstream:
    return GradioUpstream(RemoteEndpoint("gradio", url, outbound, spool_dir), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("protocol", ["call", "legacy", "auto"])
async def test_real_gradio_protocols(
    protocol: str, gradio_app_url: str, outbound: OutboundClient, spool_dir: Path
) -> None:
    audio = await real(gradio_app_url, outbound, spool_dir, protocol=protocol).generate(PARAMS)
    assert audio.container == "wav" and audio.size > 1000
    assert audio.details["output_0"] == f"composed: {MERGED}"


async def test_real_gradio_api_predict_route(
    gradio_app_url: str, outbound: OutboundClient, spool_dir: Path
) -> None:
    upstream = real(f"{gradio_app_url}/gradio_api/api/predict", outbound, spool_dir)
    audio = await upstream.generate(PARAMS)
    assert audio.container == "wav"


async def test_real_gradio_queue_reports_rising_progress(
    gradio_app_url: str, outbound: OutboundClient, spool_dir: Path
) -> None:
    updates: list[Progress] = []
    upstream = real(gradio_app_url, outbound, spool_dir, protocol="queue")
    audio = await upstream.generate(PARAMS, progress=updates.append)
    assert audio.container == "wav"
    fractions = [u.fraction for u in updates if u.fraction is not None]
    assert len(set(fractions)) >= 3
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(u.message == "composing" for u in updates)


async def test_real_gradio_queue_cancel(
    gradio_app_url: str, outbound: OutboundClient, spool_dir: Path
) -> None:
    updates: list[Progress] = []
    upstream = real(gradio_app_url, outbound, spool_dir, protocol="queue")
    slow = GenerationParams(**{**PARAMS.__dict__, "prompt": "slow"})
    composing = asyncio.Event()

    def record(update: Progress) -> None:
        updates.append(update)
        if update.message == "composing":
            composing.set()

    task = asyncio.create_task(upstream.generate(slow, progress=record))
    await asyncio.wait_for(composing.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await upstream.aclose()
    assert leftovers(spool_dir) == []
    # The app stays usable after a cancelled job.
    audio = await upstream.generate(PARAMS)
    assert audio.container == "wav"


@pytest.mark.parametrize("shape", ["data-url", "bare", "is_file"])
async def test_gradio3_legacy_app(
    shape: str, legacy_gradio_url: str, outbound: OutboundClient, spool_dir: Path
) -> None:
    upstream = real(legacy_gradio_url, outbound, spool_dir, inputs=[shape, "{duration}"])
    audio = await upstream.generate(PARAMS)
    assert audio.path.read_bytes() == legacy_gradio.WAV
    assert legacy_gradio.received[-1] == {"data": [shape, 6.0]}
    assert audio.details == {"output_0": "ok", "output_1": "3.5"}


def info_with(api_name: str) -> dict[str, object]:
    text = {"label": "prompt", "parameter_name": "prompt", "component": "Textbox"}
    number = {"label": "seconds", "parameter_name": "seconds", "component": "Number"}
    endpoint = {"parameters": [text, number], "returns": [{"component": "Audio"}]}
    return {"named_endpoints": {f"/{api_name}": endpoint}, "unnamed_endpoints": {}}


async def test_description_is_cached_and_read_again_when_the_app_changed(spool_dir: Path) -> None:
    app = {"endpoint": "generate"}
    gets: list[str] = []
    calls: list[tuple[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and not path.startswith("/gradio_api/call/"):
            gets.append(path)
            if path == "/config":
                return httpx.Response(200, json={"api_prefix": "/gradio_api"})
            return httpx.Response(200, json=info_with(app["endpoint"]))
        if path == f"/gradio_api/call/{app['endpoint']}":
            calls.append((path, json.loads(request.content)["data"]))
            return httpx.Response(200, json={"event_id": "e"})
        if path.startswith("/gradio_api/call/") and request.method == "GET":
            return httpx.Response(200, content=sse(("complete", [DATA_URL])))
        return httpx.Response(404)

    upstream = mock_gradio(handler, spool_dir, protocol="call")
    await upstream.generate(PARAMS)
    await upstream.generate(PARAMS)
    assert gets == ["/config", "/gradio_api/info"]  # read once for both
    app["endpoint"] = "compose"  # redeployed with another API
    with pytest.raises(UpstreamHTTPError, match="no route"):
        await upstream.generate(PARAMS)
    await upstream.generate(PARAMS)
    assert gets == ["/config", "/gradio_api/info"] * 2
    assert calls[-1] == ("/gradio_api/call/compose", [MERGED, 6.0])
    assert upstream.status()["endpoint"] == "/compose"
