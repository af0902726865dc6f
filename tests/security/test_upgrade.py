"""Issue 12, items 1, 8, 9: upgrading a database made by the old code (revision 0004) keeps every
account signing in, reports names that now collide, and stops reusing ids."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import POSTGRES_ADMIN_URL
from tests.security.conftest import SERVE
from tests.server_process import server

OLD_WEAK_PASSWORD = "123"  # the old rules let this in; the account must keep working
OLD_USERS = [(1, "Admin", "a@x.io"), (2, "admin", "b@x.io"), (3, "bob", "c@x.io")]


def database_at_0004(url: str) -> None:
    """A database as the old code left it: at revision 0004, with accounts it allowed."""

    async def build() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as connection:
            await connection.run_sync(_old_schema_and_accounts)
        await engine.dispose()

    asyncio.run(build())


def _old_schema_and_accounts(connection: sa.Connection) -> None:
    config = Config()
    config.set_main_option("script_location", "ai_music:migrations")
    config.attributes["connection"] = connection
    command.upgrade(config, "0004")
    password_hash = PasswordHasher().hash(OLD_WEAK_PASSWORD)
    for user_id, username, email in [*OLD_USERS, (4, "zed", "z@x.io")]:
        connection.execute(
            sa.text(
                "INSERT INTO users (id, full_name, username, email, password_hash, "
                "created_at_ms) VALUES (:id, 'Old', :name, :email, :hash, 0)"
            ),
            {"id": user_id, "name": username, "email": email, "hash": password_hash},
        )
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT setval('users_id_seq', 4)"))
    # The newest account is deleted before the upgrade: its id must not come back on
    # PostgreSQL (SQLite kept no record of it: migration 0005's docstring).
    connection.execute(sa.text("DELETE FROM users WHERE id = 4"))


def signin(http: httpx.Client, username: str, password: str = OLD_WEAK_PASSWORD) -> httpx.Response:
    return http.post("/signin", json={"username": username, "password": password})


def check_upgraded_server(data_dir: Path, env: dict[str, str]) -> tuple[list[int], str]:
    with (
        server(SERVE, data_dir, env) as (process, base, _),
        httpx.Client(base_url=base, timeout=30) as http,
    ):
        ids = []
        for _, username, _ in OLD_USERS:
            response = signin(http, username)
            assert response.status_code == 200, (username, response.text)
            ids.append(response.json()["user"]["id"])
        for taken in ("BOB", "Bob"):
            body = {
                "fullName": "N",
                "username": taken,
                "email": f"{taken}@n.io",
                "password": "a fresh passphrase",
            }
            assert http.post("/signup", json=body).json() == {"error": "Username already exists"}
        body = {
            "fullName": "N",
            "username": "newcomer",
            "email": "n@n.io",
            "password": "a fresh passphrase",
        }
        assert http.post("/signup", json=body).status_code == 201
        ids.append(signin(http, "newcomer", "a fresh passphrase").json()["user"]["id"])
        process.terminate()
        process.wait(timeout=30)
        output = process.stdout.read().decode() if process.stdout else ""
    return ids, output


def test_an_old_sqlite_database_upgrades_without_losing_or_merging_anyone(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    database_at_0004(f"sqlite+aiosqlite:///{data_dir / 'ai_music.db'}")

    ids, output = check_upgraded_server(data_dir, {})

    assert ids[:3] == [1, 2, 3]  # "Admin" and "admin" are still two accounts
    assert ids[3] > 3
    assert "username collision: account 2" in output


@pytest.mark.postgres
def test_an_old_postgres_database_upgrades_and_never_reuses_a_deleted_id(tmp_path: Path) -> None:
    async def create_database() -> str | None:
        try:
            admin = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=3)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            return None
        name = f"ai_music_upgrade_{uuid.uuid4().hex[:12]}"
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        return name

    async def drop_database(name: str) -> None:
        admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    name = asyncio.run(create_database())
    if name is None:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}")
    base_url = POSTGRES_ADMIN_URL.rpartition("/")[0]
    try:
        database_at_0004(f"{base_url.replace('postgresql://', 'postgresql+asyncpg://')}/{name}")
        ids, output = check_upgraded_server(tmp_path, {"DATABASE_URL": f"{base_url}/{name}"})
    finally:
        asyncio.run(drop_database(name))

    assert ids == [1, 2, 3, 5]  # 4 was deleted before the upgrade and is never handed out again
    assert "username collision: account 2" in output
