"""An upstream described by a handler, served over real HTTP and HTTPS on loopback.

The adapters' protocol tests describe each upstream as ``handler(httpx.Request) ->
httpx.Response`` (sync or async). :func:`loopback_client` serves that handler from two
loopback servers (plain, and TLS with a test CA) and returns a client whose every host name
resolves to them — port 443 to the TLS one, any other port to the plain one — so the adapters
run on their real aiohttp client, whatever host the test's URLs name, and nothing leaves the
machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import socket
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import httpx
import trustme
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from ai_music.egress import read_timeout

Handler = Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]

_CA = trustme.CA()
_CERT = _CA.issue_cert(
    "*.test", "*.example", "music.example", "*.hf.space", "*.gradio.live", "localhost"
)


def _listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _as_httpx(request: web.BaseRequest, body: bytes, scheme: str) -> httpx.Request:
    url = f"{scheme}://{request.headers.get('host', request.host)}{request.raw_path}"
    return httpx.Request(request.method, url, headers=list(request.headers.items()), content=body)


def _serve(handler: Handler, scheme: str) -> Callable[[web.BaseRequest], Awaitable[Any]]:
    async def serve(request: web.BaseRequest) -> web.StreamResponse:
        answer = handler(_as_httpx(request, await request.read(), scheme))
        if inspect.isawaitable(answer):
            answer = await answer
        assert isinstance(answer, httpx.Response)
        response = web.StreamResponse(status=answer.status_code)
        for name, value in answer.headers.multi_items():
            if name.lower() not in ("transfer-encoding", "connection"):
                response.headers.add(name, value)
        await response.prepare(request)
        try:
            await response.write(answer.content)  # given whole
        except httpx.ResponseNotRead:
            async for chunk in answer.aiter_raw():  # given as a stream
                await response.write(chunk)
        await response.write_eof()
        return response

    return serve


class _LoopbackResolver(AbstractResolver):
    def __init__(self, plain_port: int, tls_port: int) -> None:
        self._ports = (plain_port, tls_port)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        target = self._ports[1] if port == 443 else self._ports[0]
        return [
            ResolveResult(
                hostname=host,
                host="127.0.0.1",
                port=target,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        return None


class LoopbackClient:
    """What the adapters use of :class:`ai_music.egress.OutboundClient` (``session()``,
    ``timeout``, ``receiving()``), connected to the handler's loopback servers."""

    def __init__(self, handler: Handler) -> None:
        loop = asyncio.get_running_loop()
        plain, tls = _listening_socket(), _listening_socket()
        server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        _CERT.configure_cert(server_tls)
        self._client_tls = ssl.create_default_context()
        _CA.configure_trust(self._client_tls)
        self._resolver = _LoopbackResolver(plain.getsockname()[1], tls.getsockname()[1])
        self._servers: list[asyncio.Server] = []
        # Started on the next turn of the loop; connections wait in the backlog till then.
        self._starting = [
            loop.create_task(self._start(web.Server(_serve(handler, "http")), plain, None)),
            loop.create_task(self._start(web.Server(_serve(handler, "https")), tls, server_tls)),
        ]
        self.timeout = read_timeout(10)
        self._session: aiohttp.ClientSession | None = None

    async def _start(
        self, server: web.Server, sock: socket.socket, tls: ssl.SSLContext | None
    ) -> None:
        loop = asyncio.get_running_loop()
        self._servers.append(await loop.create_server(server, sock=sock, ssl=tls))

    def receiving(
        self, response: aiohttp.ClientResponse
    ) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()  # the kernel's own receive buffers, on loopback

    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(resolver=self._resolver, ssl=self._client_tls)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self.timeout)
        return self._session

    async def aclose(self) -> None:
        await asyncio.gather(*self._starting, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        for server in self._servers:
            server.close()


OPEN: list[LoopbackClient] = []


def loopback_client(handler: Handler) -> Any:
    """A :class:`LoopbackClient` for ``handler`` (typed ``Any``: it stands in for an
    ``OutboundClient`` wherever an adapter takes one), closed after the test."""
    client = LoopbackClient(handler)
    OPEN.append(client)
    return client


async def close_loopback_clients() -> None:
    while OPEN:
        await OPEN.pop().aclose()
