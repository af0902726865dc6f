from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from ai_music.app import create_app
from ai_music.core.config import Settings
from ai_music.core.migrate import SCHEMA_HEAD, current_revision


def test_schema_head_constant_matches_the_newest_migration() -> None:
    config = Config()
    config.set_main_option("script_location", "ai_music:migrations")
    assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_HEAD


async def test_a_new_data_dir_is_migrated_at_start_up(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "fresh")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        context = app.state.context
        assert await current_revision(context.db.engine) == SCHEMA_HEAD
        async with context.db.engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        assert {"users", "auth_sessions", "history_entries"} <= set(tables)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            body = {
                "fullName": "a",
                "username": "abc",
                "email": "a@b.co",
                "password": "a long enough secret",
            }
            assert (await client.post("/signup", json=body)).status_code == 201
    with sqlite3.connect(tmp_path / "fresh" / "ai_music.db") as connection:
        [journal_mode] = connection.execute("PRAGMA journal_mode").fetchone()
    assert journal_mode == "wal"
