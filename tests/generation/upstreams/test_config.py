from __future__ import annotations

import json
from pathlib import Path

import pytest

from ai_music.egress import UpstreamClients
from ai_music.generation.upstreams.config import (
    UpstreamConfigError,
    build_router,
    parse_upstreams,
)
from ai_music.generation.upstreams.gradio import GradioUpstream


def test_json_list_wins_and_keeps_order(tmp_path: Path) -> None:
    raw = json.dumps(
        [
            {
                "name": "space",
                "kind": "gradio",
                "url": "https://me-music.hf.space",
                "protocol": "call",
            },
            {"name": "svc", "kind": "http", "url": "https://music.example.com/gen", "retries": 0},
        ]
    )
    configs = parse_upstreams(raw, tmp_path / "ignored.json", "https://x.hf.space", None)
    assert [c.name for c in configs] == ["space", "svc"]
    assert configs[0].timeout_s == 180 and configs[0].circuit_failures == 5
    assert configs[0].policy().max_concurrency == 256


def test_file(tmp_path: Path) -> None:
    path = tmp_path / "upstreams.json"
    path.write_text(json.dumps([{"name": "e", "kind": "engine"}]))
    assert parse_upstreams(None, path, None, None)[0].kind == "engine"
    assert parse_upstreams(None, path, None, None)[0].policy(engine_workers=3).max_concurrency == 3


def test_hf_api_url_alone_is_the_originals_legacy_space() -> None:
    (config,) = parse_upstreams(
        None, None, "https://me-music.hf.space/run/predict", "hf_SECRETVALUE"
    )
    assert config.kind == "gradio" and config.protocol == "legacy"
    assert config.inputs == ["{merged_prompt}", "{duration}"]
    assert config.hf_token is not None and config.hf_token.get_secret_value() == "hf_SECRETVALUE"
    assert "SECRETVALUE" not in repr(config)


def test_hf_api_url_of_a_space_page_is_discovered() -> None:
    (config,) = parse_upstreams(None, None, "https://huggingface.co/spaces/me/music", "hf_x")
    assert (config.protocol, config.inputs, config.api_name) == ("auto", None, None)


def test_nothing_configured_means_engine() -> None:
    assert parse_upstreams(None, None, None, None) == []
    assert parse_upstreams("  ", None, "", None) == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"name": "a"}', "JSON list"),
        ('[{"name": "a", "kind": "ftp", "url": "http://a.example"}]', "entry 0"),
        ('[{"name": "a", "kind": "http"}]', "needs a url"),
        ('[{"name": "a", "kind": "http", "url": "file:///etc/passwd"}]', "http\\(s\\) URL"),
        ('[{"name": "a", "kind": "http", "url": "http://127.0.0.1:9/x"}]', "allow_private_network"),
        (
            '[{"name": "a", "kind": "gradio", "url": "http://a.example", "inputs": ["{nope}"]}]',
            "unknown field",
        ),
        ('[{"name": "a", "kind": "engine", "tiemout_s": 3}]', "entry 0"),
        ('[{"name": "a", "kind": "engine"}, {"name": "a", "kind": "engine"}]', "unique"),
    ],
)
def test_invalid_config_is_refused_clearly(raw: str, message: str) -> None:
    with pytest.raises(UpstreamConfigError, match=message):
        parse_upstreams(raw, None, None, None)


def test_private_network_allowed_when_configured() -> None:
    entry = {"name": "a", "kind": "http", "url": "http://127.0.0.1:9/x"}
    raw = json.dumps([{**entry, "allow_private_network": True}])
    assert parse_upstreams(raw, None, None, None)[0].allow_private_network


async def test_build_router(tmp_path: Path) -> None:
    raw = json.dumps(
        [
            {
                "name": "space",
                "kind": "gradio",
                "url": "https://me.hf.space",
                "max_concurrency": 12,
                "hf_token": "t",
            },
        ]
    )
    clients = UpstreamClients()
    try:
        router = build_router(
            parse_upstreams(raw, None, None, None), clients=clients, spool_dir=tmp_path
        )
        assert isinstance(router.upstreams[0], GradioUpstream)
        assert router.states()[0]["limit"] == 12 and router.states()[0]["kind"] == "gradio"
        empty = build_router([], clients=clients, spool_dir=tmp_path, engine_pool=object())  # type: ignore[arg-type]
        assert empty.states()[0]["kind"] == "engine"
        assert build_router([], clients=clients, spool_dir=tmp_path).states() == []
    finally:
        await clients.aclose()
