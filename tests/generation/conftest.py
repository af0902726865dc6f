"""Fixtures for the generation gateway: real services on loopback, a spool dir, the outbound
client."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from ai_music.egress import OutboundClient
from tests.server_process import helper_process
from tests.support.servers import serve_in_thread

SUPPORT = Path(__file__).parent / "support"
GRADIO_START_S = 120.0


@pytest.fixture(scope="session")
def fault_service_url() -> Iterator[str]:
    from .support.fault_service import app

    with serve_in_thread(app) as url:
        yield url


@pytest.fixture(scope="session")
def upstream_url() -> Iterator[str]:
    """The counting upstream (support/counting_upstream.py), which records every call."""
    from .support.counting_upstream import app

    with serve_in_thread(app) as url:
        yield url


@pytest.fixture(scope="session")
def legacy_gradio_url() -> Iterator[str]:
    from .support.legacy_gradio import app

    with serve_in_thread(app) as url:
        yield url


def _gradio_process(
    script: str, tmp_path_factory: pytest.TempPathFactory, ready_path: str
) -> Iterator[str]:
    """A support script serving real Gradio apps, in a subprocess on a free loopback port."""
    env = {
        **os.environ,
        "GRADIO_ANALYTICS_ENABLED": "False",
        "GRADIO_TEMP_DIR": str(tmp_path_factory.mktemp("gradio")),
        "HF_HUB_OFFLINE": "1",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    argv = [sys.executable, str(SUPPORT / script), "{port}"]
    with helper_process(
        argv, ready_path, what=f"the Gradio test app {script}", env=env, timeout_s=GRADIO_START_S
    ) as url:
        yield url


@pytest.fixture(scope="session")
def gradio_app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Gradio app (support/gradio_app.py)."""
    yield from _gradio_process("gradio_app.py", tmp_path_factory, "/config")


@pytest.fixture(scope="session")
def gradio_apps_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Real Gradio apps of every shape, one per path (support/gradio_apps.py), one process."""
    yield from _gradio_process("gradio_apps.py", tmp_path_factory, "/data_url/config")


@pytest.fixture
def spool_dir(tmp_path: Path) -> Path:
    path = tmp_path / "spool"
    path.mkdir()
    return path


@pytest.fixture
async def outbound() -> AsyncIterator[OutboundClient]:
    """The server's own outbound client (aiohttp underneath), allowed onto loopback."""
    async with OutboundClient(allow_private=True, timeout=10) as http:
        yield http
