"""Gradio app URLs as users paste them (no network): the app's base URL, what the adapter
asks for first, and where the Hugging Face token goes."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from ai_music.generation.upstreams.base import GenerationParams, UpstreamHTTPError
from ai_music.generation.upstreams.config import parse_upstreams
from ai_music.generation.upstreams.download import RemoteEndpoint
from ai_music.generation.upstreams.gradio import GradioUpstream
from ai_music.generation.upstreams.gradio_discovery import info_paths
from ai_music.generation.upstreams.space_urls import AppURL, parse_app_url

from .loopback import loopback_client

GRADIO_5_CONFIG = {"api_prefix": "/gradio_api", "version": "5.0"}


@pytest.mark.parametrize(
    ("pasted", "expected"),
    [
        # A Space's app host, bare or with whatever path the browser showed.
        ("https://acme-tunes.hf.space", AppURL("https://acme-tunes.hf.space", is_space=True)),
        (
            "https://acme-tunes.hf.space/?__theme=dark",
            AppURL("https://acme-tunes.hf.space", is_space=True),
        ),
        (
            "https://acme-tunes.hf.space/gradio_api/call/generate",
            AppURL("https://acme-tunes.hf.space", api_name="generate", is_space=True),
        ),
        # The Space's page on the Hub: its app runs on <owner>-<space>.hf.space.
        (
            "https://huggingface.co/spaces/acme/tunes",
            AppURL("https://acme-tunes.hf.space", is_space=True),
        ),
        (
            "https://huggingface.co/spaces/Acme_Labs/Music.Gen/tree/main?logs=container",
            AppURL("https://acme-labs-music-gen.hf.space", is_space=True),
        ),
        ("https://hf.co/spaces/acme/tunes/", AppURL("https://acme-tunes.hf.space", is_space=True)),
        # A Colab share link, with a trailing path or the API page's query.
        ("https://0a1b2c3d4e.gradio.live", AppURL("https://0a1b2c3d4e.gradio.live")),
        ("https://0a1b2c3d4e.gradio.live/?view=api", AppURL("https://0a1b2c3d4e.gradio.live")),
        # An app of one's own, perhaps mounted under a path; Gradio routes are dropped.
        ("http://10.0.0.5:7860/", AppURL("http://10.0.0.5:7860")),
        ("https://music.example/studio/", AppURL("https://music.example/studio")),
        ("https://music.example/studio/config", AppURL("https://music.example/studio")),
        (
            "https://music.example/studio/gradio_api/info",
            AppURL("https://music.example/studio"),
        ),
        ("https://music.example/call/compose", AppURL("https://music.example", api_name="compose")),
        # The original's HF_API_URL form: POSTed to as it is.
        (
            "https://acme-tunes.hf.space/run/predict",
            AppURL(
                "https://acme-tunes.hf.space",
                legacy_predict_url="https://acme-tunes.hf.space/run/predict",
                api_name="predict",
                is_space=True,
            ),
        ),
        (
            "https://music.example/app/api/predict",
            AppURL(
                "https://music.example/app",
                legacy_predict_url="https://music.example/app/api/predict",
            ),
        ),
    ],
)
def test_pasted_url_becomes_the_apps_base(pasted: str, expected: AppURL) -> None:
    assert parse_app_url(pasted) == expected


def test_hub_url_that_names_no_space_is_refused() -> None:
    with pytest.raises(ValueError, match="must name a Space"):
        parse_app_url("https://huggingface.co/acme/some-model")
    with pytest.raises(ValueError, match="upstream 'x'"):
        parse_upstreams(
            '[{"name": "x", "kind": "gradio", "url": "https://huggingface.co/acme"}]',
            None,
            None,
            None,
        )


@pytest.mark.parametrize(
    ("pasted", "first_requests"),
    [
        (
            "https://huggingface.co/spaces/acme/tunes",
            ["https://acme-tunes.hf.space/config", "https://acme-tunes.hf.space/gradio_api/info"],
        ),
        (
            "https://0a1b2c3d4e.gradio.live/?view=api",
            [
                "https://0a1b2c3d4e.gradio.live/config",
                "https://0a1b2c3d4e.gradio.live/gradio_api/info",
            ],
        ),
        (
            "https://music.example/studio/",
            ["https://music.example/studio/config", "https://music.example/studio/gradio_api/info"],
        ),
    ],
)
async def test_the_requests_a_pasted_url_leads_to(
    pasted: str, first_requests: list[str], tmp_path: Path
) -> None:
    """Through the adapter, with every host name answered by one loopback handler."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/config"):
            return httpx.Response(200, json=GRADIO_5_CONFIG)
        return httpx.Response(503)  # stop after discovery's second request

    client = loopback_client(handler)
    upstream = GradioUpstream(RemoteEndpoint("space", pasted, client, tmp_path))
    with pytest.raises(UpstreamHTTPError, match="503"):
        await upstream.generate(GenerationParams("x", 5, "calm", 90, "piano"))
    assert [str(r.url) for r in seen] == first_requests
    assert info_paths(GRADIO_5_CONFIG) == ("/gradio_api/info", "/info")


def test_hf_token_goes_to_spaces_only() -> None:
    upstreams = """[
        {"name": "page", "kind": "gradio", "url": "https://huggingface.co/spaces/acme/private"},
        {"name": "app", "kind": "gradio", "url": "https://acme-private.hf.space"},
        {"name": "colab", "kind": "gradio", "url": "https://0a1b2c3d4e.gradio.live"},
        {"name": "own", "kind": "gradio", "url": "https://music.example", "hf_token": "hf_own"}
    ]"""
    configs = parse_upstreams(upstreams, None, None, "hf_shared")
    tokens = {c.name: c.hf_token.get_secret_value() if c.hf_token else None for c in configs}
    assert tokens == {"page": "hf_shared", "app": "hf_shared", "colab": None, "own": "hf_own"}


async def test_private_space_gets_the_token_on_every_request(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(404)

    [config] = parse_upstreams(
        '[{"name": "p", "kind": "gradio", "url": "https://huggingface.co/spaces/acme/private"}]',
        None,
        None,
        "hf_secret",
    )
    assert config.hf_token is not None
    client = loopback_client(handler)
    upstream = GradioUpstream(
        RemoteEndpoint("p", config.url or "", client, tmp_path),
        hf_token=config.hf_token.get_secret_value(),
    )
    with pytest.raises(UpstreamHTTPError, match="no route /run/predict"):
        await upstream.generate(GenerationParams("x", 5, "calm", 90, "piano"))
    assert len(seen) > 3
    assert {r.url.host for r in seen} == {"acme-private.hf.space"}
    assert {r.headers.get("authorization") for r in seen} == {"Bearer hf_secret"}
