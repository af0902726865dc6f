"""Request bodies: too large is 413 whether declared or streamed; bad JSON is a cheap 400."""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson

from tests.factories import signup_body
from tests.support.limits import ServeApp

LIMIT = 4096


async def chunks(total: int, size: int = 1024) -> AsyncIterator[bytes]:
    yield b'{"fullName": "'
    for _ in range(total // size):
        yield b"x" * size
    yield b'"}'


async def test_a_declared_length_over_the_limit_is_refused_before_the_route_runs(
    serve_app: ServeApp,
) -> None:
    async with serve_app(max_body_bytes=LIMIT) as (client, _):
        body = signup_body(fullName="x" * LIMIT)
        response = await client.post("/signup", content=orjson.dumps(body))
        assert response.status_code == 413
        assert response.json() == {"error": "Request body too large"}
        assert response.headers["x-content-type-options"] == "nosniff"
        signin = await client.post(
            "/signin", json={"username": body["username"], "password": body["password"]}
        )
        assert signin.status_code == 401  # the account was never created


async def test_a_chunked_body_is_cut_off_at_the_limit(serve_app: ServeApp) -> None:
    async with serve_app(max_body_bytes=LIMIT) as (client, _):
        response = await client.post(
            "/signup", content=chunks(10 * LIMIT), headers={"Content-Type": "application/json"}
        )
        assert "content-length" not in response.request.headers
        assert response.status_code == 413
        assert response.json() == {"error": "Request body too large"}


async def test_bodies_within_the_limit_pass(serve_app: ServeApp) -> None:
    async with serve_app(max_body_bytes=LIMIT) as (client, _):
        response = await client.post(
            "/signup", content=chunks(100, size=50), headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400  # reached the route: fields are missing
        assert response.json() == {"error": "All fields are mandatory"}


async def test_malformed_and_deeply_nested_json_are_plain_400s(serve_app: ServeApp) -> None:
    async with serve_app() as (client, _):
        headers = {"Content-Type": "application/json"}
        for body in (b"{not json", b"[" * 60_000, b'{"a":' * 10_000 + b"1" + b"}" * 10_000):
            response = await client.post("/signin", content=body, headers=headers)
            assert response.status_code == 400, body[:20]
            assert set(response.json()) == {"error"}
