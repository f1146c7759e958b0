"""Reading the audit log: filtered, sorted and paged in SQL (it grows with every change), each
entry naming its record in people's words and its time in the facility's zone, so an auditor can
answer "what happened to case MRQ-0042" or "who changed pete's role" without knowing a row number.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Select, and_, func, or_, select

from app.domain.wording import Zone, change_words, local_time, table_words, to_local, utc_range
from app.security.evidence import check_signatures
from app.security.people import authorities
from app.services.export_guard import check_target, export_permission, record_export
from app.storage.audit import verify_chain
from app.storage.audit_words import SEARCHABLE_BY_KEY, entries_words, keys_about
from app.storage.database import Database
from app.storage.models import AuditEntry
from app.storage.tabular import ExportError, Sheet, atomic_path, write_table

#: What each kind of audit entry did, in words.
ACTION_WORDS = {"insert": "added", "update": "changed", "delete": "deleted", "note": "noted"}
#: The export's columns (the time's heading names the facility's zone).
EXPORT_HEADERS = ("Who", "Change", "What", "Record", "Before → after")


@dataclass(frozen=True)
class AuditQuery:
    """What the Audit log screen filters by. ``date_from``/``date_to``: days in ``zone`` (the
    facility's; None: the computer's), both included. ``record``: a case ID, user name, staff ID
    or name, … anywhere in the record's words, its key, or a note's text."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    user: str | None = None
    table: str | None = None
    record: str = ""
    zone: Zone = None


def _filtered(query: AuditQuery, stmt: Select) -> Select:
    start, end = utc_range(query.date_from, query.date_to, query.zone)
    if start is not None:
        stmt = stmt.where(AuditEntry.at >= start)
    if end is not None:
        stmt = stmt.where(AuditEntry.at < end)
    if query.user:
        stmt = stmt.where(AuditEntry.user == query.user)
    if query.table:
        stmt = stmt.where(AuditEntry.table_name == query.table)
    text = query.record.strip()
    if text:
        found = [AuditEntry.record_key.contains(text, autoescape=True),
                 AuditEntry.summary.contains(text, autoescape=True)]
        for table in SEARCHABLE_BY_KEY:  # an earlier version's entries carry no words: by the record as it is
            found.append(and_(AuditEntry.table_name == table, AuditEntry.summary.is_(None),
                              AuditEntry.record_key.in_(keys_about(table, text))))
        stmt = stmt.where(or_(*found))
    return stmt


def count_entries(db: Database, query: AuditQuery) -> int:
    with db.reader() as session:
        return session.scalar(_filtered(query, select(func.count(AuditEntry.id)))) or 0


def fetch_entries(db: Database, query: AuditQuery, offset: int, limit: int) -> list[dict[str, Any]]:
    """Newest first: the change a coordinator is looking for is usually the latest. ``record`` is
    the entry's record in people's words (``app.storage.audit_words``)."""
    stmt = _filtered(query, select(AuditEntry)).order_by(AuditEntry.id.desc()).offset(offset).limit(limit)
    with db.reader() as session:
        entries = [
            {
                "id": e.id, "at": e.at, "user": e.user, "action": e.action, "table_name": e.table_name,
                "record_key": e.record_key, "before": e.before, "after": e.after,
                "summary": e.summary, "change_set": e.change_set,
            }
            for e in session.scalars(stmt)
        ]
        for entry, words in zip(entries, entries_words(session, entries), strict=True):
            entry["record"] = words
    return entries


def filter_choices(db: Database) -> tuple[list[str], list[str]]:
    """The people and tables that appear in the log, for the filter lists."""
    with db.reader() as session:
        users = list(session.scalars(select(AuditEntry.user).distinct().order_by(AuditEntry.user)))
        tables = list(session.scalars(select(AuditEntry.table_name).distinct().order_by(AuditEntry.table_name)))
    return users, tables


