"""A client-named `colab_url` through the API: refused unless allowed, and never a connection
to an address the client chose (a listener on loopback counts every connection attempt)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.factories import signed_in_user
from tests.support.app import running_app
from tests.support.servers import serve_in_thread

BODY = {"prompt": "x", "duration": 5, "use_colab": True}


def app_allowing(tmp_path: Path, database_url: str, colab_origin: str) -> Any:
    """The app with ``colab_origin`` (a loopback test service) on the colab_url allow-list."""
    return running_app(
        tmp_path,
        database_url,
        colab_url_allowlist=[colab_origin],
        colab_allow_private_network=True,
    )


@asynccontextmanager
async def counting_listener() -> AsyncIterator[tuple[int, list[int]]]:
    """A TCP listener on loopback that counts the connections made to it."""
    accepted: list[int] = []

    async def on_connect(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port, accepted
    finally:
        server.close()
        await server.wait_closed()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/generate",
        "http://[::1]:{port}/generate",
        "http://localhost:{port}/generate",
        "file:///etc/passwd",
    ],
)
async def test_a_client_chosen_url_is_refused_without_connecting(
    tmp_path: Path, database_url: str, url: str
) -> None:
    async with counting_listener() as (port, accepted):
        async with running_app(tmp_path, database_url) as (client, _):
            user = await signed_in_user(client)
            body = {**BODY, "colab_url": url.format(port=port)}
            response = await client.post("/studio-generate", json=body, headers=user.headers)
        assert response.status_code == 400
        assert "colab_url" in response.json()["error"]
    assert accepted == []


async def test_an_allow_listed_loopback_url_is_still_refused_by_address(
    tmp_path: Path, database_url: str
) -> None:
    async with counting_listener() as (port, accepted):
        origin = f"http://127.0.0.1:{port}"
        async with running_app(tmp_path, database_url, colab_url_allowlist=[origin]) as (client, _):
            user = await signed_in_user(client)
            body = {**BODY, "colab_url": f"{origin}/generate"}
            response = await client.post("/studio-generate", json=body, headers=user.headers)
        # On the list, but loopback: refused at submission, before any connection.
        assert response.status_code == 400
        assert "colab_url" in response.json()["error"]
    assert accepted == []


async def test_a_redirect_to_loopback_is_not_followed(tmp_path: Path, database_url: str) -> None:
    async with counting_listener() as (port, accepted):

        async def redirect(_: Request) -> Response:
            return Response(status_code=307, headers={"location": f"http://127.0.0.1:{port}/x"})

        redirector = Starlette(routes=[Route("/generate", redirect, methods=["POST"])])
        with serve_in_thread(redirector) as redirector_url:
            async with app_allowing(tmp_path, database_url, redirector_url) as (client, _):
                user = await signed_in_user(client)
                body = {**BODY, "colab_url": f"{redirector_url}/generate"}
                response = await client.post("/studio-generate", json=body, headers=user.headers)
        # Refused when the allowed service answers with it: the loopback target is never
        # contacted, and the client learns its URL is the problem.
        assert response.status_code == 400
        assert "colab_url redirected to another host (127.0.0.1)" in response.json()["error"]
    assert accepted == []


async def test_an_allow_listed_url_is_used(
    tmp_path: Path, database_url: str, fault_service_url: str
) -> None:
    async with app_allowing(tmp_path, database_url, fault_service_url) as (client, _):
        user = await signed_in_user(client)
        body = {**BODY, "colab_url": f"{fault_service_url}/ok"}
        response = await client.post("/studio-generate", json=body, headers=user.headers)
    assert response.status_code == 200
    assert response.headers["x-upstream"] == "colab"
