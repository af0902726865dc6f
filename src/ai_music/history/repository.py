"""Every query on history entries, and the public JSON of an entry (HistoryEntryPublic).

``HistoryRepository`` is the one way in: routes build it from the database and, when they
write or read single entries, the request's session. Its list reads are compiled statements on
the database's fast reader (core/db: no ORM on the hottest reads); rows come back as named
dataclasses. The job path records entries inside its own batched writes through
``insert_history_entry``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from ai_music.accounts.models import User
from ai_music.core.db import Database, Query, RowInsert, execute, format_ms, now_ms
from ai_music.core.pagination import decode_int_cursor, next_cursor, older_than
from ai_music.history.models import HistoryEntry
from ai_music.history.schemas import HistoryEntryPublic, HistoryPage, LegacyHistoryItem
from ai_music.storage.media import MediaLinks

_NEWEST = 2**62


@dataclass(slots=True)
class LegacyRow:
    """The original route's columns, named as on HistoryEntry: it is the hottest read, and
    fewer columns fetch faster."""

    id: int
    prompt: str
    mood: str
    instruments: str
    tempo: int | None
    duration: float | None
    created_at_ms: int
    audio_format: str | None
    midi_key: str | None


@dataclass(slots=True)
class HistoryRow(LegacyRow):
    """The columns a history page shows."""

    source: str
    upstream: str | None
    generation_ms: int | None
    audio_size: int | None
    audio_duration_s: float | None


def _columns(row: type[LegacyRow]) -> list[Any]:
    return [getattr(HistoryEntry, field.name) for field in fields(row)]


def _page_query(row: type[LegacyRow]) -> Query:
    return Query(
        select(*_columns(row))
        .where(
            HistoryEntry.user_id == Query.param("user_id"),
            older_than(
                HistoryEntry.created_at_ms,
                HistoryEntry.id,
                Query.param("before_ms"),
                Query.param("before_id"),
            ),
        )
        .order_by(HistoryEntry.created_at_ms.desc(), HistoryEntry.id.desc())
        .limit(Query.param("limit"))
    )


_PAGE = _page_query(HistoryRow)
_LEGACY_PAGE = _page_query(LegacyRow)
# A page is validated in one call into pydantic-core, not one model a row: it is the hot path.
_LEGACY_LIST = TypeAdapter(list[LegacyHistoryItem])


def audio_url(entry_id: int) -> str:
    return f"/history/{entry_id}/audio"


def midi_url(entry_id: int) -> str:
    return f"/history/{entry_id}/midi"


def _entry_fields(row: LegacyRow, media_links: MediaLinks, expires: int | None) -> dict[str, Any]:
    """The fields every form of an entry shares."""
    return {
        "id": row.id,
        "prompt": row.prompt,
        "mood": row.mood,
        "instruments": row.instruments,
        "tempo": row.tempo,
        "duration": row.duration,
        "created_at": format_ms(row.created_at_ms),
        "midi_url": midi_url(row.id) if row.midi_key else None,
        **media_links.fields_for(row.id if row.audio_format else None, expires),
    }


def _public_fields(row: HistoryRow, media_links: MediaLinks, expires: int | None) -> dict[str, Any]:
    audio = None
    if row.audio_format:
        audio = {
            "url": audio_url(row.id),
            "format": row.audio_format,
            "size": row.audio_size or 0,
            "duration_s": row.audio_duration_s,
        }
    return {
        **_entry_fields(row, media_links, expires),
        "source": row.source,
        "upstream": row.upstream,
        "generation_ms": row.generation_ms,
        "audio": audio,
    }


def legacy_json(rows: Sequence[LegacyRow], media_links: MediaLinks, expires: int) -> bytes:
    """The JSON of ``GET /get-history/<username>``: a list of LegacyHistoryItem."""
    items = [
        {
            **_entry_fields(row, media_links, expires),
            "audio_url": audio_url(row.id) if row.audio_format else None,
        }
        for row in rows
    ]
    return _LEGACY_LIST.dump_json(_LEGACY_LIST.validate_python(items))


def history_page(
    rows: Sequence[HistoryRow], limit: int, media_links: MediaLinks, expires: int
) -> HistoryPage:
    items = [_public_fields(row, media_links, expires) for row in rows]
    return HistoryPage.model_validate({"items": items, "next_cursor": page_cursor(rows, limit)})


def public_entry(row: HistoryRow, media_links: MediaLinks) -> HistoryEntryPublic:
    return HistoryEntryPublic.model_validate(_public_fields(row, media_links, None))


def page_cursor(rows: Sequence[HistoryRow], limit: int) -> str | None:
    if not rows:
        return None
    return next_cursor(len(rows), limit, rows[-1].created_at_ms, rows[-1].id)


# Compiled once (core/db.Query): every generation records an entry.
_INSERT_ENTRY = RowInsert(HistoryEntry.__table__, exclude=("id",), returning=HistoryEntry.id)
_BUMP_HISTORY_VERSION = Query(
    update(User)
    .where(User.id == bindparam("user_id"))
    .values(history_version=User.history_version + 1)
)


def insert_history_entry(session: Session, *, user_id: int, **fields: Any) -> int:
    """Inserts an entry and returns its id. Synchronous, so that a batched write (the job
    path's) can record an entry in the same transaction as the job's own rows."""
    values = {**fields, "user_id": user_id, "created_at_ms": now_ms()}
    (entry_id,) = _INSERT_ENTRY.run(session, values).fetchone()  # RETURNING id
    mark_history_changed(session, user_id)
    return int(entry_id)


def mark_history_changed(session: Session, user_id: int) -> None:
    """Every write to a user's history goes through here: cached pages become stale."""
    execute(session, _BUMP_HISTORY_VERSION, user_id=user_id)


class HistoryRepository:
    """Queries on one user's history: lists through the fast reader, the rest in ``session``
    (the request's transaction, or a read-only session for routes that only read)."""

    def __init__(self, db: Database, session: AsyncSession | None = None) -> None:
        self._db = db
        self._session = session

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("this HistoryRepository was built without a session")
        return self._session

    async def list_page(
        self, *, user_id: int, limit: int, cursor: str | None = None
    ) -> list[HistoryRow]:
        before_ms, before_id = decode_int_cursor(cursor) if cursor else (_NEWEST, _NEWEST)
        rows = await self._db.reader.fetch_all(
            _PAGE, user_id=user_id, before_ms=before_ms, before_id=before_id, limit=limit
        )
        return [HistoryRow(*row) for row in rows]

    async def list_legacy(self, *, user_id: int, limit: int) -> list[LegacyRow]:
        rows = await self._db.reader.fetch_all(
            _LEGACY_PAGE, user_id=user_id, before_ms=_NEWEST, before_id=_NEWEST, limit=limit
        )
        return [LegacyRow(*row) for row in rows]

    async def add(self, *, user_id: int, **fields: Any) -> int:
        return await self.session.run_sync(
            lambda session: insert_history_entry(session, user_id=user_id, **fields)
        )

    async def get(self, entry_id: int) -> HistoryEntry | None:
        return await self.session.get(HistoryEntry, entry_id)

    async def get_owned(self, entry_id: int, user_id: int) -> HistoryEntry | None:
        return await self.session.scalar(
            select(HistoryEntry).where(HistoryEntry.id == entry_id, HistoryEntry.user_id == user_id)
        )

    async def delete(self, entry: HistoryEntry) -> None:
        await self.session.delete(entry)
        await self.session.flush()
        await self.session.run_sync(mark_history_changed, entry.user_id)


def entry_row(entry: HistoryEntry) -> HistoryRow:
    return HistoryRow(*(getattr(entry, field.name) for field in fields(HistoryRow)))
