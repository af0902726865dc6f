"""Database access, one way for every domain (docs/architecture.md, "Database").

- A route's unit of work is the request's ``AsyncSession`` (core/dependencies.py: SessionDep
  commits when the route returns, ReadSessionDep for routes that only read). Services and
  repositories only ``flush``.
- Queries live in a domain's repository object (``HistoryRepository(db, session)``). Where the
  ORM costs more than the query, the repository's method runs a compiled statement instead
  (``Query``/``RowInsert`` here) on the database's fast reader (``db.reader``) or inside a
  batched write (``db.writes``); callers never choose the mechanism.

Modules: schema (the declarative Base), timestamps, engines (SQLite tuning), compiled
(statements compiled once), readers (the fast reader), batching (group commit), database.
"""

from ai_music.core.db.batching import SyncWrite, WriteBatcher
from ai_music.core.db.compiled import Query, RowInsert, execute, execute_many
from ai_music.core.db.database import Database
from ai_music.core.db.engines import create_engine, sqlite_path
from ai_music.core.db.readers import FastReader
from ai_music.core.db.schema import Base
from ai_music.core.db.timestamps import format_ms, now_ms, seconds_until

__all__ = [
    "Base",
    "Database",
    "FastReader",
    "Query",
    "RowInsert",
    "SyncWrite",
    "WriteBatcher",
    "create_engine",
    "execute",
    "execute_many",
    "format_ms",
    "now_ms",
    "seconds_until",
    "sqlite_path",
]
