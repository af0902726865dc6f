"""The SSRF guard inside aiohttp's connector: a resolver that refuses non-public addresses.

aiohttp asks its resolver for a host's addresses and then connects to one of exactly those,
so checking them here is both the check and the pin: DNS cannot answer a public address to
the check and a private one to the connect (rebinding), because there is only one answer.
aiohttp caches it (``ttl_dns_cache``), which is fine: what is cached was checked.

aiohttp does not ask the resolver about literal IP addresses; :mod:`.client` checks those
on every request.
"""

from __future__ import annotations

import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult

from .guard import AddressLookup, resolve_public_addresses, system_resolver

__all__ = ["GuardedResolver"]


class GuardedResolver(AbstractResolver):
    """Resolves with ``lookup`` and refuses (:class:`~.guard.OutboundURLRefused`) a host
    with any non-public address, unless ``allow_private``."""

    def __init__(
        self, *, allow_private: bool = False, lookup: AddressLookup = system_resolver
    ) -> None:
        self._allow_private = allow_private
        self._lookup = lookup

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = await resolve_public_addresses(
            host, port, allow_private=self._allow_private, resolver=self._lookup
        )
        results = [_result(host, address, port) for address in addresses]
        if family == socket.AF_UNSPEC:
            return results
        return [result for result in results if result["family"] == family]

    async def close(self) -> None:
        return None


def _result(host: str, address: str, port: int) -> ResolveResult:
    bare = address.split("%", 1)[0]
    version = ipaddress.ip_address(bare).version
    return ResolveResult(
        hostname=host,
        host=address,
        port=port,
        family=socket.AF_INET6 if version == 6 else socket.AF_INET,
        proto=0,
        flags=socket.AI_NUMERICHOST,
    )
