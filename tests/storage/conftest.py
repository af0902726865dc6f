"""A real S3 protocol server on loopback (moto's server mode, standing in for S3, R2 or MinIO),
a fresh bucket per test, and a proxy in front of it that fails uploads half-way.

The AWS_* variables live only in the environment handed to server subprocesses (bucket_env);
this test process talks to the bucket with explicit arguments.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from tests.generation.conftest import _serve_in_thread
from tests.server_process import free_port, wait_until

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
REGION = "us-east-1"


@dataclass(frozen=True)
class Bucket:
    endpoint: str
    name: str

    def client(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION, **CREDENTIALS)

    def object_keys(self) -> list[str]:
        listing = self.client().list_objects_v2(Bucket=self.name)
        return [item["Key"] for item in listing.get("Contents", [])]

    def unfinished_uploads(self) -> list[str]:
        listing = self.client().list_multipart_uploads(Bucket=self.name)
        return [upload["Key"] for upload in listing.get("Uploads", [])]

    def env(self, endpoint: str | None = None, prefix: str = "pieces") -> dict[str, str]:
        """What a server process needs to keep its audio in this bucket."""
        return {
            "AI_MUSIC_AUDIO_STORE": f"s3://{self.name}/{prefix}",
            "AWS_ENDPOINT_URL": endpoint or self.endpoint,
            "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
            "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
            "AWS_REGION": REGION,
            "AWS_ALLOW_HTTP": "true",
        }


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
    except httpx.TransportError:
        return False
    return True


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """``moto_server`` in a subprocess on a free loopback port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(url) or process.poll() is not None, 30, "moto_server")
        assert process.poll() is None, "moto_server exited at start"
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def new_bucket(s3_endpoint: str) -> Bucket:
    created = Bucket(s3_endpoint, f"audio-{uuid.uuid4().hex[:16]}")
    created.client().create_bucket(Bucket=created.name)
    return created


@pytest.fixture
def bucket(s3_endpoint: str) -> Bucket:
    return new_bucket(s3_endpoint)


@dataclass
class FailingEndpoint:
    url: str
    refused_parts: list[str]


def _is_second_part(request: Request) -> bool:
    return request.method == "PUT" and request.query_params.get("partNumber") == "2"


def _is_a_score(request: Request) -> bool:
    return request.method == "PUT" and request.url.path.endswith(".mid")


def _refusing(s3_endpoint: str, refused_parts: list[str], refuse: Callable[[Request], bool]) -> Any:
    """An S3 endpoint that forwards everything to moto, but refuses the uploads ``refuse``
    picks, as a bucket that runs out of quota or loses its credentials mid-upload would."""
    client = httpx.AsyncClient(base_url=s3_endpoint, timeout=30)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        if refuse(request):
            await request.body()
            refused_parts.append(request.url.path)
            refused = Response(
                "<Error><Code>AccessDenied</Code><Message>quota exceeded</Message></Error>",
                status_code=403,
                media_type="application/xml",
            )
            await refused(scope, receive, send)
            return
        upstream = await client.request(
            request.method,
            request.url.path,
            params=request.url.query,
            headers=[(k, v) for k, v in request.headers.items() if k != "host"],
            content=await request.body(),
        )
        forwarded = Response(
            upstream.content,
            status_code=upstream.status_code,
            headers={
                k: v
                for k, v in upstream.headers.items()
                if k not in ("content-length", "transfer-encoding", "content-encoding")
            },
        )
        await forwarded(scope, receive, send)

    return app


@pytest.fixture(scope="session")
def failing_s3_endpoint(s3_endpoint: str) -> Iterator[FailingEndpoint]:
    """Refuses part 2 of every multipart upload."""
    refused: list[str] = []
    for url in _serve_in_thread(_refusing(s3_endpoint, refused, _is_second_part)):
        yield FailingEndpoint(url, refused)


@pytest.fixture(scope="session")
def score_refusing_s3_endpoint(s3_endpoint: str) -> Iterator[FailingEndpoint]:
    """Takes the audio, refuses every MIDI score."""
    refused: list[str] = []
    for url in _serve_in_thread(_refusing(s3_endpoint, refused, _is_a_score)):
        yield FailingEndpoint(url, refused)
