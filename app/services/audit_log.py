"""Reading the audit log: filtered, sorted and paged in SQL (it grows with every change)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from app.domain.wording import local_time, table_words
from app.storage.database import Database
from app.storage.models import AuditEntry

COLUMNS: tuple[tuple[str, str], ...] = (
    ("at", "When (local time)"),
    ("user", "Who"),
    ("action", "Change"),
    ("table_name", "Table"),
    ("record_key", "Record"),
    ("before", "Before"),
    ("after", "After"),
)


@dataclass(frozen=True)
class AuditQuery:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    user: str | None = None
    table: str | None = None
    record: str = ""


def _filtered(query: AuditQuery, stmt: Select) -> Select:
    if query.date_from:
        stmt = stmt.where(AuditEntry.at >= dt.datetime.combine(query.date_from, dt.time.min))
    if query.date_to:
        stmt = stmt.where(AuditEntry.at < dt.datetime.combine(query.date_to + dt.timedelta(days=1), dt.time.min))
    if query.user:
        stmt = stmt.where(AuditEntry.user == query.user)
    if query.table:
        stmt = stmt.where(AuditEntry.table_name == query.table)
    if query.record.strip():
        stmt = stmt.where(AuditEntry.record_key.contains(query.record.strip(), autoescape=True))
    return stmt


def count_entries(db: Database, query: AuditQuery) -> int:
    with db.reader() as session:
        return session.scalar(_filtered(query, select(func.count(AuditEntry.id)))) or 0


def fetch_entries(db: Database, query: AuditQuery, offset: int, limit: int) -> list[dict[str, Any]]:
    """Newest first: the change a coordinator is looking for is usually the latest."""
    stmt = _filtered(query, select(AuditEntry)).order_by(AuditEntry.id.desc()).offset(offset).limit(limit)
    with db.reader() as session:
        return [
            {
                "at": e.at, "user": e.user, "action": e.action, "table_name": e.table_name,
                "record_key": e.record_key, "before": e.before, "after": e.after,
                "summary": e.summary, "change_set": e.change_set,
            }
            for e in session.scalars(stmt)
        ]


def filter_choices(db: Database) -> tuple[list[str], list[str]]:
    """The people and tables that appear in the log, for the filter lists."""
    with db.reader() as session:
        users = list(session.scalars(select(AuditEntry.user).distinct().order_by(AuditEntry.user)))
        tables = list(session.scalars(select(AuditEntry.table_name).distinct().order_by(AuditEntry.table_name)))
    return users, tables


#: What each kind of audit entry did, in words.
ACTION_WORDS = {"insert": "added", "update": "changed", "delete": "deleted", "note": "noted"}


def describe_change(entry: dict[str, Any]) -> str:
    """One line a person can read: ``name: 'A' → 'B'; status: ...``."""
    if entry.get("summary"):
        return str(entry["summary"])
    from app.domain.wording import change_words

    return change_words(entry["action"], entry.get("before"), entry.get("after"))


def chain_status(db: Database):  # type: ignore[no-untyped-def]
    """Whether the audit log's hash chain is intact (``app.storage.audit_chain.ChainReport``)."""
    from app.storage.audit import verify_chain

    with db.reader() as session:
        return verify_chain(session)


def export_entries(db: Database, query: AuditQuery, out) -> int:  # type: ignore[no-untyped-def]
    """The entries ``query`` selects as a spreadsheet (de-identified: PHI is masked in the log itself);
    the export is itself audited."""
    from app.exports.service import export_permission, record_export
    from app.exports.tabular import Sheet, write_table

    db.require(export_permission(False))
    total = count_entries(db, query)
    rows = ([local_time(e["at"]), e["user"], ACTION_WORDS.get(e["action"], e["action"]), table_words(e["table_name"]),
             e["record_key"], describe_change(e)]
            for offset in range(0, total, 5000) for e in fetch_entries(db, query, offset, 5000))
    written = write_table(out, [Sheet("audit log", ["when_utc", "who", "change", "table", "record", "before_after"], rows)])
    record_export(db, "audit-log", out, False)
    return written
