"""Statements compiled once per dialect and run on the driver, for the hot paths.

The ORM costs more than the query itself on the hottest reads and on the job path's writes;
these skip it while still being SQLAlchemy Core statements (docs/architecture.md, "Database").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import BindParameter, bindparam, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.schema import ScalarElementColumnDefault


class Query:
    """A statement compiled once per dialect into the driver's own SQL and positional arguments."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    @staticmethod
    def param(name: str) -> BindParameter[Any]:
        return bindparam(name)

    def sql_and_args(self, dialect: Dialect, params: dict[str, Any]) -> tuple[str, list[Any]]:
        compiled = self._compiled_for(dialect)
        return compiled.sql, compiled.args_of(params)

    def sql_and_rows(
        self, dialect: Dialect, rows: Sequence[dict[str, Any]]
    ) -> tuple[str, list[Sequence[Any]]]:
        """The SQL and every row's arguments, bound in one pass (a heartbeat binds ~1,000)."""
        compiled = self._compiled_for(dialect)
        try:
            return compiled.sql, [compiled.pick(row) for row in rows]
        except KeyError:
            return compiled.sql, [compiled.args_of(row) for row in rows]

    def _compiled_for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            statement = self.statement.compile(dialect=dialect)
            order = tuple(getattr(statement, "positiontup", None) or ())
            compiled = _Compiled(statement.string, order, dict(statement.params))
            self._compiled[dialect.name] = compiled
        return compiled


class _Compiled:
    def __init__(self, sql: str, order: tuple[str, ...], defaults: dict[str, Any]) -> None:
        self.sql = sql
        self.order = order
        self.defaults = defaults
        self.pick: Callable[[dict[str, Any]], tuple[Any, ...]] = _tuple_getter(order)

    def args_of(self, params: dict[str, Any]) -> list[Any]:
        # Binds the statement fixed itself (e.g. SQLite's OFFSET) keep their compiled value.
        defaults = self.defaults
        return [params[name] if name in params else defaults[name] for name in self.order]


def _tuple_getter(order: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """``row -> tuple(row[name] for name in order)`` in C; KeyError when a name is missing."""
    if len(order) > 1:
        return itemgetter(*order)
    if len(order) == 1:
        name = order[0]
        return lambda row: (row[name],)
    return lambda row: ()


def execute(session: Session, query: Query, **params: Any) -> Any:
    """Runs a compiled statement on the session's driver connection, inside its transaction;
    returns the DB-API cursor (``rowcount``, ``fetchone``)."""
    return execute_many(session, query, [params])


def execute_many(session: Session, query: Query, rows: Sequence[dict[str, Any]]) -> Any:
    """``execute`` for many parameter sets at once (one ``executemany`` when there are
    several). Driver errors are raised as SQLAlchemy's (``IntegrityError`` and the rest), as
    ``session.execute`` would."""
    if not rows:
        return None
    connection = session.connection()
    dialect = connection.dialect
    sql, args = query.sql_and_rows(dialect, rows)
    cursor = connection.connection.cursor()
    try:
        if len(args) == 1:
            cursor.execute(sql, args[0])
        else:
            cursor.executemany(sql, args)
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(sql, rows, exc, dialect.loaded_dbapi.Error) from exc
    return cursor


class RowInsert:
    """An INSERT of every column of ``table`` (but ``exclude``), compiled once: a column the
    caller gives no value gets its constant Python-side default (``default="queued"``), else
    NULL. Callable defaults (``default=now_ms``) are the caller's to fill in."""

    def __init__(self, table: Any, *, exclude: Sequence[str] = (), returning: Any = None) -> None:
        self.columns = frozenset(c.key for c in table.columns if c.key not in exclude)
        self._defaults = {
            column.key: column.default.arg
            for column in table.columns
            if isinstance(column.default, ScalarElementColumnDefault)
        }
        statement = insert(table).values({key: bindparam(f"v_{key}") for key in self.columns})
        self._query = Query(statement if returning is None else statement.returning(returning))

    def run(self, session: Session, values: dict[str, Any]) -> Any:
        """Inserts one row; returns the DB-API cursor (``fetchone`` for ``returning``)."""
        unknown = values.keys() - self.columns
        if unknown:
            raise TypeError(f"not columns of this insert: {sorted(unknown)}")
        params = {
            f"v_{key}": values[key] if key in values else self._defaults.get(key)
            for key in self.columns
        }
        return execute(session, self._query, **params)
