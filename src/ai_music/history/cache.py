"""Rendered history pages, kept while the user's history is unchanged.

A frontend re-reads its user's history far more often than the history changes. Each user
row carries ``history_version``, bumped in the same transaction as every history write
(``repository.mark_history_changed``), and the bearer-token check already reads that row, so
a request knows, at no extra query, whether a page rendered earlier is still exact. That holds
across server processes too, because the version lives in the database.

The cache is bounded by the bytes it holds, not by a count of pages (one account's pages can
be megabytes each), and its keys are made only of values the server chose (user id, version,
a page kind and a bounded limit): a page asked for with client text, such as a cursor, is
rendered every time and never kept. A user's pages are dropped when their account is deleted.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


@dataclass(frozen=True)
class PageKey:
    user_id: int
    version: int
    variant: str  # "legacy" or "page.<limit>": chosen by the server, never client text


class HistoryPageCache:
    """An LRU of rendered JSON bodies holding at most ``max_bytes`` of them."""

    def __init__(self, max_bytes: int = 16 * 1024 * 1024) -> None:
        self._max_bytes = max_bytes
        self._bytes = 0
        self._bodies: OrderedDict[PageKey, bytes] = OrderedDict()

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get(self, key: PageKey) -> bytes | None:
        body = self._bodies.get(key)
        if body is not None:
            self._bodies.move_to_end(key)
        return body

    def put(self, key: PageKey, body: bytes) -> None:
        if len(body) > self._max_bytes // 4:
            return  # one page may not take over the cache
        self._discard(key)
        self._bodies[key] = body
        self._bytes += len(body)
        while self._bytes > self._max_bytes:
            _, evicted = self._bodies.popitem(last=False)
            self._bytes -= len(evicted)

    def forget_user(self, user_id: int) -> None:
        for key in [key for key in self._bodies if key.user_id == user_id]:
            self._discard(key)

    def _discard(self, key: PageKey) -> None:
        body = self._bodies.pop(key, None)
        if body is not None:
            self._bytes -= len(body)


def etag_for(key: PageKey) -> str:
    return f'W/"h{key.user_id}.{key.version}.{key.variant}"'
