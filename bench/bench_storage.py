"""Audio stores (issue 15): replay from a bucket vs the local folder, and the memory a 200 MB
answer adds while it is stored.

For each store, our server (`ai-music serve`) generates one piece from a loopback upstream
answering 200 MB of audio, while its RSS is sampled (the figure: peak minus the RSS before the
request; a first 200 MB piece is generated before, so one-time costs are not counted). Then it
replays that piece: time to first byte over 20 requests, and throughput of a whole download,
through the bearer route (bytes through our server) and, for the bucket, through the signed
media_url (a redirect, then bytes straight from the bucket).

The bucket is moto's S3 server on loopback, a Python process: its figures show the path, not
what S3 or R2 over a network would give (a real bucket adds the network round trip to the
first byte, and usually serves faster than moto).

Run: `.venv/bin/python bench/bench_storage.py`. Prints a Markdown table and writes it to
bench/results/storage.md.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import boto3
import httpx
import uvicorn
from _servers import (
    LOAD_LIMITS,
    ROOT,
    RssSampler,
    free_port,
    machine_note,
    make_users,
    ours,
    upstreams_env,
    wait_until_up,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

ANSWER_BYTES = 200 * 1024 * 1024
TTFB_SAMPLES = 20
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}


async def _answer(request: Request) -> StreamingResponse:
    """ANSWER_BYTES of ID3-tagged audio, sent a MiB at a time (this process holds one MiB)."""
    await request.body()
    block = os.urandom(1024 * 1024)

    async def body() -> AsyncIterator[bytes]:
        yield b"ID3" + block[3:]
        for _ in range(ANSWER_BYTES // len(block) - 1):
            yield block

    headers = {"Content-Length": str(ANSWER_BYTES)}
    return StreamingResponse(body(), media_type="audio/mpeg", headers=headers)


@contextmanager
def large_answer_upstream() -> Iterator[str]:
    port = free_port()
    app = Starlette(routes=[Route("/generate", _answer, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/generate"
    finally:
        server.should_exit = True
        thread.join(10)


def generate(http: httpx.Client, token: str) -> dict[str, object]:
    answer = http.post(
        "/generations",
        json={"prompt": "bench", "duration": 5, "format": "mp3"},
        headers={"Authorization": f"Bearer {token}", "Prefer": "wait=60"},
        timeout=600,
    )
    job: dict[str, object] = answer.json()
    assert job["status"] == "succeeded", job
    return job


def first_byte_ms(http: httpx.Client, url: str, headers: dict[str, str]) -> float:
    began = time.perf_counter()
    with http.stream("GET", url, headers=headers, follow_redirects=True) as response:
        next(response.iter_raw())
        return (time.perf_counter() - began) * 1000


def throughput_mb_s(http: httpx.Client, url: str, headers: dict[str, str]) -> float:
    began = time.perf_counter()
    received = 0
    with http.stream("GET", url, headers=headers, follow_redirects=True) as response:
        for chunk in response.iter_raw(1024 * 1024):
            received += len(chunk)
    assert received == ANSWER_BYTES, received
    return received / (time.perf_counter() - began) / 1e6


def measure(store: str, env: dict[str, str], upstream: str) -> list[list[str]]:
    rows = []
    with (
        ours(
            {
                **env,
                "AI_MUSIC_UPSTREAMS": upstreams_env(
                    upstream, max_audio_bytes=2 * ANSWER_BYTES, timeout_s=600
                ),
                **LOAD_LIMITS,
            }
        ) as (base, process),
        httpx.Client(base_url=base, timeout=120) as http,
    ):
        [token] = make_users(base, 1)
        bearer = {"Authorization": f"Bearer {token}"}
        generate(http, token)
        with RssSampler(process.pid, interval_s=0.02) as rss:
            job = generate(http, token)
        audio = str(job["audio_url"])
        routes = [("bearer route", audio, bearer)]
        if store.startswith("bucket"):
            routes.append(("media_url → presigned", str(job["media_url"]), {}))
        for route, url, headers in routes:
            ttfb = [first_byte_ms(http, url, headers) for _ in range(TTFB_SAMPLES)]
            rate = statistics.median(throughput_mb_s(http, url, headers) for _ in range(3))
            rows.append(
                [
                    store,
                    route,
                    f"{statistics.median(ttfb):.1f}",
                    f"{sorted(ttfb)[int(len(ttfb) * 0.9)]:.1f}",
                    f"{rate:.0f}",
                    f"{rss.peak - rss.before:.1f}",
                ]
            )
    return rows


def main() -> None:
    note = machine_note(load_generator=False)
    port = free_port()
    moto = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(endpoint)
        bucket = f"bench-{uuid.uuid4().hex[:12]}"
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        ).create_bucket(Bucket=bucket)
        bucket_env = {
            "AI_MUSIC_AUDIO_STORE": f"s3://{bucket}/audio",
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_REGION": "us-east-1",
            "AWS_ALLOW_HTTP": "true",
            **CREDENTIALS,
        }
        rows = []
        with large_answer_upstream() as upstream:
            rows += measure("local folder", {}, upstream)
            rows += measure("bucket (moto on loopback)", bucket_env, upstream)
    finally:
        moto.terminate()
        moto.wait(10)

    header = [
        "store",
        "replay through",
        "first byte, median ms",
        "first byte, p90 ms",
        "whole 200 MB, MB/s",
        "RSS added storing a 200 MB answer, MB",
    ]
    lines = [
        "# Audio stores: replay and the memory of storing a 200 MB answer",
        "",
        f"`.venv/bin/python bench/bench_storage.py`; {note}",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    (ROOT / "bench" / "results" / "storage.md").write_text(text)


if __name__ == "__main__":
    main()
