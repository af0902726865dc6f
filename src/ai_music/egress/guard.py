"""The SSRF rules: which URLs and which addresses the server may connect to.

Each refuses with :class:`OutboundURLRefused`, before any connection:

1. :func:`check_url_allowed` — http/https only, and the URL must fall under an allow-list
   entry (an exact origin, or an origin plus a path prefix).
2. :func:`resolve_public_addresses` — every address the host resolves to must be public:
   no loopback, private, link-local (cloud metadata), CGNAT, multicast, unspecified, ULA,
   nor any of those wrapped in IPv6 (IPv4-mapped, NAT64, 6to4, Teredo), unless configured.

:mod:`.resolver` applies rule 2 inside aiohttp's connector, and :mod:`.client` applies rule 1
(and the literal-address case of rule 2) to every request, redirects included.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import unquote

from yarl import URL

__all__ = [
    "AddressLookup",
    "OutboundURLRefused",
    "check_url_allowed",
    "default_port",
    "is_public_address",
    "names_private_host",
    "parse_http_url",
    "resolve_public_addresses",
    "system_resolver",
]

AddressLookup = Callable[[str, int], Awaitable[list[str]]]
"""``(host, port) -> IP address strings`` (DNS); replaced in tests so nothing leaves the machine."""

_ALLOWED_SCHEMES = ("http", "https")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Blocks that ``ipaddress`` still calls global but that must never be a client's target.
_EXTRA_BLOCKED = (
    ipaddress.ip_network("100.64.0.0/10"),  # CGNAT (not global, but not "private" either)
    ipaddress.ip_network("192.0.0.0/24"),
    ipaddress.ip_network("198.18.0.0/15"),
    ipaddress.ip_network("fc00::/7"),
)


class OutboundURLRefused(ValueError):
    """The server will not connect to this URL; the message says why, for the client."""


def default_port(url: URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def parse_http_url(url: str | URL) -> URL:
    """An http(s) URL with a host and no embedded credentials; else OutboundURLRefused."""
    try:
        parsed = url if isinstance(url, URL) else URL(url)
    except (TypeError, ValueError) as exc:
        raise OutboundURLRefused(f"'{url}' is not a valid URL.") from exc
    if parsed.scheme not in _ALLOWED_SCHEMES:
        raise OutboundURLRefused(
            f"Only http and https URLs are allowed, not '{parsed.scheme or 'no scheme'}:'."
        )
    if not parsed.host:
        raise OutboundURLRefused(f"'{url}' has no host.")
    if parsed.raw_user is not None or parsed.raw_password is not None:
        raise OutboundURLRefused("URLs with embedded credentials are not allowed.")
    return parsed


def names_private_host(host: str) -> bool:
    """``localhost`` names and literal non-public addresses: what a URL shows by itself.
    Other names can only be judged once resolved (resolve_public_addresses)."""
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return not is_public_address(ipaddress.ip_address(name))
    except ValueError:
        return False


def _has_dot_segments(path: str) -> bool:
    return any(segment in (".", "..") for segment in unquote(path).split("/"))


def _under_prefix(path: str, prefix: str) -> bool:
    prefix = prefix.rstrip("/")
    return not prefix or path == prefix or path.startswith(prefix + "/")


def _raw_path(url: str | URL) -> str:
    # As written: parsing normalises "/a/%2e%2e/b" to "/b", hiding what was asked for.
    if isinstance(url, URL):
        return url.raw_path
    try:
        return URL(url, encoded=True).raw_path
    except (TypeError, ValueError):
        return ""


def check_url_allowed(url: str | URL, allowlist: Sequence[str]) -> URL:
    """The parsed URL when it is http(s) and under an allow-list entry; else refuse."""
    parsed = parse_http_url(url)
    if _has_dot_segments(_raw_path(url)):
        raise OutboundURLRefused("URLs with '.' or '..' path segments are not allowed.")
    origin = (parsed.scheme, parsed.host, default_port(parsed))
    for entry in allowlist:
        allowed = URL(entry)
        if (allowed.scheme, allowed.host, default_port(allowed)) == origin and _under_prefix(
            parsed.path, allowed.path
        ):
            return parsed
    raise OutboundURLRefused(
        f"'{parsed.scheme}://{parsed.host}' is not on this server's list of allowed "
        "services; ask the operator to add it."
    )


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0 and int(address) > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(int(address))
    return None


def is_public_address(address: IPAddress) -> bool:
    """True only for globally routable unicast addresses."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and not is_public_address(embedded):
            return False
    if address.is_multicast or address.is_unspecified or address.is_reserved:
        return False
    if any(address in network for network in _EXTRA_BLOCKED if network.version == address.version):
        return False
    return address.is_global


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def resolve_public_addresses(
    host: str,
    port: int,
    *,
    allow_private: bool = False,
    resolver: AddressLookup = system_resolver,
) -> list[str]:
    """The host's addresses, refusing if any of them is not public (unless allowed)."""
    literal = _literal_address(host)
    if literal is not None:
        candidates = [str(literal)]
    else:
        try:
            candidates = await resolver(host, port)
        except OSError as exc:
            raise OutboundURLRefused(f"The host '{host}' could not be resolved.") from exc
    if not candidates:
        raise OutboundURLRefused(f"The host '{host}' has no addresses.")
    if allow_private:
        return candidates
    for candidate in candidates:
        address = ipaddress.ip_address(candidate.split("%", 1)[0])
        if not is_public_address(address):
            raise OutboundURLRefused(
                f"'{host}' points to a loopback, private, link-local or otherwise "
                "non-public address; the server does not connect there."
            )
    return candidates
