"""The audit log: every insert, update and delete made through a service session.

A ``before_flush`` listener turns the ORM's own change tracking into ``AuditEntry`` rows inside
the same transaction, so a change and its audit entries commit or roll back together and no
service can forget to audit. Bulk paths that bypass the ORM (import, demo) call ``record_many``.
PHI columns are masked: the audit log says a patient identifier changed, never what it was.

"Who" is the signed-in user (``Database.actor``), never the environment; a failed sign-in is
nobody's (``NOT_SIGNED_IN``), whoever's window it was typed at. Each record change also names
its record in people's words (``app.storage.audit_words``: the case ID of a dosimetry
submission, the user name of a user), kept in the entry's ``summary``. Every entry is appended
to a hash chain (``app.storage.audit_chain``) under a lock on ``audit_head``, so entries from
several workstations form one chain and an edited entry shows.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Text, cast, event, func, insert, inspect, select, text, update
from sqlalchemy.orm import Session

from app.domain.fields import PHI_CASE_FIELDS
from app.storage.audit_chain import (
    GENESIS,
    HASHED_FIELDS,
    ChainReport,
    audit_columns,
    link_all,
    stored_record,
    stored_text,
    walk,
)
from app.storage.audit_words import records_words
from app.storage.bulk import insert_values
from app.storage.models import AuditEntry, AuditHead, Base

PHI_COLUMNS: dict[str, frozenset[str]] = {"cases": frozenset(PHI_CASE_FIELDS)}
PHI_MASK = "[hidden PHI]"
#: Never in the audit log either: what a password or recovery key became.
SECRET_COLUMNS: dict[str, frozenset[str]] = {"users": frozenset({"password_hash"}),
                                             "recovery_keys": frozenset({"key_hash"}),
                                             "signing_certificates": frozenset({"private_key_pem"})}
SECRET_MASK = "[hidden]"
#: "Who" for work no person did: creating a database before its administrator exists, migrations.
SYSTEM_USER = "(system)"
#: "Who" of a failed sign-in: nobody was signed in, whatever name was tried and whoever's window it was.
NOT_SIGNED_IN = "(not signed in)"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def new_change_set() -> str:
    return uuid.uuid4().hex[:16]


def plain(value: Any) -> Any:
    """A JSON-safe copy of a column value."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


#: What each table's masked columns hold in the log instead of their value (a patient identifier's
#: mask where a column is both)
_MASKS: dict[str, dict[str, str]] = {
    table: {**dict.fromkeys(SECRET_COLUMNS.get(table, ()), SECRET_MASK), **dict.fromkeys(PHI_COLUMNS.get(table, ()), PHI_MASK)}
    for table in {*PHI_COLUMNS, *SECRET_COLUMNS}}


