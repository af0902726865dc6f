"""Targets refused before any connection: nothing here touches the network."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from ai_music.egress import OutboundURLRefused
from ai_music.webhooks.sender import WebhookSender
from ai_music.webhooks.signing import new_secret

JOB = {"id": "job_9"}


class NoNetwork:
    """aiohttp's socket factory that fails the test if the sender ever tries to connect."""

    def __init__(self) -> None:
        self.requests: list[tuple[Any, ...]] = []

    def __call__(self, addr_info: tuple[Any, ...]) -> socket.socket:
        self.requests.append(addr_info)
        raise AssertionError(f"a connection was attempted to {addr_info[4]}")


class FakeDNS:
    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host not in self.answers:
            raise OSError("no such host")
        return self.answers[host]


async def _no_sleep(delay: float) -> None:
    return None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://127.1.2.3:8080/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://localhost/hook",
        "http://LOCALHOST./hook",
        "http://api.localhost/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/hook",
        "file:///etc/passwd",
        "ftp://example.com/hook",
        "http://user:pass@example.com/hook",
        "not a url",
    ],
)
def test_validate_target_refuses(url: str) -> None:
    with pytest.raises(OutboundURLRefused):
        WebhookSender().validate_target(url)


def test_validate_target_accepts_public_urls_and_private_ones_when_allowed() -> None:
    assert WebhookSender().validate_target("https://hooks.example.com/a?b=c") == (
        "https://hooks.example.com/a?b=c"
    )
    allowed = WebhookSender(allow_private_network=True)
    assert allowed.validate_target("http://127.0.0.1:9/hook") == "http://127.0.0.1:9/hook"
    with pytest.raises(OutboundURLRefused):
        allowed.validate_target("file:///etc/passwd")


@pytest.mark.parametrize("answer", [["127.0.0.1"], ["93.184.216.34", "10.1.2.3"], ["::1"]])
async def test_a_name_that_resolves_to_a_private_address_is_refused_at_delivery(
    answer: list[str],
) -> None:
    network, dns = NoNetwork(), FakeDNS({"hooks.example.com": answer})
    sender = WebhookSender(resolver=dns, socket_factory=network, sleep=_no_sleep)
    try:
        url = sender.validate_target("https://hooks.example.com/hook")
        assert not await sender.deliver(url, secret=new_secret(), event="start", payload=JOB)
    finally:
        await sender.aclose()
    assert dns.lookups == ["hooks.example.com"]  # refused once, not retried
    assert network.requests == []


async def test_a_failed_lookup_is_retried_without_connecting() -> None:
    network, dns = NoNetwork(), FakeDNS({})
    sender = WebhookSender(resolver=dns, socket_factory=network, max_attempts=3, sleep=_no_sleep)
    try:
        url = "https://gone.example.com/hook"
        assert not await sender.deliver(url, secret=new_secret(), event="start", payload=JOB)
    finally:
        await sender.aclose()
    assert dns.lookups == ["gone.example.com"] * 3
    assert network.requests == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://169.254.169.254/"])
async def test_deliver_refuses_a_bad_target_even_if_never_validated(url: str) -> None:
    network, dns = NoNetwork(), FakeDNS({})
    sender = WebhookSender(resolver=dns, socket_factory=network, sleep=_no_sleep)
    try:
        assert not await sender.deliver(url, secret=new_secret(), event="start", payload=JOB)
    finally:
        await sender.aclose()
    assert dns.lookups == []
    assert network.requests == []
