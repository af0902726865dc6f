"""The configured upstreams' clients apply the guard too: an upstream whose name resolves to a
private address is refused at connect time unless it allows the private network."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

import pytest

from ai_music.egress import EgressLimits, OutboundClient, UpstreamClients
from ai_music.generation.upstreams.base import GenerationParams, UpstreamBadAnswer
from ai_music.generation.upstreams.config import build_router, parse_upstreams

PARAMS = GenerationParams(prompt="rain", duration=10, mood="calm", tempo=90, instruments="piano")


async def loopback_dns(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


async def test_an_upstream_name_resolving_to_loopback_is_refused(tmp_path: Path) -> None:
    # The URL names no private host, so the configuration is accepted; what it resolves to
    # is checked at each connection (before, only the URL itself was).
    configs = parse_upstreams(
        '[{"name": "svc", "kind": "http", "url": "http://music.example/generate", "retries": 0}]',
        None,
        None,
        None,
    )
    clients = UpstreamClients(resolver=loopback_dns)
    router = build_router(configs, clients=clients, spool_dir=tmp_path)
    try:
        with pytest.raises(UpstreamBadAnswer, match="does not connect to"):
            await router.generate(PARAMS)
    finally:
        await router.aclose()
        await clients.aclose()
    assert not any(os.scandir(tmp_path))


async def test_an_answer_waits_in_a_narrow_receive_buffer_and_is_read_through_a_wide_one() -> None:
    # What a waiting answer can cost this process is what the kernel holds for it: little.
    rest_may_come = asyncio.Event()

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhe")
        await writer.drain()
        await rest_may_come.wait()
        writer.write(b"llo")
        await writer.drain()
        await reader.read()  # kept alive until the client closes it
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    limits = EgressLimits(idle_receive_buffer_bytes=32 * 1024, receive_buffer_bytes=1 << 20)
    async with (
        server,
        OutboundClient(allow_private=True, limits=limits) as client,
        client.session().get(f"http://127.0.0.1:{port}/") as response,
    ):
        sock = response.connection.transport.get_extra_info("socket")  # type: ignore[union-attr]
        # Linux reports twice what was set (its bookkeeping overhead).
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) <= 2 * 32 * 1024
        with client.receiving(response):
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) >= 1 << 20
            rest_may_come.set()
            assert await response.read() == b"hello"
        # Read whole, the connection went back to the pool: narrow again for its next answer.
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) <= 2 * 32 * 1024
