"""For the storage tests: an S3 bucket on the moto server (standing in for S3, R2 or MinIO),
a proxy in front of it that refuses chosen uploads, and generating through a real server.

The AWS_* variables live only in the environment handed to server subprocesses (Bucket.env);
this test process talks to the bucket with explicit arguments.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response

from tests.factories import SignedInUser

SECRET = "storage-tests-secret-key-0123456789abcdef"
# What a piece leaves in a store: its audio, and the score of an engine-made piece.
AUDIO_SUFFIXES = {".mp3", ".wav", ".mid"}
TERMINAL = {"succeeded", "failed", "canceled", "aborted"}
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


def new_bucket(s3_endpoint: str) -> Bucket:
    created = Bucket(s3_endpoint, f"audio-{uuid.uuid4().hex[:16]}")
    created.client().create_bucket(Bucket=created.name)
    return created


@dataclass
class FailingEndpoint:
    url: str
    refused_parts: list[str]


def is_second_part(request: Request) -> bool:
    return request.method == "PUT" and request.query_params.get("partNumber") == "2"


def is_a_score(request: Request) -> bool:
    return request.method == "PUT" and request.url.path.endswith(".mid")


def refusing(s3_endpoint: str, refused_parts: list[str], refuse: Callable[[Request], bool]) -> Any:
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


async def generate(
    http: httpx.AsyncClient, user: SignedInUser, **body: object
) -> dict[str, object]:
    answer = await http.post(
        "/generations",
        json={"prompt": "storage test", "duration": 1, "format": "mp3", **body},
        headers={**user.headers, "Prefer": "wait=60"},
    )
    assert answer.status_code in (201, 202), answer.text
    job: dict[str, object] = answer.json()
    deadline = time.monotonic() + 120
    while job["status"] not in TERMINAL and time.monotonic() < deadline:
        job = (await http.get(f"/generations/{job['id']}", headers=user.headers)).json()
    return job


def audio_files(directory: Path) -> list[Path]:
    return [path for path in directory.rglob("*") if path.suffix in AUDIO_SUFFIXES]
