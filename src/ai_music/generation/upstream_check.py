"""``ai-music upstream check [NAME]``: probe each configured upstream, say what was found
(protocol, endpoint, how our controls map onto its inputs, what it returns), then run one
short test generation with a progress bar. Exits non-zero with a fix-it message when
something is off."""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

from ai_music.core.config import Settings, get_settings
from ai_music.egress import UpstreamClients
from ai_music.generation.audio import probe_duration
from ai_music.generation.components import LazyEnginePool
from ai_music.generation.upstreams.base import (
    GenerationParams,
    Progress,
    Upstream,
    UpstreamConfigurationError,
    UpstreamConnectionError,
    UpstreamError,
    UpstreamHTTPError,
    UpstreamTimeout,
)
from ai_music.generation.upstreams.config import (
    UpstreamConfig,
    UpstreamConfigError,
    build_upstream,
    parse_upstreams,
)
from ai_music.generation.upstreams.gradio import GradioUpstream
from ai_music.generation.upstreams.space_urls import parse_app_url

__all__ = ["ProgressBar", "fix_for", "run_check"]

_BAR_WIDTH = 30
TEST_PROMPT = "a short test tune"


def run_check(name: str | None, *, generate: bool = True, out: TextIO = sys.stdout) -> int:
    settings = get_settings()
    try:
        configs = parse_upstreams(
            settings.upstreams, settings.upstreams_file, settings.hf_api_url, settings.hf_token
        )
    except UpstreamConfigError as exc:
        print(f"✗ the upstream configuration is invalid: {exc}", file=out)
        return 2
    if not configs:
        configs = [UpstreamConfig(name="engine", kind="engine", audio_format="wav")]
        print("No upstream configured: the built-in engine generates.", file=out)
    if name is not None:
        configs = [config for config in configs if config.name == name]
        if not configs:
            print(f"✗ no upstream named {name!r} is configured.", file=out)
            return 2
    return asyncio.run(_check_all(configs, settings, generate=generate, out=out))


async def _check_all(
    configs: list[UpstreamConfig], settings: Settings, *, generate: bool, out: TextIO
) -> int:
    spool = Path(tempfile.mkdtemp(prefix="ai-music-check-"))
    engine_pool = LazyEnginePool(settings.engine_workers)
    clients = UpstreamClients()
    failures = 0
    try:
        for config in configs:
            upstream = build_upstream(
                config, clients=clients, spool_dir=spool, engine_pool=engine_pool
            )
            try:
                ok = await _check_one(upstream, config, settings, generate=generate, out=out)
            finally:
                await upstream.aclose()
            failures += not ok
    finally:
        await clients.aclose()
        await engine_pool.aclose()
        shutil.rmtree(spool, ignore_errors=True)
    return 1 if failures else 0


async def _check_one(
    upstream: Upstream, config: UpstreamConfig, settings: Settings, *, generate: bool, out: TextIO
) -> bool:
    print(f"\n{config.name} ({config.kind}){f'  {config.url}' if config.url else ''}", file=out)
    try:
        if isinstance(upstream, GradioUpstream):
            await _show_plan(upstream, out)
        if generate:
            await _test_generation(upstream, config, settings, out)
    except UpstreamError as exc:
        print(f"  ✗ {exc.message}", file=out)
        print(f"  fix: {fix_for(exc, config)}", file=out)
        return False
    return True


async def _show_plan(upstream: GradioUpstream, out: TextIO) -> None:
    plan = await upstream.ensure_plan()
    report = plan.report()
    described = report["described_by"] or "nothing (the app serves no API description)"
    print(f"  app:       {upstream.status()['url']}", file=out)
    print(f"  described: {described}", file=out)
    print(f"  protocol:  {upstream.protocol_in_use()}", file=out)
    print(f"  endpoint:  {report['endpoint']}", file=out)
    print("  inputs:", file=out)
    for line in report["inputs"]:
        print(f"    {line}", file=out)
    print(f"  outputs:   {report['outputs']}", file=out)


async def _test_generation(
    upstream: Upstream, config: UpstreamConfig, settings: Settings, out: TextIO
) -> None:
    params = GenerationParams(
        prompt=TEST_PROMPT,
        duration=settings.min_duration_s,
        mood="Happy",
        tempo=120,
        instruments="piano",
    )
    bar = ProgressBar(out)
    started = time.monotonic()
    try:
        async with asyncio.timeout(config.timeout_s):
            audio = await upstream.generate(params, progress=bar.update)
    except TimeoutError as exc:
        raise UpstreamTimeout(
            f"The test generation did not finish within {config.timeout_s:g} s.",
            upstream=config.name,
        ) from exc
    finally:
        bar.close()
    elapsed = time.monotonic() - started
    try:
        seconds = probe_duration(audio.path, audio.container)
    finally:
        audio.path.unlink(missing_ok=True)
    length = f", {seconds:.1f} s of audio" if seconds is not None else ""
    print(
        f"  ✓ test generation: {audio.container.upper()}, {audio.size / 1024:.1f} kB{length}, "
        f"in {elapsed:.1f} s",
        file=out,
    )


class ProgressBar:
    """One line redrawn in place on a terminal; a line per tenth done elsewhere (logs, CI)."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._live = out.isatty()
        self._shown: tuple[int, str | None] | None = None

    def update(self, progress: Progress) -> None:
        fraction = progress.fraction or 0.0
        label = progress.message
        if progress.queue_position:
            label = f"queued, position {progress.queue_position}"
        key = (int(fraction * 10), label)
        if not self._live and key == self._shown:
            return
        self._shown = key
        filled = int(fraction * _BAR_WIDTH)
        eta = f" ~{progress.eta_seconds:.0f} s left" if progress.eta_seconds else ""
        line = f"  [{'#' * filled}{'.' * (_BAR_WIDTH - filled)}] {fraction:4.0%} {label or ''}{eta}"
        if self._live:
            self._out.write("\r" + line.ljust(79))
        else:
            self._out.write(line.rstrip() + "\n")
        self._out.flush()

    def close(self) -> None:
        if self._live and self._shown is not None:
            self._out.write("\n")


def fix_for(error: UpstreamError, config: UpstreamConfig) -> str:
    """What to change, for the error a check met."""
    if isinstance(error, UpstreamConfigurationError):
        return "set this upstream's api_name (the endpoints found are listed above)."
    if isinstance(error, UpstreamHTTPError):
        if error.http_status in (401, 403):
            return "a private Space needs a token: set hf_token on the upstream, or HF_TOKEN."
        if error.http_status == 404:
            private = (
                " A private Space answers 404 without a token: set hf_token or HF_TOKEN."
                if config.hf_token is None and config.url and parse_app_url(config.url).is_space
                else ""
            )
            return (
                "check the url (the app's own address, or its huggingface.co/spaces page) and, "
                f"if set, api_name and protocol.{private}"
            )
        if error.http_status in (502, 503):
            return "the app is starting, sleeping or overloaded: wait a minute and check again."
        return "the app refused or failed the test request: look at the app's own logs."
    if isinstance(error, UpstreamConnectionError):
        return (
            f"nothing answers at {config.url}: is the app running? A Colab share link "
            "(*.gradio.live) changes each time the notebook starts: paste the new one."
        )
    if isinstance(error, UpstreamTimeout):
        return f"raise timeout_s (now {config.timeout_s:g}) or use a smaller model."
    return (
        "the endpoint answered without usable audio: it should return gr.Audio (a file, numpy "
        "audio or a data URL); if it is the wrong endpoint, set api_name; if its inputs are "
        "mapped wrongly, set inputs."
    )