def _masked(table: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values as the log keeps them: a masked column's value (if any) replaced, dates as ISO text."""
    masks = _MASKS.get(table, {})
    return {key: masks[key] if value is not None and key in masks
            else value.isoformat() if isinstance(value, dt.date) else value  # a datetime is a date
            for key, value in values.items()}


def _stored(table: str, values: Mapping[str, Any] | None) -> str | None:
    """``stored_text(_masked(table, values))``, written at once (``stored_record``): the JSON text
    an entry's ``before``/``after`` is stored and hashed as."""
    if values is None:
        return None
    try:
        return stored_record(values, _MASKS.get(table, {}))
    except TypeError:  # keys that are not all column names: the dict's own way
        return stored_text(_masked(table, values))


def _record_key(obj: Base) -> str:
    identity = inspect(obj).identity
    if identity is None:
        mapper = inspect(obj).mapper
        identity = tuple(getattr(obj, col.key) for col in mapper.primary_key)
    return "/".join(str(part) for part in identity)


def _column_values(obj: Base) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    return {attr.key: getattr(obj, attr.key) for attr in mapper.column_attrs}


def _changed_values(obj: Base) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old != new:
            before[attr.key] = old
            after[attr.key] = new
    return before, after


def _entry(session: Session, action: str, table: str, key: str, before: Any, after: Any, *,
           at: dt.datetime | None = None) -> dict:
    """An entry as ``append`` takes it, its values stored (``_stored``). ``at``: the time of the
    entries written together (an import's: each then shares it, and ``link_all`` its form)."""
    return {
        "at": at or session.info.get("at") or now(),
        "user": session.info.get("user") or SYSTEM_USER,
        "action": action,
        "table_name": table,
        "record_key": key,
        "before": _stored(table, before),
        "after": _stored(table, after),
        "change_set": session.info.get("change_set"),
        "summary": None,
    }


def _tables_written(session: Session, tables: Iterable[str]) -> None:
    session.info.setdefault("changed_tables", set()).update(tables)


@event.listens_for(Session, "before_flush")
def _audit_flush(session: Session, flush_context: Any, instances: Any) -> None:
    if not session.info.get("audited"):
        return
    if session.info.get("server"):  # a shared database: the server's trigger writes the entries
        _tables_written(session, (obj.__tablename__ for group in (session.new, session.dirty, session.deleted)
                                  for obj in group if not isinstance(obj, AuditEntry)))
        return
    rows: list[dict[str, Any]] = []
    pending = session.info.setdefault("_pending_words", [])
    for obj in session.new:
        if isinstance(obj, AuditEntry):
            continue
        table = obj.__tablename__
        rows.append(_entry(session, "insert", table, "(new)", None, _column_values(obj)))
        session.info.setdefault("_pending_keys", []).append((rows[-1], obj))
        pending.append((rows[-1], obj, None))
    for obj in session.dirty:
        if isinstance(obj, AuditEntry) or not session.is_modified(obj):
            continue
        before, after = _changed_values(obj)
        if before or after:
            rows.append(_entry(session, "update", obj.__tablename__, _record_key(obj), before, after))
            pending.append((rows[-1], obj, _column_values(obj)))
    for obj in session.deleted:
        if isinstance(obj, AuditEntry):
            continue
        values = _column_values(obj)
        rows.append(_entry(session, "delete", obj.__tablename__, _record_key(obj), values, None))
        pending.append((rows[-1], obj, values))
    session.info.setdefault("_audit_rows", []).extend(rows)


@event.listens_for(Session, "after_flush")
def _audit_after_flush(session: Session, flush_context: Any) -> None:
    """Write the collected rows once new records have their keys (autoincrement IDs), each naming
    its record in words (from the whole record, the staff's names looked up once)."""
    if not session.info.get("audited") or session.info.get("server"):
        return
    for row, obj in session.info.pop("_pending_keys", []):
        row["record_key"] = _record_key(obj)
        row["after"] = _stored(obj.__tablename__, _column_values(obj))
    pending = session.info.pop("_pending_words", [])
    records = [(row["table_name"], row["record_key"], values if values is not None else _column_values(obj))
               for row, obj, values in pending]
    for (row, _obj, _values), words in zip(pending, records_words(session, records), strict=True):
        row["summary"] = words
    rows = session.info.pop("_audit_rows", [])
    if rows:
        append(session, rows)


#: audit_log with before/after as text: written (and hashed) once, by database kind
_AUDIT_TEXT = {"sqlite": audit_columns(), "postgresql": audit_columns(server=True)}
_SQLITE_INSERT = ('INSERT INTO audit_log (id, "at", "user", action, table_name, record_key, "before", "after", '
                  "change_set, summary, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy's DateTime stores a value on SQLite


def append(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add entries at the end of the chain: lock its head, number and hash each entry, move the head.
    An entry's ``before``/``after``: a record's values, or the JSON text they are stored as
    already (``_entry``'s, ``_stored``).

    The no-op UPDATE takes SQLite's write lock (and PostgreSQL's row lock) before the head is
    read, so two workstations appending at once wait for each other instead of forking the chain.
    """
    if not rows:
        return
    session.info.setdefault("changed_tables", set()).update(r["table_name"] for r in rows)
    locked = session.execute(update(AuditHead).where(AuditHead.id == 1).values(entries=AuditHead.entries))
    head = session.execute(select(AuditHead.last_id, AuditHead.last_hash, AuditHead.entries)
                           .where(AuditHead.id == 1)).one_or_none()
    last_id, previous, count = (head.last_id, head.last_hash, head.entries) if head else (0, GENESIS, 0)
    if head is None:  # a head lost from a damaged file: verify reports the mismatch
        last_id = session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) or 0
    for row in rows:
        last_id += 1
        row["id"] = last_id
        for field in ("before", "after"):
            if not isinstance(row.get(field), str | None):
                row[field] = stored_text(row[field])
        row.setdefault("summary", None)
    previous = link_all(previous, rows)
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":  # straight to the driver: SQLAlchemy's per-row parameter work costs as much as SQLite's
        times: dict[dt.datetime, str] = {}  # entries written together share their second
        insert_values(session, _SQLITE_INSERT, [
            (r["id"], times.get(r["at"]) or times.setdefault(r["at"], r["at"].strftime(_SQLITE_DATETIME)), r["user"],
             r["action"], r["table_name"], r["record_key"], r["before"], r["after"], r["change_set"], r["summary"],
             r["hash"]) for r in rows])
    else:
        session.execute(insert(_AUDIT_TEXT.get(dialect, _AUDIT_TEXT["postgresql"])), rows)
    count += len(rows)
    # where this transaction's entries end: what its author's signature covers (app.security.people)
    session.info["_last_link"] = (last_id, previous, rows[-1]["user"], rows[-1]["change_set"])
    if locked.rowcount:
        session.execute(update(AuditHead).where(AuditHead.id == 1)
                        .values(last_id=last_id, last_hash=previous, entries=count))
    else:
        session.execute(insert(AuditHead).values(id=1, last_id=last_id, last_hash=previous, entries=count))


def record_many(
    session: Session,
    table: str,
    changes: Iterable[tuple[str, str, Mapping[str, Any] | None, Mapping[str, Any] | None]],
) -> int:
    """Audit changes written with Core bulk statements: ``(action, key, before, after)``; each
    names its record in words as far as its values say (an update carries only what changed: its
    key, the natural one of a workbook row, says the rest)."""
    changes = list(changes)
    if session.info.get("server"):  # the server's trigger wrote an entry for every row the statements changed
        if changes:
            _tables_written(session, [table])
        return len(changes)
    at = session.info.get("at") or now()  # one time for the call's entries
    rows = [_entry(session, action, table, key, before, after, at=at) for action, key, before, after in changes]
    named = records_words(session, [(table, key, {**(before or {}), **(after or {})})
                                    for _action, key, before, after in changes])
    for row, words in zip(rows, named, strict=True):
        row["summary"] = words
    append(session, rows)
    return len(rows)


def note(session: Session, summary: str, table: str = "-", key: str = "-", *, user: str | None = None) -> None:
    """An audit entry that describes an operation rather than one record (demo, restore).
    ``user``: "who" when it is not the session's signed-in user (``NOT_SIGNED_IN`` for a failed
    sign-in, which may be typed at another user's locked window)."""
    if session.info.get("server"):
        _server_note(session, table, key, summary)
        return
    row = _entry(session, "note", table, key, None, None)
    row["summary"] = summary[:300]
    if user is not None:
        row["user"] = user
    append(session, [row])


def _server_note(session: Session, table: str, key: str, summary: str, after: Any = None) -> None:
    """A note on a shared database: the server writes it, in the name of whoever is connected
    (``mroqc_note``; nobody writes an entry in another's name there, failed sign-ins included:
    the sign-in door writes those)."""
    session.execute(select(func.mroqc_note(table, key, summary[:300], stored_text(after))))
    _tables_written(session, [table])


def server_link(session: Session) -> None:
    """On a shared database, where this transaction's audit entries end (``_last_link``, what its
    author signs): the chain's end, if the server wrote it for this transaction (its change set)."""
    session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))  # the server chains this transaction's entries now
    table = _AUDIT_TEXT["postgresql"]
    head = session.execute(select(table.c.id, table.c.hash, table.c.user, table.c.change_set)
                           .where(table.c.id == select(AuditHead.last_id).where(AuditHead.id == 1)
                                  .scalar_subquery())).one_or_none()
    if head is not None and head.change_set == session.info.get("change_set"):
        session.info["_last_link"] = (head.id, head.hash, head.user, head.change_set)


def bulk_note(session: Session, summary: str, rows: Mapping[str, int]) -> None:
    """The one entry of a bulk fixture written without an entry per row (the demo facility): it
    records how many rows it put in each table, which is what ``verify`` can hold those rows to."""
    if session.info.get("server"):
        _server_note(session, "-", "-", summary, {"bulk_rows": dict(rows)})
        return
    row = _entry(session, "note", "-", "-", None, {"bulk_rows": dict(rows)})
    row["summary"] = summary[:300]
    append(session, [row])


def last_entry(session: Session) -> int:
    """The ID of the audit log's last entry (0: none yet): a position in the log, after which
    every committed change is an entry (the change watcher catches up from one)."""
    return session.scalar(select(AuditHead.last_id).where(AuditHead.id == 1)) or 0


def verify_chain(session: Session) -> ChainReport:
    """Walk the whole audit log in ID order against its hash chain and recorded end."""
    table = audit_columns()
    head = session.execute(select(AuditHead.last_id, AuditHead.last_hash, AuditHead.entries)
                           .where(AuditHead.id == 1)).mappings().one_or_none()
    # the JSON columns as their stored text (PostgreSQL's driver would decode json into values)
    columns = [cast(table.c[name], Text).label(name) if name in ("before", "after") else table.c[name]
               for name in (*HASHED_FIELDS, "hash")]
    rows = session.execute(select(*columns).order_by(table.c.id).execution_options(yield_per=5000)).mappings()
    return walk(rows, head)
