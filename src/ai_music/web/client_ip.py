"""The client's address: the connection's peer, or X-Forwarded-For when the peer is a trusted proxy.

Which peers are proxies is ``AI_MUSIC_TRUSTED_PROXIES``, the same list the server itself
(serving.py) believes forwarded headers from; empty, nobody's are believed.

Only addresses appended by proxies we trust are believed: walking X-Forwarded-For from the
right, the first address that is not one of our proxies is the client. A client can put anything
at the left of the header, so the leftmost entry is never taken on faith.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.types import Scope

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"


def parse_networks(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """``["127.0.0.1", "10.0.0.0/8"]`` as networks; raises ValueError for a malformed entry."""
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


class ClientAddressResolver:
    def __init__(self, trusted_proxies: Iterable[str]) -> None:
        self._trusted = parse_networks(trusted_proxies)

    def is_trusted(self, address: str) -> bool:
        if not self._trusted:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._trusted)

    def resolve(self, scope: Scope) -> str:
        """Always an IP address (or "unknown"): the server may already have replaced the peer
        with a trusted proxy's X-Forwarded-For value, which is checked here before it is used
        as a limit key or written to the log."""
        client = scope.get("client")
        peer = client[0] if client and _is_address(client[0]) else UNKNOWN
        if not self.is_trusted(peer):
            return peer
        forwarded = _forwarded_for(scope)
        for hop in reversed(forwarded):
            if not self.is_trusted(hop):
                return hop
        return forwarded[0] if forwarded else peer


def _forwarded_for(scope: Scope) -> list[str]:
    hops: list[str] = []
    for name, value in scope.get("headers", ()):
        if name == b"x-forwarded-for":
            hops.extend(part.strip() for part in value.decode("latin-1").split(","))
    return [hop for hop in hops if _is_address(hop)]


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
