"""The audit log: every insert, update and delete made through a service session.

A ``before_flush`` listener turns the ORM's own change tracking into ``AuditEntry`` rows inside
the same transaction, so a change and its audit entries commit or roll back together and no
service can forget to audit. Bulk paths that bypass the ORM (import, demo) call ``record_many``.
PHI columns are masked: the audit log says a patient identifier changed, never what it was.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from app.storage.models import AuditEntry, Base

PHI_COLUMNS: dict[str, frozenset[str]] = {"cases": frozenset({"mrn", "name", "birth_date"})}
PHI_MASK = "[hidden PHI]"
USER_ENV = "MROQC_DESK_USER"


def current_user() -> str:
    """The person changing data: the configured name, else the operating-system login."""
    configured = os.environ.get(USER_ENV)
    if configured:
        return configured
    try:
        return getpass.getuser()
    except Exception:  # no login name (some service accounts)
        return "unknown"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def new_change_set() -> str:
    return uuid.uuid4().hex[:16]


def plain(value: Any) -> Any:
    """A JSON-safe copy of a column value."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _masked(table: str, values: Mapping[str, Any]) -> dict[str, Any]:
    phi = PHI_COLUMNS.get(table, frozenset())
    return {
        key: (PHI_MASK if key in phi and value is not None else plain(value))
        for key, value in values.items()
    }


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


def _entry(session: Session, action: str, table: str, key: str, before: Any, after: Any) -> dict:
    return {
        "at": session.info.get("at") or now(),
        "user": session.info.get("user") or current_user(),
        "action": action,
        "table_name": table,
        "record_key": key,
        "before": _masked(table, before) if before is not None else None,
        "after": _masked(table, after) if after is not None else None,
        "change_set": session.info.get("change_set"),
        "summary": None,
    }


@event.listens_for(Session, "before_flush")
def _audit_flush(session: Session, flush_context: Any, instances: Any) -> None:
    if not session.info.get("audited"):
        return
    rows: list[dict[str, Any]] = []
    for obj in session.new:
        if isinstance(obj, AuditEntry):
            continue
        table = obj.__tablename__
        rows.append(_entry(session, "insert", table, "(new)", None, _column_values(obj)))
        session.info.setdefault("_pending_keys", []).append((rows[-1], obj))
    for obj in session.dirty:
        if isinstance(obj, AuditEntry) or not session.is_modified(obj):
            continue
        before, after = _changed_values(obj)
        if before or after:
            rows.append(_entry(session, "update", obj.__tablename__, _record_key(obj), before, after))
    for obj in session.deleted:
        if isinstance(obj, AuditEntry):
            continue
        rows.append(
            _entry(session, "delete", obj.__tablename__, _record_key(obj), _column_values(obj), None)
        )
    session.info.setdefault("_audit_rows", []).extend(rows)


@event.listens_for(Session, "after_flush")
def _audit_after_flush(session: Session, flush_context: Any) -> None:
    """Write the collected rows once new records have their keys (autoincrement IDs)."""
    if not session.info.get("audited"):
        return
    for row, obj in session.info.pop("_pending_keys", []):
        row["record_key"] = _record_key(obj)
        row["after"] = _masked(obj.__tablename__, _column_values(obj))
    rows = session.info.pop("_audit_rows", [])
    if rows:
        session.execute(insert(AuditEntry), rows)


def record_many(
    session: Session,
    table: str,
    changes: Iterable[tuple[str, str, Mapping[str, Any] | None, Mapping[str, Any] | None]],
) -> int:
    """Audit changes written with Core bulk statements: ``(action, key, before, after)``."""
    rows = [_entry(session, action, table, key, before, after) for action, key, before, after in changes]
    if rows:
        session.execute(insert(AuditEntry), rows)
    return len(rows)


def note(session: Session, summary: str, table: str = "-", key: str = "-") -> None:
    """An audit entry that describes an operation rather than one record (demo, restore)."""
    row = _entry(session, "note", table, key, None, None)
    row["summary"] = summary[:300]
    session.execute(insert(AuditEntry), [row])
