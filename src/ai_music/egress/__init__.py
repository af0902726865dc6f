"""Outbound HTTP: the clients every outbound call goes through, and the SSRF guard.

The interface the rest of the server uses:

* :func:`guarded_client` — an ``httpx.AsyncClient`` (aiohttp underneath) for URLs a client
  chose (``colab_url``, webhooks): allow-list, public addresses only, pinned connections;
* :class:`UpstreamClients` — the clients for the operator's configured upstreams;
* :class:`OutboundURLRefused` — raised, before any connection, for a URL or address the
  server does not go to; its message is meant for the client;
* the rules themselves (:mod:`.guard`), for checking a URL up front (on job submission).
"""

from .client import EgressLimits, SocketFactory, UpstreamClients, guarded_client
from .guard import (
    AddressLookup,
    OutboundURLRefused,
    check_url_allowed,
    default_port,
    is_public_address,
    names_private_host,
    parse_http_url,
    resolve_public_addresses,
    system_resolver,
)

__all__ = [
    "AddressLookup",
    "EgressLimits",
    "OutboundURLRefused",
    "SocketFactory",
    "UpstreamClients",
    "check_url_allowed",
    "default_port",
    "guarded_client",
    "is_public_address",
    "names_private_host",
    "parse_http_url",
    "resolve_public_addresses",
    "system_resolver",
]
