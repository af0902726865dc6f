"""Queries on history entries. Writes go through the session; list reads through the fast reader."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from ai_music.accounts.models import User
from ai_music.core.db import FastReader, Query, RowInsert, execute, format_ms, now_ms
from ai_music.core.pagination import decode_int_cursor, encode_cursor
from ai_music.history.models import HistoryEntry
from ai_music.storage.media import MediaLinks

_NEWEST = 2**62
_LIST_COLUMNS = (
    HistoryEntry.id,
    HistoryEntry.prompt,
    HistoryEntry.mood,
    HistoryEntry.instruments,
    HistoryEntry.tempo,
    HistoryEntry.duration,
    HistoryEntry.created_at_ms,
    HistoryEntry.source,
    HistoryEntry.upstream,
    HistoryEntry.generation_ms,
    HistoryEntry.audio_format,
    HistoryEntry.audio_size,
    HistoryEntry.audio_duration_s,
    HistoryEntry.midi_key,
)


def _page_query(*columns: Any) -> Query:
    return Query(
        select(*columns)
        .where(
            HistoryEntry.user_id == Query.param("user_id"),
            or_(
                HistoryEntry.created_at_ms < Query.param("before_ms"),
                and_(
                    HistoryEntry.created_at_ms == Query.param("before_ms"),
                    HistoryEntry.id < Query.param("before_id"),
                ),
            ),
        )
        .order_by(HistoryEntry.created_at_ms.desc(), HistoryEntry.id.desc())
        .limit(Query.param("limit"))
    )


_PAGE = _page_query(*_LIST_COLUMNS)
# The original route's fields only: it is the hottest read, and fewer columns fetch faster.
_LEGACY_PAGE = _page_query(*_LIST_COLUMNS[:7], HistoryEntry.audio_format, HistoryEntry.midi_key)


def audio_url(entry_id: int) -> str:
    return f"/history/{entry_id}/audio"


def midi_url(entry_id: int) -> str:
    return f"/history/{entry_id}/midi"


async def list_rows(
    reader: FastReader, *, user_id: int, limit: int, cursor: str | None = None
) -> Sequence[Sequence[Any]]:
    before_ms, before_id = decode_int_cursor(cursor) if cursor else (_NEWEST, _NEWEST)
    return await reader.fetch_all(
        _PAGE, user_id=user_id, before_ms=before_ms, before_id=before_id, limit=limit
    )


async def list_legacy_rows(
    reader: FastReader, *, user_id: int, limit: int
) -> Sequence[Sequence[Any]]:
    return await reader.fetch_all(
        _LEGACY_PAGE, user_id=user_id, before_ms=_NEWEST, before_id=_NEWEST, limit=limit
    )


_LEGACY_KEYS = ("id", "prompt", "mood", "instruments", "tempo", "duration")


def legacy_item(
    row: Sequence[Any], media_links: MediaLinks, expires: int | None = None
) -> dict[str, Any]:
    item = dict(zip(_LEGACY_KEYS, row, strict=False))
    item["created_at"] = format_ms(row[6])
    item["audio_url"] = audio_url(row[0]) if row[7] else None
    item["midi_url"] = midi_url(row[0]) if row[8] else None
    item.update(media_links.fields_for(row[0] if row[7] else None, expires))
    return item


def public_item(
    row: Sequence[Any], media_links: MediaLinks, expires: int | None = None
) -> dict[str, Any]:
    audio = None
    if row[10]:
        audio = {
            "url": audio_url(row[0]),
            "format": row[10],
            "size": row[11],
            "duration_s": row[12],
        }
    return {
        "id": row[0],
        "prompt": row[1],
        "mood": row[2],
        "instruments": row[3],
        "tempo": row[4],
        "duration": row[5],
        "created_at": format_ms(row[6]),
        "source": row[7],
        "upstream": row[8],
        "generation_ms": row[9],
        "audio": audio,
        "midi_url": midi_url(row[0]) if row[13] else None,
        **media_links.fields_for(row[0] if audio else None, expires),
    }


def entry_as_row(entry: HistoryEntry) -> tuple[Any, ...]:
    return tuple(getattr(entry, column.key) for column in _LIST_COLUMNS)


def next_cursor(rows: Sequence[Sequence[Any]], limit: int) -> str | None:
    if len(rows) < limit:
        return None
    last = rows[-1]
    return encode_cursor(last[6], last[0])


# Compiled once (db.Query): every generation records an entry, and the ORM session cost
# ~10x more than these statements.
_INSERT_ENTRY = RowInsert(HistoryEntry.__table__, exclude=("id",), returning=HistoryEntry.id)
_BUMP_HISTORY_VERSION = Query(
    update(User)
    .where(User.id == bindparam("user_id"))
    .values(history_version=User.history_version + 1)
)


def insert_history_entry(session: Session, *, user_id: int, **fields: Any) -> int:
    """Inserts an entry and returns its id. Synchronous, so that the job runner's write
    batcher can run it too."""
    values = {**fields, "user_id": user_id, "created_at_ms": now_ms()}
    entry_id: int = _INSERT_ENTRY.run(session, values).fetchone()[0]
    mark_history_changed(session, user_id)
    return entry_id


def mark_history_changed(session: Session, user_id: int) -> None:
    """Every write to a user's history goes through here: cached pages become stale."""
    execute(session, _BUMP_HISTORY_VERSION, user_id=user_id)


class HistoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, *, user_id: int, **fields: Any) -> int:
        return await self.session.run_sync(
            lambda session: insert_history_entry(session, user_id=user_id, **fields)
        )

    async def get_owned(self, entry_id: int, user_id: int) -> HistoryEntry | None:
        return await self.session.scalar(
            select(HistoryEntry).where(HistoryEntry.id == entry_id, HistoryEntry.user_id == user_id)
        )

    async def delete(self, entry: HistoryEntry) -> None:
        await self.session.delete(entry)
        await self.session.flush()
        await self.session.run_sync(mark_history_changed, entry.user_id)
