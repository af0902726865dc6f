"""A real S3 protocol server on loopback (moto's server mode), a fresh bucket per test, and
proxies in front of it that refuse uploads half-way (helpers in tests/support/storage.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from tests.server_process import helper_process
from tests.support.servers import serve_in_thread
from tests.support.storage import (
    Bucket,
    FailingEndpoint,
    is_a_score,
    is_second_part,
    new_bucket,
    refusing,
)


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """``moto_server`` in a subprocess on a free loopback port."""
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "{port}"]
    with helper_process(argv, "/", what="moto_server", timeout_s=30) as url:
        yield url


@pytest.fixture
def bucket(s3_endpoint: str) -> Bucket:
    return new_bucket(s3_endpoint)


@pytest.fixture(scope="session")
def failing_s3_endpoint(s3_endpoint: str) -> Iterator[FailingEndpoint]:
    """Refuses part 2 of every multipart upload."""
    refused: list[str] = []
    with serve_in_thread(refusing(s3_endpoint, refused, is_second_part)) as url:
        yield FailingEndpoint(url, refused)


@pytest.fixture(scope="session")
def score_refusing_s3_endpoint(s3_endpoint: str) -> Iterator[FailingEndpoint]:
    """Takes the audio, refuses every MIDI score."""
    refused: list[str] = []
    with serve_in_thread(refusing(s3_endpoint, refused, is_a_score)) as url:
        yield FailingEndpoint(url, refused)
