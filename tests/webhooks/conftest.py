"""A real webhook receiver on a free loopback port, shared by the delivery tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.servers import serve_in_thread

from .receiver import app


@pytest.fixture(scope="session")
def receiver_url() -> Iterator[str]:
    with serve_in_thread(app) as url:
        yield url
