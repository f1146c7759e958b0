"""Bulk inserts (the demo, the workbook import): SQLAlchemy Core, with a direct path on SQLite.

At 200,000 cases the demo and an import each write about 850,000 rows. Through Core,
SQLAlchemy's per-row parameter processing costs about as much as SQLite's own work, so on SQLite
the statement is still compiled by SQLAlchemy (same SQL, same quoting) but the values are
converted here exactly as SQLAlchemy's column types store them (ISO dates, 0/1 booleans, JSON
text) and handed to the driver in chunks, many rows to a statement (``ROWS_PER_STATEMENT``).
Rows that would need more of SQLAlchemy (a column default to fill in, a type not converted here)
and other databases (PostgreSQL) take the plain Core insert.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Table, TypeDecorator, insert
from sqlalchemy.orm import Session

from app.storage.models import Base

CHUNK = 10_000
#: Rows per INSERT statement on SQLite (``VALUES (…), (…), …``): a statement per row costs each row a
#: statement's own work, and the register's index of the case IDs (an FTS5 table its triggers keep,
#: migration 0016) writes what it holds at the end of every statement: 20,000 cases one by one took a
#: second, in 40 statements 0.05 s. SQLite takes at most ``MAX_VALUES`` values in one statement.
ROWS_PER_STATEMENT = 500
MAX_VALUES = 32_766
Converter = Callable[[Any], Any] | None


def _date(value: Any) -> Any:
    return None if value is None else value.isoformat()


def _flag(value: Any) -> Any:
    return None if value is None else int(value)


class _NotConverted(Exception):
    """A column this module does not convert as SQLAlchemy would: Core inserts the rows."""


def _converter(column_type: Any) -> Converter:
    """How SQLAlchemy's SQLite types store a Python value (None: as it is)."""
    if isinstance(column_type, DateTime | TypeDecorator):
        raise _NotConverted(type(column_type).__name__)
    if isinstance(column_type, Date):
        return _date
    if isinstance(column_type, Boolean):
        return _flag
    if isinstance(column_type, JSON):
        return json.dumps  # JSON's default: None is stored as JSON null, not SQL NULL
    return None


class BulkWriter:
    """Inserts lists of row dicts (all with the same keys) into one session's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        self._plans: dict[tuple[str, tuple[str, ...]], tuple[str, list[tuple[str, Converter]]] | None] = {}

    def insert(self, model: type[Base], rows: list[dict]) -> int:
        if not rows:
            return 0
        table: Table = model.__table__  # type: ignore[assignment]
        planned = self._plan(table, rows[0].keys()) if self.sqlite else None
        if planned is None:
            for i in range(0, len(rows), CHUNK):
                self.session.execute(insert(table), rows[i:i + CHUNK])
            return len(rows)
        sql, plan = planned
        for i in range(0, len(rows), CHUNK):
            insert_values(self.session, sql, _values(rows[i:i + CHUNK], plan))
        return len(rows)

    def _plan(self, table: Table, keys: Iterable[str]) -> tuple[str, list[tuple[str, Converter]]] | None:
        """The compiled INSERT and, in its parameter order, each column's converter; None when
        the rows need SQLAlchemy itself (a default for a column they leave out, an unconverted type)."""
        key = (table.name, tuple(keys))
        if key not in self._plans:
            compiled = insert(table).compile(dialect=self.session.get_bind().dialect, column_keys=list(key[1]))
            order = list(compiled.positiontup or ())
            try:
                if not set(order) <= set(key[1]):
                    raise _NotConverted("a default to fill in")
                self._plans[key] = (str(compiled), [(name, _converter(table.c[name].type)) for name in order])
            except _NotConverted:
                self._plans[key] = None
        return self._plans[key]


def insert_values(session: Session, sql: str, values: list[tuple]) -> None:
    """``values`` inserted on SQLite by ``sql`` (``INSERT … VALUES (?, …)``, one row's), straight
    to the driver, ``ROWS_PER_STATEMENT`` rows to a statement (the workbook's rows, the audit
    entries of an import)."""
    if not values:
        return
    head, _, group = sql.partition(" VALUES ")
    per = max(1, min(ROWS_PER_STATEMENT, MAX_VALUES // max(1, len(values[0]))))
    whole = len(values) - len(values) % per
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if whole:
            cursor.executemany(f"{head} VALUES {', '.join([group] * per)}",
                               [[v for row in values[j:j + per] for v in row] for j in range(0, whole, per)])
        if whole < len(values):
            cursor.execute(f"{head} VALUES {', '.join([group] * (len(values) - whole))}",
                           [v for row in values[whole:] for v in row])
    finally:
        cursor.close()


def _values(rows: list[dict], plan: list[tuple[str, Converter]]) -> list[tuple]:
    return [tuple([convert(row[name]) if convert else row[name] for name, convert in plan]) for row in rows]
