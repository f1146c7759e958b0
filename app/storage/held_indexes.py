"""A bulk load into PostgreSQL with its secondary indexes and foreign keys held off, as
``pg_restore`` does: rows go in by ``COPY`` into bare tables, then each index is built once over
all of them and each foreign key is checked by one query over all of them. Row by row, the server
kept every index up to date and ran one referential check per row (its foreign-key triggers,
which ``DISABLE TRIGGER USER`` leaves on and only a superuser could turn off): most of a move's
time at the server.

Only within one transaction: the definitions are read from the server's own catalogue
(``pg_get_indexdef``, ``pg_get_constraintdef``) and made again exactly, so a copy that fails
half-way rolls back with the tables as they were, and one that commits has every index and key
the migrations made (a test compares the two catalogues)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection

_FOREIGN_KEYS = sa.text(
    "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
    "WHERE c.contype = 'f' AND c.conrelid = ANY(CAST(:tables AS regclass[])) ORDER BY c.conrelid::regclass::text, c.conname")
#: indexes of their own, not those a primary key or unique constraint owns (a load keeps those)
_INDEXES = sa.text(
    "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
    "WHERE i.indrelid = ANY(CAST(:tables AS regclass[])) "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY 1")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _run(connection: Connection, statement: str) -> None:
    """The catalogue's own text, as it is: a ``%`` in it is not a placeholder (errors come as
    SQLAlchemy's, which the caller turns into words)."""
    connection.exec_driver_sql(statement.replace("%", "%%"))


@contextmanager
def indexes_and_keys_held(connection: Connection, tables: Sequence[str]) -> Iterator[None]:
    """Drop the secondary indexes and foreign keys of ``tables`` on ``connection`` (inside a
    transaction) for the block, and make them again after it (the keys checked then, over every
    row: a row whose parent is missing fails the load there). Not made again if the block raises:
    the caller rolls the transaction back."""
    regclasses = [_quoted(t) for t in tables]
    keys = connection.execute(_FOREIGN_KEYS, {"tables": regclasses}).all()
    indexes = connection.execute(_INDEXES, {"tables": regclasses}).all()
    for table, name, _definition in keys:
        _run(connection, f"ALTER TABLE {table} DROP CONSTRAINT {_quoted(name)}")
    for name, _definition in indexes:
        _run(connection, f"DROP INDEX {name}")
    yield
    for _name, definition in indexes:
        _run(connection, definition)
    for table, name, definition in keys:
        _run(connection, f"ALTER TABLE {table} ADD CONSTRAINT {_quoted(name)} {definition}")
