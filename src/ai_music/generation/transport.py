"""An httpx transport that spreads upstream calls over several connection pools.

httpcore's pool re-examines every one of its connections each time a request starts or a
response closes (``AsyncConnectionPool._assign_requests_to_connections``), and for each idle
connection it also builds a list of all of them: O(connections) per request at best,
O(idle × connections) at worst. With the hundreds of concurrent upstream calls the gateway
is built for, one pool is quadratic: at 1,000 concurrent ``/studio-generate`` it took ~39% of
the server process's CPU (bench/bench_gateway.py, py-spy). ``shards`` pools of
``connections / shards`` each cut that work by the number of shards.
"""

from __future__ import annotations

import functools
import itertools
import ssl

import certifi
import httpcore
import httpx

from ai_music.generation.netbackend import StreamBackend

__all__ = ["ShardedTransport", "shared_tls_context"]


@functools.cache
def shared_tls_context() -> ssl.SSLContext:
    """One TLS client context for every outbound client: each one loads the CA bundle,
    ~0.8 MB apiece, and the server would otherwise make twenty of them."""
    return ssl.create_default_context(cafile=certifi.where())


DEFAULT_SHARDS = 16


class ShardedTransport(httpx.AsyncBaseTransport):
    """Round-robin over ``shards`` independent :class:`httpx.AsyncHTTPTransport` pools.

    ``max_keepalive_connections`` is the total over all shards; ``max_connections`` (when set)
    is split too, so the overall limits stay as given.
    """

    def __init__(self, *, limits: httpx.Limits, shards: int = DEFAULT_SHARDS) -> None:
        def share(total: int | None) -> int | None:
            return None if total is None else max(1, -(-total // shards))

        per_shard = httpx.Limits(
            max_connections=share(limits.max_connections),
            max_keepalive_connections=share(limits.max_keepalive_connections),
            keepalive_expiry=limits.keepalive_expiry,
        )
        self._shards = [_flow_controlled_transport(per_shard) for _ in range(shards)]
        self._next = itertools.cycle(self._shards)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await next(self._next).handle_async_request(request)

    async def aclose(self) -> None:
        for shard in self._shards:
            await shard.aclose()


def _flow_controlled_transport(limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's transport over a connection pool whose sockets apply read backpressure
    (netbackend.py). httpx has no public switch for the network backend, so the pool it
    built is replaced with an equivalent one that names ours."""
    transport = httpx.AsyncHTTPTransport(limits=limits, verify=shared_tls_context())
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=shared_tls_context(),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=StreamBackend(),
    )
    return transport
