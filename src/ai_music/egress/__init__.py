"""Outbound HTTP: the clients every outbound call goes through, and the SSRF guard.

The interface the rest of the server uses:

* :class:`OutboundClient` — one ``aiohttp.ClientSession`` behind the guard, for URLs
  a client chose (``colab_url``, webhooks): allow-list, public addresses only, pinned
  connections;
* :class:`UpstreamClients` — the clients for the operator's configured upstreams;
* :class:`OutboundURLRefused` — raised, before any connection, for a URL or address the
  server does not go to; its message is meant for the client;
* the rules themselves (:mod:`.guard`), for checking a URL up front (on job submission);
* :mod:`.failures` — what went wrong with an exchange (timed out, broke off, unreachable);
  :mod:`.retry_after` — how long the other side asks us to wait.
"""

from .client import (
    EgressLimits,
    OutboundClient,
    SocketFactory,
    UpstreamClients,
    read_timeout,
)
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
    "OutboundClient",
    "OutboundURLRefused",
    "SocketFactory",
    "UpstreamClients",
    "check_url_allowed",
    "default_port",
    "is_public_address",
    "names_private_host",
    "parse_http_url",
    "read_timeout",
    "resolve_public_addresses",
    "system_resolver",
]
