"""An httpcore network backend on asyncio streams, which apply backpressure on reads.

httpx's default backend (anyio) appends whatever the socket delivers to an unbounded queue
(``anyio._backends._asyncio.StreamProtocol.data_received``) and never pauses reading. When a
thousand upstream answers arrive at once and the event loop is busy, their bodies pile up in
memory: measured at 1,000 concurrent ``/studio-generate`` with 480 kB answers, the server went
from 180 MB to 450 MB in one second (bench/bench_gateway.py). ``asyncio.StreamReader`` pauses
the socket once its buffer passes twice its limit; with small reads and a small kernel buffer
as well, that load peaks at ~230 MB.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
from httpcore._utils import is_socket_readable

# Per-connection read buffer: reading pauses at twice this (asyncio.StreamReader's rule).
READ_LIMIT = 16 * 1024
KERNEL_RECEIVE_BUFFER = 16 * 1024


class StreamConnection(httpcore.AsyncNetworkStream):
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                # httpcore asks for 64 kB a read; smaller reads keep each connection's
                # buffers small when a thousand answers arrive at once.
                return await self._reader.read(min(max_bytes, READ_LIMIT))
        except TimeoutError as exc:
            raise httpcore.ReadTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.ReadError(str(exc)) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            async with asyncio.timeout(timeout):
                self._writer.write(buffer)
                await self._writer.drain()
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.WriteError(str(exc)) from exc

    async def aclose(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await self._writer.wait_closed()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except (OSError, ssl.SSLError) as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        return self

    def get_extra_info(self, info: str) -> Any:
        transport = self._writer.transport
        sock = transport.get_extra_info("socket")
        extra: dict[str, Any] = {
            "ssl_object": lambda: transport.get_extra_info("ssl_object"),
            "client_addr": lambda: transport.get_extra_info("sockname"),
            "server_addr": lambda: transport.get_extra_info("peername"),
            "socket": lambda: sock,
            "is_readable": lambda: sock is not None and is_socket_readable(sock),
        }
        getter = extra.get(info)
        return getter() if getter else None


class StreamBackend(httpcore.AsyncNetworkBackend):
    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        local = (local_address, 0) if local_address else None
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, local_addr=local, limit=READ_LIMIT
                )
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # A small kernel buffer too: the event loop reads whatever the kernel holds in one go.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, KERNEL_RECEIVE_BUFFER)
        for option in socket_options or ():
            sock.setsockopt(*option)
        return StreamConnection(reader, writer)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_unix_connection(path, limit=READ_LIMIT)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        return StreamConnection(reader, writer)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
