from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .loopback import close_loopback_clients


@pytest.fixture(autouse=True)
async def _close_loopback_servers() -> AsyncIterator[None]:
    yield
    await close_loopback_clients()
