"""Rendered history pages, kept while the user's history is unchanged.

A frontend re-reads its user's history far more often than the history changes. Each user
row carries ``history_version``, bumped in the same transaction as every history write
(``HistoryRepository._changed``), and the bearer-token check already reads that row — so a
request knows, at no extra query, whether a page rendered earlier is still exact. That holds
across server processes too, because the version lives in the database.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable


class HistoryPageCache:
    """A small LRU of rendered JSON bodies, keyed by (what page, user id, history version)."""

    def __init__(self, max_entries: int = 1024) -> None:
        self._max_entries = max_entries
        self._bodies: OrderedDict[Hashable, bytes] = OrderedDict()

    def get(self, key: Hashable) -> bytes | None:
        body = self._bodies.get(key)
        if body is not None:
            self._bodies.move_to_end(key)
        return body

    def put(self, key: Hashable, body: bytes) -> None:
        self._bodies[key] = body
        self._bodies.move_to_end(key)
        while len(self._bodies) > self._max_entries:
            self._bodies.popitem(last=False)


def etag_for(user_id: int, version: int, variant: str) -> str:
    return f'W/"h{user_id}.{version}.{variant}"'
