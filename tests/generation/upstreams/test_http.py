"""The HTTP adapter: protocol cases against handler-described upstreams on loopback
(loopback.py), fault tests against a real slow/faulty service on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from ai_music.egress import OutboundClient
from ai_music.generation.upstreams.base import (
    GenerationParams,
    UpstreamBadAnswer,
    UpstreamConnectionError,
    UpstreamError,
    UpstreamHTTPError,
    UpstreamRedirectRefused,
    UpstreamTimeout,
)
from ai_music.generation.upstreams.download import DownloadSlots, RemoteEndpoint
from ai_music.generation.upstreams.failover import RoutePolicy, UpstreamRouter
from ai_music.generation.upstreams.http import HttpUpstream
from tests.server_process import free_port

from ..support import fault_service
from ..support.sounds import mp3_bytes, wav_bytes
from ..support.spool import leftovers
from .loopback import loopback_client

PARAMS = GenerationParams(prompt="rain", duration=12.5, mood="calm", tempo=90, instruments="piano")
CAP = 1_000_000


def mock_upstream(handler, spool_dir: Path, **kwargs) -> HttpUpstream:  # type: ignore[no-untyped-def]
    client = loopback_client(handler)
    return HttpUpstream(
        RemoteEndpoint(
            name="svc",
            url="http://svc.test/generate",
            client=client,
            spool_dir=spool_dir,
            max_audio_bytes=CAP,
            **kwargs,
        )
    )


async def test_posts_the_original_contract_and_spools_audio(spool_dir: Path) -> None:
    seen: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, content=mp3_bytes(0.3), headers={"x-seed": "42"})

    params = GenerationParams(**{**PARAMS.__dict__, "seed": 42})
    audio = await mock_upstream(handler, spool_dir).generate(params)
    assert seen == [
        {
            "prompt": "rain",
            "duration": 12.5,
            "mood": "calm",
            "tempo": 90,
            "instruments": "piano",
            "seed": 42,
        }
    ]
    assert audio.container == "mp3" and audio.size == audio.path.stat().st_size
    assert audio.path.parent == spool_dir and audio.details == {"seed": "42"}


async def test_seed_is_omitted_when_unset(spool_dir: Path) -> None:
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        return httpx.Response(200, content=wav_bytes(0.1))

    await mock_upstream(handler, spool_dir).generate(PARAMS)
    assert "seed" not in json.loads(bodies[0])


async def test_content_type_is_not_trusted(spool_dir: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=b'{"status": "queued"}', headers={"content-type": "audio/mpeg"}
        )

    with pytest.raises(UpstreamBadAnswer, match="not audio"):
        await mock_upstream(handler, spool_dir).generate(PARAMS)
    assert leftovers(spool_dir) == []


async def test_connect_error(outbound: OutboundClient, spool_dir: Path) -> None:
    # Nothing listens on the port: the connection is refused.
    upstream = real_upstream(f"http://127.0.0.1:{free_port()}", "/generate", outbound, spool_dir)

    with pytest.raises(UpstreamConnectionError) as caught:
        await upstream.generate(PARAMS)
    assert caught.value.retryable


async def test_cross_host_redirect_is_refused_before_contacting_it(spool_dir: Path) -> None:
    hosts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        return httpx.Response(307, headers={"location": "http://169.254.169.254/latest"})

    with pytest.raises(UpstreamBadAnswer, match="another host"):
        await mock_upstream(handler, spool_dir).generate(PARAMS)
    assert hosts == ["svc.test"]


async def test_same_host_redirect_is_followed(spool_dir: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/generate":
            return httpx.Response(307, headers={"location": "/v2/generate"})
        return httpx.Response(200, content=wav_bytes(0.1))

    audio = await mock_upstream(handler, spool_dir).generate(PARAMS)
    assert audio.container == "wav"


# --- against a real slow/faulty service on loopback --------------------------------------


def real_upstream(base: str, path: str, outbound: OutboundClient, spool_dir: Path) -> HttpUpstream:
    return HttpUpstream(
        RemoteEndpoint(
            name="real",
            url=base + path,
            client=outbound,
            spool_dir=spool_dir,
            max_audio_bytes=CAP,
            timeout_s=5,
        )
    )


def routed(upstream: HttpUpstream, **policy: float) -> UpstreamRouter:
    defaults: dict[str, float] = {"retries": 0, "timeout_s": 0.5, "backoff_base_s": 0.01}
    return UpstreamRouter([(upstream, RoutePolicy(**{**defaults, **policy}))])  # type: ignore[arg-type]


async def test_real_success(
    fault_service_url: str, outbound: OutboundClient, spool_dir: Path
) -> None:
    audio, name = await routed(
        real_upstream(fault_service_url, "/ok", outbound, spool_dir)
    ).generate(PARAMS)
    assert name == "real" and audio.container == "wav"
    assert audio.path.read_bytes() == fault_service.WAV


@pytest.mark.parametrize(
    ("path", "error", "status_code", "retryable"),
    [
        ("/slow?delay=3", UpstreamTimeout, 504, True),
        ("/drip", UpstreamTimeout, 504, True),
        ("/status/500", UpstreamHTTPError, 502, True),
        ("/status/404", UpstreamHTTPError, 502, False),
        ("/html", UpstreamBadAnswer, 502, False),
        ("/truncated", UpstreamBadAnswer, 502, False),
        ("/big?size=3000000", UpstreamBadAnswer, 502, False),
        ("/big-declared", UpstreamBadAnswer, 502, False),
        ("/redirect-away", UpstreamRedirectRefused, 502, False),
    ],
)
async def test_real_faults(
    fault_service_url: str,
    outbound: OutboundClient,
    spool_dir: Path,
    path: str,
    error: type[UpstreamError],
    status_code: int,
    retryable: bool,
) -> None:
    with pytest.raises(error) as caught:
        await routed(real_upstream(fault_service_url, path, outbound, spool_dir)).generate(PARAMS)
    assert type(caught.value) is error
    assert caught.value.status_code == status_code and caught.value.retryable is retryable
    assert leftovers(spool_dir) == []


async def test_real_connection_refused(outbound: OutboundClient, spool_dir: Path) -> None:
    upstream = real_upstream(f"http://127.0.0.1:{free_port()}", "/x", outbound, spool_dir)
    with pytest.raises(UpstreamConnectionError):
        await routed(upstream, retries=2).generate(PARAMS)
    assert leftovers(spool_dir) == []


async def test_real_429_with_retry_after_is_retried(
    fault_service_url: str, outbound: OutboundClient, spool_dir: Path
) -> None:
    upstream = real_upstream(
        fault_service_url, "/flaky/r429?fail=1&code=429&retry_after=1", outbound, spool_dir
    )
    with pytest.raises(UpstreamHTTPError) as caught:
        await routed(upstream, retries=0).generate(PARAMS)
    assert caught.value.http_status == 429 and caught.value.retry_after == 1
    fault_service.attempts["r429b"] = 0
    upstream = real_upstream(
        fault_service_url, "/flaky/r429b?fail=1&code=429&retry_after=1", outbound, spool_dir
    )
    audio, _ = await routed(upstream, retries=1, timeout_s=3).generate(PARAMS)
    assert audio.container == "wav" and fault_service.attempts["r429b"] == 2


async def test_real_500_then_success_is_retried(
    fault_service_url: str, outbound: OutboundClient, spool_dir: Path
) -> None:
    upstream = real_upstream(fault_service_url, "/flaky/r500?fail=2", outbound, spool_dir)
    audio, _ = await routed(upstream, retries=2).generate(PARAMS)
    assert fault_service.attempts["r500"] == 3 and audio.size > 0


async def test_real_circuit_opens_and_closes(
    fault_service_url: str, outbound: OutboundClient, spool_dir: Path
) -> None:
    upstream = real_upstream(fault_service_url, "/switchable/circuit", outbound, spool_dir)
    router = routed(upstream, retries=0, circuit_failures=2, circuit_cooldown_s=0.3)
    for _ in range(2):
        with pytest.raises(UpstreamHTTPError):
            await router.generate(PARAMS)
    assert router.states()[0]["circuit"] == "open"
    with pytest.raises(UpstreamError) as caught:
        await router.generate(PARAMS)
    assert caught.value.status_code == 503
    assert fault_service.attempts["circuit"] == 2  # skipped, not called
    fault_service.healthy["circuit"] = True
    import asyncio

    await asyncio.sleep(0.35)
    audio, _ = await router.generate(PARAMS)
    assert audio.container == "wav" and router.states()[0]["circuit"] == "closed"


# --- download slots: how many answers of one upstream are received at once ----------------


class _HeldBody(httpx.AsyncByteStream):
    """An audio answer whose status line and first bytes come at once, the rest on ``release``."""

    def __init__(self, audio: bytes, release: asyncio.Event) -> None:
        self._audio, self._release = audio, release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._audio[:1000]
        await self._release.wait()
        yield self._audio[1000:]


def _held_upstream(
    spool_dir: Path, release: asyncio.Event, slots: int, wait_s: float
) -> HttpUpstream:
    audio = wav_bytes(0.5)

    def handler(request: httpx.Request) -> httpx.Response:
        held = json.loads(request.content)["prompt"] == "held"
        stream = _HeldBody(audio, release) if held else httpx.ByteStream(audio)
        return httpx.Response(200, headers={"content-type": "audio/wav"}, stream=stream)

    return mock_upstream(handler, spool_dir, download_slots=DownloadSlots(slots, wait_s))


async def test_an_answer_waits_for_a_download_slot(spool_dir: Path) -> None:
    release = asyncio.Event()
    upstream = _held_upstream(spool_dir, release, slots=1, wait_s=10)
    held = asyncio.create_task(upstream.generate(replace(PARAMS, prompt="held")))
    await asyncio.sleep(0.05)
    quick = asyncio.create_task(upstream.generate(PARAMS))
    await asyncio.sleep(0.3)
    assert not quick.done(), "the only slot is taken: the second answer must wait"
    release.set()
    assert (await held).container == "wav"
    assert (await asyncio.wait_for(quick, 2)).container == "wav"


async def test_a_slow_answer_holds_the_others_up_only_for_the_slot_wait(spool_dir: Path) -> None:
    release = asyncio.Event()
    upstream = _held_upstream(spool_dir, release, slots=1, wait_s=0.2)
    held = asyncio.create_task(upstream.generate(replace(PARAMS, prompt="held")))
    await asyncio.sleep(0.05)
    quick = await asyncio.wait_for(upstream.generate(PARAMS), 2)
    assert quick.container == "wav" and not held.done()
    release.set()
    assert (await held).container == "wav"


async def test_a_malformed_status_line_is_a_bad_answer(
    outbound: OutboundClient, spool_dir: Path
) -> None:
    # aiohttp reports it with an exception httpx-aiohttp does not translate into httpx's.
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"GARBAGE\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(garbage, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        upstream = real_upstream(f"http://127.0.0.1:{port}", "/generate", outbound, spool_dir)
        with pytest.raises(UpstreamBadAnswer, match="broke off"):
            await upstream.generate(PARAMS)
    assert leftovers(spool_dir) == []


async def test_a_kept_alive_connection_closed_unanswered_as_it_is_reused_is_sent_again(
    outbound: OutboundClient, spool_dir: Path
) -> None:
    # The race of a kept-alive connection's idle timeout with its reuse: the service reads the
    # next request on the connection and closes it without answering.
    connections: list[int] = []
    answer = wav_bytes(0.1)

    async def read_request(reader: asyncio.StreamReader) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
        length = next(
            int(line.split(":", 1)[1]) for line in head.split("\r\n") if "content-length" in line
        )
        await reader.readexactly(length)

    async def answers_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        await read_request(reader)
        head = f"HTTP/1.1 200 OK\r\nContent-Type: audio/wav\r\nContent-Length: {len(answer)}"
        writer.write(head.encode() + b"\r\n\r\n" + answer)
        await writer.drain()
        with contextlib.suppress(asyncio.IncompleteReadError):
            await read_request(reader)
        writer.close()

    server = await asyncio.start_server(answers_once, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        upstream = real_upstream(f"http://127.0.0.1:{port}", "/generate", outbound, spool_dir)
        first = await upstream.generate(PARAMS)
        second = await upstream.generate(PARAMS)  # on the first's connection, then a new one
    assert first.path.read_bytes() == second.path.read_bytes() == answer
    assert len(connections) == 2
