"""Upstream configuration: parsing ``AI_MUSIC_UPSTREAMS`` (or a file, or ``HF_API_URL``)
into validated :class:`UpstreamConfig` objects, and building the router from them."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import fields
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from yarl import URL

from ai_music.egress import UpstreamClients, names_private_host

from .base import Upstream
from .download import DEFAULT_MAX_AUDIO_BYTES, DownloadSlots, RemoteEndpoint
from .engine import EngineFormat, EnginePoolLike, EngineUpstream
from .failover import RoutePolicy, SharedUpstreamState, UpstreamRouter
from .gradio import GradioProtocol, GradioUpstream
from .gradio_inputs import DEFAULT_INPUTS, validate_templates
from .http import HttpUpstream
from .space_urls import parse_app_url

__all__ = [
    "UpstreamConfig",
    "UpstreamConfigError",
    "build_router",
    "build_upstream",
    "parse_upstreams",
]

_DEFAULT_IO_CONCURRENCY = 256
_DEFAULT_ENGINE_CONCURRENCY = 2


class UpstreamConfigError(ValueError):
    """The upstream configuration is invalid; raised at start-up with what to fix."""


class UpstreamConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64)
    kind: Literal["http", "gradio", "engine"]
    url: str | None = None
    timeout_s: float = Field(default=180.0, gt=0)
    retries: int = Field(default=2, ge=0, le=10)
    backoff_base_s: float = Field(default=1.0, ge=0)
    backoff_max_s: float = Field(default=30.0, ge=0)
    retry_after_cap_s: float = Field(default=60.0, ge=0)
    max_concurrency: int | None = Field(default=None, ge=1)
    circuit_failures: int = Field(default=5, ge=1)
    circuit_cooldown_s: float = Field(default=30.0, ge=0)
    protocol: GradioProtocol = "auto"
    # None: chosen from the app's API description (gradio_discovery.choose_endpoint).
    api_name: str | None = None
    fn_index: int | None = Field(default=None, ge=0)
    inputs: list[Any] | None = None
    hf_token: SecretStr | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    max_audio_bytes: int = Field(default=DEFAULT_MAX_AUDIO_BYTES, ge=1024)
    # Answers received at once (0: no limit), and how long one waits for a slot before it
    # is received anyway (transfer.DownloadSlots).
    download_slots: int = Field(default=16, ge=0)
    download_slot_wait_s: float = Field(default=10.0, ge=0)
    allow_private_network: bool = False
    audio_format: EngineFormat = "mp3"

    @model_validator(mode="after")
    def _check_kind_specific(self) -> Self:
        if self.kind in ("http", "gradio"):
            self._check_url()
        if self.kind == "gradio" and self.url:
            try:
                parse_app_url(self.url)
            except ValueError as exc:
                raise ValueError(f"upstream '{self.name}': {exc}") from exc
        if self.inputs is not None:
            validate_templates(self.inputs)
        return self

    def _check_url(self) -> None:
        if not self.url:
            raise ValueError(f"upstream '{self.name}' of kind {self.kind} needs a url")
        url = URL(self.url)
        if url.scheme not in ("http", "https") or not url.host:
            raise ValueError(f"upstream '{self.name}': url must be an http(s) URL")
        if not self.allow_private_network and names_private_host(url.host):
            raise ValueError(
                f"upstream '{self.name}': {url.host} is a loopback/private address; set "
                "allow_private_network to true if that is intended"
            )

    def policy(self, engine_workers: int = _DEFAULT_ENGINE_CONCURRENCY) -> RoutePolicy:
        """The routing settings, each named here as in RoutePolicy; only the concurrency
        limit has a default that depends on the kind."""
        default_limit = engine_workers if self.kind == "engine" else _DEFAULT_IO_CONCURRENCY
        settings = {setting.name: getattr(self, setting.name) for setting in fields(RoutePolicy)}
        return RoutePolicy(**{**settings, "max_concurrency": self.max_concurrency or default_limit})


def _validated(entries: Any, source: str) -> list[UpstreamConfig]:
    if not isinstance(entries, list):
        raise UpstreamConfigError(f"{source} must be a JSON list of upstream objects")
    configs = []
    for position, entry in enumerate(entries):
        try:
            configs.append(UpstreamConfig.model_validate(entry))
        except ValidationError as exc:
            raise UpstreamConfigError(f"{source}, entry {position}: {exc}") from exc
    names = [config.name for config in configs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise UpstreamConfigError(f"{source}: upstream names must be unique: {duplicates}")
    return configs


def _loads(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UpstreamConfigError(f"{source} is not valid JSON: {exc}") from exc


def parse_upstreams(
    raw_json: str | None,
    file: Path | None,
    hf_api_url: str | None,
    hf_token: str | None,
) -> list[UpstreamConfig]:
    """The configured upstreams, in order; an empty list means "use the built-in engine".

    ``AI_MUSIC_UPSTREAMS`` (``raw_json``) wins over the file, which wins over the original's
    ``HF_API_URL``: that alone gives one Gradio upstream; a predict URL gets the original's
    legacy ``{"data": [merged prompt, duration]}`` body, an app or Space URL is discovered.
    """
    if raw_json and raw_json.strip():
        configs = _validated(_loads(raw_json, "AI_MUSIC_UPSTREAMS"), "AI_MUSIC_UPSTREAMS")
        return _with_space_token(configs, hf_token)
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise UpstreamConfigError(f"cannot read upstream config file {file}: {exc}") from exc
        return _with_space_token(_validated(_loads(text, str(file)), str(file)), hf_token)
    if hf_api_url:
        entry: dict[str, Any] = {
            "name": "hf-space",
            "kind": "gradio",
            "url": hf_api_url,
            "hf_token": hf_token,
            # The operator named this URL explicitly, as the original did; honour local ones.
            "allow_private_network": True,
        }
        if _names_predict_route(hf_api_url):
            entry |= {"protocol": "legacy", "inputs": list(DEFAULT_INPUTS)}
        return _validated([entry], "HF_API_URL")
    return []


def _names_predict_route(url: str) -> bool:
    """The original's form (``.../run/predict``): POSTed to as it is; a bare app or Space URL
    is discovered like any other Gradio upstream."""
    try:
        return parse_app_url(url).legacy_predict_url is not None
    except ValueError:
        return False  # refused with its reason when the entry is validated


def _with_space_token(configs: list[UpstreamConfig], hf_token: str | None) -> list[UpstreamConfig]:
    """Gradio upstreams on Hugging Face without a token of their own get ``HF_TOKEN`` (so a
    private Space works by URL alone); the token is never sent to any other host."""
    if not hf_token:
        return configs
    return [
        config.model_copy(update={"hf_token": SecretStr(hf_token)})
        if config.kind == "gradio"
        and config.hf_token is None
        and config.url
        and parse_app_url(config.url).is_space
        else config
        for config in configs
    ]


def build_upstream(
    config: UpstreamConfig,
    *,
    clients: UpstreamClients,
    spool_dir: Path,
    engine_pool: EnginePoolLike | None,
) -> Upstream:
    if config.kind == "engine":
        if engine_pool is None:
            raise UpstreamConfigError(f"upstream '{config.name}' needs the engine pool")
        return EngineUpstream(
            pool=engine_pool,
            spool_dir=spool_dir,
            name=config.name,
            audio_format=config.audio_format,
        )
    assert config.url is not None  # checked by the model
    endpoint = RemoteEndpoint(
        name=config.name,
        url=config.url,
        client=clients.for_upstream(allow_private=config.allow_private_network),
        spool_dir=spool_dir,
        headers=config.headers,
        max_audio_bytes=config.max_audio_bytes,
        timeout_s=config.timeout_s,
        download_slots=DownloadSlots(config.download_slots, config.download_slot_wait_s),
    )
    if config.kind == "http":
        return HttpUpstream(endpoint)
    return GradioUpstream(
        endpoint,
        protocol=config.protocol,
        api_name=config.api_name,
        fn_index=config.fn_index,
        inputs=config.inputs,
        hf_token=config.hf_token.get_secret_value() if config.hf_token else None,
    )


def build_router(
    configs: list[UpstreamConfig],
    *,
    clients: UpstreamClients,
    spool_dir: Path,
    engine_pool: EnginePoolLike | None = None,
    engine_workers: int = _DEFAULT_ENGINE_CONCURRENCY,
    engine_format: EngineFormat = "mp3",
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    shared: SharedUpstreamState | None = None,
) -> UpstreamRouter:
    """The router over ``configs``; with none, over the built-in engine (when a pool is given)."""
    if not configs and engine_pool is not None:
        configs = [
            UpstreamConfig(
                name="engine",
                kind="engine",
                audio_format=engine_format,
                retries=0,
                timeout_s=600.0,
            )
        ]
    routes = [
        (
            build_upstream(config, clients=clients, spool_dir=spool_dir, engine_pool=engine_pool),
            config.policy(engine_workers),
        )
        for config in configs
    ]
    return UpstreamRouter(routes, clock=clock, sleep=sleep, shared=shared)
