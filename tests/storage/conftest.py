"""A fresh bucket per test on the moto S3 server (the s3_endpoint fixture, tests/conftest.py),
and proxies in front of it that refuse uploads half-way (helpers in tests/support/storage.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.servers import serve_in_thread
from tests.support.storage import (
    Bucket,
    FailingEndpoint,
    is_a_score,
    is_second_part,
    new_bucket,
    refusing,
)


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
