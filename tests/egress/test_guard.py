"""SSRF guard tests. DNS and the sockets below the guard are replaced, so no test can reach
the network even if the guard under test were wrong."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from yarl import URL

from ai_music.egress import (
    OutboundClient,
    OutboundURLRefused,
    check_url_allowed,
    is_public_address,
    resolve_public_addresses,
)

ALLOW = ["https://colab.example.org/proxy", "http://music.example.com"]


def fake_resolver(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> list[str]:
        return table[host]

    return resolve


class RecordingSockets:
    """aiohttp's socket factory: records where each connection would go, then refuses it,
    so nothing leaves the machine."""

    def __init__(self) -> None:
        self.attempts: list[tuple[str, int]] = []

    def __call__(self, addr_info: tuple[Any, ...]) -> socket.socket:
        address = addr_info[4]
        self.attempts.append((str(address[0]), int(address[1])))
        raise OSError("no network in tests")


def forbidding_sockets() -> RecordingSockets:
    class Forbidden(RecordingSockets):
        def __call__(self, addr_info: tuple[Any, ...]) -> socket.socket:
            pytest.fail(f"a connection to {addr_info[4]} was attempted")

    return Forbidden()


@pytest.mark.parametrize(
    "url",
    [
        "https://colab.example.org/proxy",
        "https://colab.example.org/proxy/",
        "https://colab.example.org/proxy/run/predict",
        "http://music.example.com/anything",
        "http://MUSIC.example.com:80/x",
    ],
)
def test_allowed_urls(url: str) -> None:
    assert (
        check_url_allowed(url, ALLOW).host.endswith("example.org") or "example.com" in url.lower()
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "Only http and https"),
        ("gopher://music.example.com/", "Only http and https"),
        ("https://colab.example.org/proxyx", "not on this server's list"),
        ("https://colab.example.org/other", "not on this server's list"),
        ("http://colab.example.org/proxy", "not on this server's list"),
        ("https://colab.example.org:8443/proxy", "not on this server's list"),
        ("https://evil.example.net/proxy", "not on this server's list"),
        ("https://colab.example.org/proxy/%2e%2e/admin", "path segments"),
        ("https://user:pw@colab.example.org/proxy", "credentials"),
        ("http://127.0.0.1/", "not on this server's list"),
        ("not a url", "Only http and https"),
    ],
)
def test_refused_urls(url: str, reason: str) -> None:
    with pytest.raises(OutboundURLRefused, match=reason):
        check_url_allowed(url, ALLOW)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.9.9.9",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fd00::1",
        "fc00::1",
        "fe80::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::7f00:1",
        "2002:7f00:1::1",
    ],
)
def test_non_public_addresses(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "172.32.0.1"])
def test_public_addresses(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


async def test_resolution_refuses_when_any_address_is_private() -> None:
    resolver = fake_resolver({"mixed.example": ["93.184.216.34", "10.0.0.5"]})
    with pytest.raises(OutboundURLRefused, match="non-public"):
        await resolve_public_addresses("mixed.example", 443, resolver=resolver)


async def test_resolution_of_literal_skips_resolver() -> None:
    with pytest.raises(OutboundURLRefused):
        await resolve_public_addresses("::1", 80, resolver=fake_resolver({}))
    assert await resolve_public_addresses("8.8.8.8", 80, resolver=fake_resolver({})) == ["8.8.8.8"]


async def test_private_allowed_by_configuration() -> None:
    resolver = fake_resolver({"localhost": ["127.0.0.1"]})
    addresses = await resolve_public_addresses(
        "localhost", 80, allow_private=True, resolver=resolver
    )
    assert addresses == ["127.0.0.1"]


@pytest.mark.parametrize(
    ("url", "resolves_to"),
    [
        ("http://localhost/x", ["127.0.0.1"]),
        ("http://127.0.0.1/x", []),
        ("http://[::1]/x", []),
        ("http://metadata.example/latest", ["169.254.169.254"]),
        ("http://rebind.example/x", ["::ffff:127.0.0.1"]),
    ],
)
async def test_transport_refuses_before_any_connect(url: str, resolves_to: list[str]) -> None:
    host = URL(url).host
    http = OutboundClient(
        resolver=fake_resolver({host: resolves_to}), socket_factory=forbidding_sockets()
    )
    async with http:
        with pytest.raises(OutboundURLRefused):
            await http.session().get(url)


async def test_transport_refuses_non_allowlisted_url() -> None:
    http = OutboundClient(
        allowlist=ALLOW, resolver=fake_resolver({}), socket_factory=forbidding_sockets()
    )
    async with http:
        with pytest.raises(OutboundURLRefused, match="not on this server's list"):
            await http.session().get("https://elsewhere.example/x")


async def test_transport_connects_to_the_validated_address() -> None:
    sockets = RecordingSockets()
    calls = 0

    async def rebinding_resolver(host: str, port: int) -> list[str]:
        # First answer is public; a rebinding attacker would answer loopback next time.
        nonlocal calls
        calls += 1
        return ["93.184.216.34"] if calls == 1 else ["127.0.0.1"]

    http = OutboundClient(allowlist=ALLOW, resolver=rebinding_resolver, socket_factory=sockets)
    async with http:
        for _ in range(2):
            with pytest.raises(aiohttp.ClientError):
                await http.session().get("https://colab.example.org/proxy/run")
    assert calls == 1
    assert sockets.attempts == [("93.184.216.34", 443)] * 2


@pytest.fixture
async def redirecting_server() -> AsyncIterator[tuple[int, list[bytes]]]:
    """A loopback HTTP server that answers every request with a redirect to loopback."""
    requested: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        requested.append(head.split(b"\r\n", 1)[0])
        writer.write(
            b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:8000/admin\r\n"
            b"Content-Length: 0\r\n\r\n"
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1], requested


async def test_redirect_to_loopback_is_refused_without_connecting(
    redirecting_server: tuple[int, list[bytes]],
) -> None:
    # The allowed name resolves (fake DNS) to the loopback server above, so private
    # addresses are allowed here; the redirect's target is refused by the per-hop check.
    port, requested = redirecting_server
    client = OutboundClient(
        allowlist=[f"http://music.example.com:{port}"],
        allow_private=True,
        resolver=fake_resolver({"music.example.com": ["127.0.0.1"]}),
    )
    async with client:
        response = await client.session().get(
            f"http://music.example.com:{port}/go", allow_redirects=False
        )
        assert response.status == 302  # not followed unless asked
        with pytest.raises(OutboundURLRefused):
            await client.session().get(f"http://music.example.com:{port}/go", allow_redirects=True)
    assert len(requested) == 2
