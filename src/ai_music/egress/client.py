"""Outbound HTTP clients: aiohttp's ``ClientSession``, guarded against SSRF.

aiohttp's connector keeps per-host deques and stays flat at a thousand concurrent calls
(httpcore's pool re-scans every connection per request). The adapters call aiohttp directly:
httpx's API over it (httpx-aiohttp) cost a quarter to a third more CPU per call (README).
Everything is set through aiohttp's public options:

* connections: ``TCPConnector(limit=, keepalive_timeout=)``; DNS answers cached briefly;
* timeouts: ``ClientTimeout`` for connecting (pool wait included) and between reads;
* TLS: one certifi context for the process (each context holds the CA bundle, ~0.8 MB);
* read backpressure: ``read_bufsize`` — aiohttp stops reading a socket whose buffer is full;
* the SSRF guard, twice: :class:`~.resolver.GuardedResolver` checks every address a name
  resolves to and is the only source of the addresses aiohttp connects to (the pin), and a
  client middleware checks each request's URL (scheme, credentials, allow-list, literal
  addresses) — every request aiohttp sends, so every redirect hop too.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType

import aiohttp
import certifi

from .guard import (
    AddressLookup,
    OutboundURLRefused,
    check_url_allowed,
    names_private_host,
    parse_http_url,
    system_resolver,
)
from .resolver import GuardedResolver

__all__ = [
    "EgressLimits",
    "OutboundClient",
    "SocketFactory",
    "UpstreamClients",
    "read_timeout",
    "shared_tls_context",
]

SocketFactory = aiohttp.connector.SocketFactoryType
"""aiohttp's ``socket_factory`` hook (addrinfo → socket); tests use it to see connects."""


@dataclass(frozen=True)
class EgressLimits:
    max_connections: int = 1024
    # Under the idle timeout of common servers (uvicorn's 5 s), so an idle connection is
    # dropped here before the server closes it under a request being sent.
    keepalive_s: float = 4.0
    # aiohttp stops reading a connection once about twice this is buffered and unread: a
    # smaller buffer than its 64 kB default bounds memory when many answers arrive at once.
    read_buffer_bytes: int = 16 * 1024
    dns_cache_s: float = 10.0
    # Each connection's kernel receive buffer (SO_RCVBUF) while no answer is being read. An
    # answer that arrives while it waits for a download slot is read once all the same, as
    # much as the kernel holds (up to 256 kB): this bounds what each waiting answer costs here.
    idle_receive_buffer_bytes: int | None = 32 * 1024
    # ... and while one is being read (OutboundClient.receiving): a far upstream needs a
    # wide TCP window to send at full speed.
    receive_buffer_bytes: int = 1024 * 1024


@functools.cache
def shared_tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())


def read_timeout(seconds: float) -> aiohttp.ClientTimeout:
    """``seconds`` to get a connection (pool wait included) and between two reads, with no
    bound on the whole exchange: a large answer may take longer while still arriving."""
    return aiohttp.ClientTimeout(total=None, connect=seconds, sock_read=seconds)


def _url_check(
    allowlist: Sequence[str] | None, allow_private: bool
) -> aiohttp.ClientMiddlewareType:
    async def check(
        request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        url = request.url
        if allowlist is not None:
            url = check_url_allowed(url, allowlist)
        else:
            parse_http_url(url)
        # aiohttp connects to literal addresses without asking the resolver.
        if not allow_private and names_private_host(url.host or ""):
            raise OutboundURLRefused(
                f"'{url.host}' is a loopback, private, link-local or otherwise non-public "
                "address; the server does not connect there."
            )
        return await handler(request)

    return check


def _sockets_with_receive_buffer(size: int) -> SocketFactory:
    def new_socket(addr_info: tuple[object, ...]) -> socket.socket:
        family, kind, proto = addr_info[:3]
        sock = socket.socket(family, kind, proto)  # type: ignore[arg-type]
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
        return sock

    return new_socket  # type: ignore[return-value]


def _set_receive_buffer(transport: asyncio.BaseTransport, size: int) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)


class OutboundClient:
    """One guarded ``aiohttp.ClientSession``: every URL under ``allowlist`` (when given), and
    every address public (unless ``allow_private``), connected to only once checked.

    The session is made on first use: aiohttp wants a running event loop, and most processes
    never need some of their clients (``colab_url``, webhooks). Callers here pass
    ``allow_redirects=False`` and follow redirects themselves; any hop aiohttp sends is
    checked again all the same."""

    def __init__(
        self,
        *,
        allowlist: Sequence[str] | None = None,
        allow_private: bool = False,
        resolver: AddressLookup = system_resolver,
        timeout: float = 180.0,
        limits: EgressLimits = EgressLimits(),
        socket_factory: SocketFactory | None = None,
    ) -> None:
        self._allowlist = list(allowlist) if allowlist is not None else None
        self._allow_private = allow_private
        self._resolver = resolver
        self.timeout = read_timeout(timeout)
        self._limits = limits
        idle_buffer = limits.idle_receive_buffer_bytes
        if socket_factory is None and idle_buffer is not None:
            socket_factory = _sockets_with_receive_buffer(idle_buffer)
        self._socket_factory = socket_factory
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = self._new_session()
        return self._session

    def _new_session(self) -> aiohttp.ClientSession:
        limits = self._limits
        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(allow_private=self._allow_private, lookup=self._resolver),
            ssl=shared_tls_context(),
            limit=limits.max_connections,
            keepalive_timeout=limits.keepalive_s,
            ttl_dns_cache=int(limits.dns_cache_s),
            socket_factory=self._socket_factory,
        )
        return aiohttp.ClientSession(
            connector=connector,
            timeout=self.timeout,
            read_bufsize=limits.read_buffer_bytes,
            middlewares=(_url_check(self._allowlist, self._allow_private),),
            # No cookies are kept between calls; skipping the jar skips parsing them.
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
            auto_decompress=False,
            raise_for_status=False,
        )

    @contextlib.contextmanager
    def receiving(self, response: aiohttp.ClientResponse) -> Iterator[None]:
        """While the block reads ``response``'s body, its connection has the wide receive
        buffer; then the narrow one again, as it goes back to the pool."""
        idle_buffer = self._limits.idle_receive_buffer_bytes
        connection = response.connection
        # Kept: aiohttp lets go of the connection as soon as the body is read.
        transport = connection.transport if connection is not None else None
        if idle_buffer is None or transport is None:
            yield
            return
        _set_receive_buffer(transport, self._limits.receive_buffer_bytes)
        try:
            yield
        finally:
            if not transport.is_closing():
                _set_receive_buffer(transport, idle_buffer)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> OutboundClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


class UpstreamClients:
    """The clients for the configured upstreams: one per guard setting (private network
    allowed or not), shared by every upstream with that setting; made on first use."""

    def __init__(
        self,
        *,
        resolver: AddressLookup = system_resolver,
        limits: EgressLimits = EgressLimits(),
        timeout: float = 180.0,
    ) -> None:
        self._resolver = resolver
        self._limits = limits
        self._timeout = timeout
        self._clients: dict[bool, OutboundClient] = {}

    def for_upstream(self, *, allow_private: bool) -> OutboundClient:
        client = self._clients.get(allow_private)
        if client is None:
            client = OutboundClient(
                allow_private=allow_private,
                resolver=self._resolver,
                limits=self._limits,
                timeout=self._timeout,
            )
            self._clients[allow_private] = client
        return client

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
