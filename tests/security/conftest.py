"""Real server processes for the security tests, on SQLite and (when reachable) PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.support.databases import truncate_all


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_env(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The environment that points a server process at the database under test."""
    if request.param == "sqlite":
        yield {}
        return
    url: str = request.getfixturevalue("postgres_database")
    yield {"DATABASE_URL": url}
    asyncio.run(truncate_all(url))
