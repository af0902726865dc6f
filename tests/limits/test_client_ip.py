from __future__ import annotations

from typing import Any

import pytest

from ai_music.web.client_ip import ClientAddressResolver


def scope(peer: str, *forwarded: str) -> dict[str, Any]:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return {"type": "http", "client": (peer, 1234), "headers": headers}


def test_without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() -> None:
    resolver = ClientAddressResolver([])
    assert resolver.resolve(scope("198.51.100.4", "203.0.113.9")) == "198.51.100.4"


def test_behind_a_trusted_proxy_the_address_it_appended_is_the_client() -> None:
    resolver = ClientAddressResolver(["10.0.0.0/8"])
    assert resolver.resolve(scope("10.1.2.3", "203.0.113.9")) == "203.0.113.9"


def test_addresses_a_client_prepended_are_not_believed() -> None:
    resolver = ClientAddressResolver(["10.0.0.0/8"])
    spoofed = scope("10.1.2.3", "1.2.3.4, 203.0.113.9")
    assert resolver.resolve(spoofed) == "203.0.113.9"
    two_headers = scope("10.1.2.3", "1.2.3.4", "203.0.113.9, 10.9.9.9")
    assert resolver.resolve(two_headers) == "203.0.113.9"


def test_an_untrusted_peer_cannot_claim_another_address() -> None:
    resolver = ClientAddressResolver(["10.0.0.0/8"])
    assert resolver.resolve(scope("198.51.100.4", "203.0.113.9")) == "198.51.100.4"


def test_garbage_in_the_header_is_ignored() -> None:
    resolver = ClientAddressResolver(["127.0.0.1"])
    assert resolver.resolve(scope("127.0.0.1", "not-an-ip, 2001:db8::1")) == "2001:db8::1"
    assert resolver.resolve(scope("127.0.0.1", "nonsense")) == "127.0.0.1"


def test_a_malformed_proxy_setting_fails_at_startup() -> None:
    with pytest.raises(ValueError):
        ClientAddressResolver(["not a network"])
