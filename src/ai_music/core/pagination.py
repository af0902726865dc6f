"""Page cursors: an opaque, URL-safe "(created_at_ms, id)" that the server issued.

A cursor is client text when it comes back, so it is decoded strictly (only the base64url
alphabet, two parts) and its numbers must lie in a 64-bit column's range: anything else is a
400, never an overflow in the database driver.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated, Any

from fastapi import Query
from sqlalchemy import ColumnElement, SQLColumnExpression, and_, or_

from ai_music.core.errors import BadRequest

MAX_DB_INT = 2**63 - 1
_ALPHABET = re.compile(r"^[A-Za-z0-9_-]*$")
NOT_A_CURSOR = "cursor: not a cursor this server issued"

# The query parameters of every list route: ?limit= (1..100, default 20) and ?cursor=.
PageLimit = Annotated[int, Query(ge=1, le=100)]
PageCursor = Annotated[str | None, Query(max_length=200)]


def encode_cursor(created_at_ms: int, key: int | str) -> str:
    return base64.urlsafe_b64encode(f"{created_at_ms}:{key}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    """``(created_at_ms, key)``; raises BadRequest for anything this server did not issue."""
    if not _ALPHABET.match(cursor):
        raise BadRequest(NOT_A_CURSOR)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        created_at_ms, key = raw.split(":", 1)
        return checked_db_int(int(created_at_ms)), key
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(NOT_A_CURSOR) from exc


def decode_int_cursor(cursor: str) -> tuple[int, int]:
    created_at_ms, key = decode_cursor(cursor)
    try:
        return created_at_ms, checked_db_int(int(key))
    except ValueError as exc:
        raise BadRequest(NOT_A_CURSOR) from exc


def checked_db_int(value: int) -> int:
    if not 0 <= value <= MAX_DB_INT:
        raise ValueError("out of range")
    return value


def older_than(
    created_at_ms: SQLColumnExpression[Any],
    key: SQLColumnExpression[Any],
    before_ms: Any,
    before_key: Any,
) -> ColumnElement[bool]:
    """The rows after a cursor in newest-first order (``created_at_ms`` desc, then ``key``)."""
    return or_(created_at_ms < before_ms, and_(created_at_ms == before_ms, key < before_key))


def next_cursor(count: int, limit: int, created_at_ms: int, key: int | str) -> str | None:
    """The cursor of the page after one that returned ``count`` rows, the last at
    (``created_at_ms``, ``key``); None when that page was the last."""
    return encode_cursor(created_at_ms, key) if count >= limit else None
