"""Outbound HTTP clients: httpx's API over aiohttp's connection pool, guarded against SSRF.

Each client is an ``httpx.AsyncClient`` whose transport is ``httpx_aiohttp.AiohttpTransport``
over an ``aiohttp.ClientSession`` of its own. aiohttp does the network work (its connector
keeps per-host deques and stays flat at a thousand concurrent calls, where httpcore's pool
re-scans every connection per request); httpx is the API the adapters and their tests speak.
Everything is set through public options:

* connections: ``TCPConnector(limit=, keepalive_timeout=)``; DNS answers cached briefly;
* TLS: one certifi context for the process (each context holds the CA bundle, ~0.8 MB);
* read backpressure: ``read_bufsize`` — aiohttp stops reading a socket whose buffer is full;
* the SSRF guard, twice: :class:`~.resolver.GuardedResolver` checks every address a name
  resolves to and is the only source of the addresses aiohttp connects to (the pin), and a
  request hook checks each request's URL (scheme, credentials, allow-list, literal addresses)
  — every request, so every redirect hop too.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import aiohttp
import certifi
import httpx
from httpx_aiohttp import AiohttpTransport

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
    "SocketFactory",
    "UpstreamClients",
    "guarded_client",
    "shared_tls_context",
]

SocketFactory = Callable[..., object]
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


@functools.cache
def shared_tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())


def _url_check(
    allowlist: Sequence[str] | None, allow_private: bool
) -> Callable[[httpx.Request], Awaitable[None]]:
    async def check(request: httpx.Request) -> None:
        url = request.url
        if allowlist is not None:
            url = check_url_allowed(str(url), allowlist)
        else:
            parse_http_url(url)
        # aiohttp connects to literal addresses without asking the resolver.
        if not allow_private and names_private_host(url.host):
            raise OutboundURLRefused(
                f"'{url.host}' is a loopback, private, link-local or otherwise non-public "
                "address; the server does not connect there."
            )

    return check


def _session(
    *,
    allow_private: bool,
    resolver: AddressLookup,
    limits: EgressLimits,
    socket_factory: SocketFactory | None,
) -> aiohttp.ClientSession:
    extra = {"socket_factory": socket_factory} if socket_factory is not None else {}
    connector = aiohttp.TCPConnector(
        resolver=GuardedResolver(allow_private=allow_private, lookup=resolver),
        ssl=shared_tls_context(),
        limit=limits.max_connections,
        keepalive_timeout=limits.keepalive_s,
        ttl_dns_cache=int(limits.dns_cache_s),
        **extra,  # type: ignore[arg-type]
    )
    return aiohttp.ClientSession(
        connector=connector,
        read_bufsize=limits.read_buffer_bytes,
        # httpx keeps no cookies for us either; skipping the jar skips parsing them.
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
        auto_decompress=False,
    )


def guarded_client(
    *,
    allowlist: Sequence[str] | None = None,
    allow_private: bool = False,
    resolver: AddressLookup = system_resolver,
    timeout: float = 180.0,
    limits: EgressLimits = EgressLimits(),
    socket_factory: SocketFactory | None = None,
) -> httpx.AsyncClient:
    """An httpx client whose every request is guarded: URL under ``allowlist`` (when given),
    and every address public (unless ``allow_private``), pinned to the one checked.
    Redirects are not followed unless a request asks (each hop is checked again)."""

    def new_session() -> aiohttp.ClientSession:
        return _session(
            allow_private=allow_private,
            resolver=resolver,
            limits=limits,
            socket_factory=socket_factory,
        )

    return httpx.AsyncClient(
        # Made on the first request: aiohttp wants a running event loop, and most processes
        # never need some of their clients (colab_url, webhooks).
        transport=AiohttpTransport(client=new_session),
        event_hooks={"request": [_url_check(allowlist, allow_private)]},
        follow_redirects=False,
        timeout=timeout,
        trust_env=False,
    )


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
        self._clients: dict[bool, httpx.AsyncClient] = {}

    def for_upstream(self, *, allow_private: bool) -> httpx.AsyncClient:
        client = self._clients.get(allow_private)
        if client is None:
            client = guarded_client(
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