def describe_change(entry: dict[str, Any], zone: Zone = None) -> str:
    """One line a person can read: ``name: A → B; status: …`` (times in ``zone``); a note says
    what it noted. A record change's ``summary`` names its record and is shown as such, not here."""
    if entry["action"] == "note":
        return str(entry.get("summary") or "")
    return change_words(entry["action"], entry.get("before"), entry.get("after"), zone)


def entry_row(entry: dict[str, Any], zone: Zone) -> list[str]:
    """An entry as the screen and the export show it: when (in ``zone``), who, change, what,
    record, before → after."""
    return [local_time(entry["at"], zone), entry["user"], ACTION_WORDS.get(entry["action"], entry["action"]),
            table_words(entry["table_name"]), entry.get("record") or entry["record_key"], describe_change(entry, zone)]


def when_heading(zone: Zone) -> str:
    """``When (America/Detroit)``: the zone the times are in, named."""
    return f"When ({zone})" if isinstance(zone, str) else "When (local time)"


@dataclass(frozen=True)
class LogIntegrity:
    """What the Audit log screen says of the whole log: its chain, its signatures, and what this
    sign-in found (``Database.alarms``)."""

    entries: int
    signed: int
    problems: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def intact(self) -> bool:
        return not self.problems


def log_integrity(db: Database) -> LogIntegrity:
    """The chain walked, every signature checked against the facility certificate the signed-in
    person trusts (``app.security.evidence``); rows are replayed by ``verify`` only (slower)."""
    person = db.person
    trusted = getattr(person, "trusted", None)
    with db.reader() as session:
        chain = verify_chain(session)
        signatures = check_signatures(session, [trusted] if trusted is not None else authorities(session),
                                      since=getattr(person, "signed_from", None))
    problems = [*db.alarms, *([chain.problem] if chain.problem else []), *signatures.problems]
    return LogIntegrity(chain.entries, signatures.signed, tuple(problems), tuple(signatures.warnings))


def chain_status(db: Database):  # type: ignore[no-untyped-def]
    """Whether the audit log's hash chain is intact (``app.storage.audit_chain.ChainReport``)."""
    with db.reader() as session:
        return verify_chain(session)


def _json_entry(entry: dict[str, Any], zone: Zone) -> dict[str, Any]:
    return {"when": to_local(entry["at"], zone).isoformat(), "who": entry["user"],
            "change": ACTION_WORDS.get(entry["action"], entry["action"]), "what": table_words(entry["table_name"]),
            "record": entry.get("record") or entry["record_key"], "key": entry["record_key"],
            "before": entry.get("before"), "after": entry.get("after"),
            "note": entry.get("summary") if entry["action"] == "note" else None, "change_set": entry["change_set"]}


def export_entries(db: Database, query: AuditQuery, out: Path) -> int:
    """The entries ``query`` selects (de-identified: PHI is masked in the log itself), times in the
    query's zone: a spreadsheet (``.xlsx``/``.csv``) with the change as ``field: before → after``,
    or ``.json`` with before and after as values. The export is itself audited."""
    db.require(export_permission(False))
    out = Path(out)
    check_target(db, out)
    total = count_entries(db, query)
    entries = (e for offset in range(0, total, 5000) for e in fetch_entries(db, query, offset, 5000))
    if out.suffix.lower() == ".json":
        written = 0
        with atomic_path(out, ".json") as tmp, tmp.open("w", encoding="utf-8") as handle:
            handle.write("[")
            for entry in entries:
                handle.write(("," if written else "") + "\n" + json.dumps(_json_entry(entry, query.zone),
                                                                          ensure_ascii=False, default=str))
                written += 1
            handle.write("\n]\n")
    elif out.suffix.lower() in (".xlsx", ".csv"):
        written = write_table(out, [Sheet("audit log", [when_heading(query.zone), *EXPORT_HEADERS],
                                          (entry_row(e, query.zone) for e in entries))])
    else:
        raise ExportError(f"Save as .xlsx, .csv or .json (got '{out.suffix or 'no ending'}').")
    record_export(db, "audit-log", out, False)
    return written
