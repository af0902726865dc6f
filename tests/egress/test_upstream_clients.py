"""The configured upstreams' clients apply the guard too: an upstream whose name resolves to a
private address is refused at connect time unless it allows the private network."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ai_music.egress import UpstreamClients
from ai_music.generation.upstreams.base import GenerationParams, UpstreamBadAnswer
from ai_music.generation.upstreams.config import build_router, parse_upstreams

PARAMS = GenerationParams(prompt="rain", duration=10, mood="calm", tempo=90, instruments="piano")


async def loopback_dns(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


async def test_an_upstream_name_resolving_to_loopback_is_refused(tmp_path: Path) -> None:
    # The URL names no private host, so the configuration is accepted; what it resolves to
    # is checked at each connection (before, only the URL itself was).
    configs = parse_upstreams(
        '[{"name": "svc", "kind": "http", "url": "http://music.example/generate", "retries": 0}]',
        None,
        None,
        None,
    )
    clients = UpstreamClients(resolver=loopback_dns)
    router = build_router(configs, clients=clients, spool_dir=tmp_path)
    try:
        with pytest.raises(UpstreamBadAnswer, match="does not connect to"):
            await router.generate(PARAMS)
    finally:
        await router.aclose()
        await clients.aclose()
    assert not any(os.scandir(tmp_path))
