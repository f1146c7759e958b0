"""Import a facility workbook: all or nothing, idempotent, audited.

Everything is read and validated before the database is touched; then one transaction upserts
each sheet (by ID, or by the natural key of sheets without one). Only columns the sheet has are
written, so importing a de-identified workbook never erases patient identifiers already stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from app.security.roles import Permission
from app.storage import audit
from app.storage.database import Database
from app.storage.models import Base, Case, Facility, Meeting, Staff
from app.workbook.reader import read_source
from app.workbook.schema import MAX_PROBLEMS, SHEETS, SheetSpec, WorkbookError
from app.workbook.validate import ParsedWorkbook, Row, parse_workbook

LOOKUP_CHUNK = 500
INSERT_CHUNK = 5000


@dataclass
class ImportResult:
    source: str
    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0

    def __str__(self) -> str:
        def listing(counts: dict[str, int]) -> str:
            return ", ".join(f"{n:,} {sheet}" for sheet, n in counts.items() if n) or "nothing"

        return (f"Imported {self.source}: added {listing(self.added)}; updated {listing(self.updated)}; "
                f"{self.unchanged:,} rows already up to date.")


def _model(table: str) -> type[Base]:
    for mapper in Base.registry.mappers:
        if mapper.class_.__tablename__ == table:
            return mapper.class_
    raise KeyError(table)


def _existing_ids(db: Database) -> tuple[dict[str, set[str]], bool]:
    with db.reader() as session:
        ids = {
            "staff": set(session.scalars(select(Staff.staff_id))),
            "cases": set(session.scalars(select(Case.case_id))),
            "meetings": set(session.scalars(select(Meeting.meeting_id))),
        }
        has_facility = session.scalars(select(Facility.id).limit(1)).first() is not None
    return ids, has_facility


def _key_text(key: tuple[Any, ...]) -> str:
    return "/".join("" if k is None else str(k) for k in key)


def _changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    old = {k: before.get(k) for k, v in after.items() if before.get(k) != v}
    return old, {k: after[k] for k in old}


def _upsert(session: Session, spec: SheetSpec, rows: list[Row], present: set[str], result: ImportResult) -> None:
    model = _model(spec.table)
    columns = [c.attr for c in spec.columns if c.name in present or c.name in spec.key]
    table_columns = [getattr(model, name) for name in columns]
    existing: dict[tuple, tuple[Any, dict[str, Any]]] = {}
    keys = [tuple(r.values[k] for k in spec.key) for r in rows]
    if spec.key_is_primary:
        pk = getattr(model, spec.key[0])
        wanted = [k[0] for k in keys]
        for i in range(0, len(wanted), LOOKUP_CHUNK):
            for found in session.execute(select(*table_columns).where(pk.in_(wanted[i:i + LOOKUP_CHUNK]))):
                values = dict(zip(columns, found, strict=True))
                existing[(values[spec.key[0]],)] = (values[spec.key[0]], values)
    else:
        for found in session.execute(select(model.id, *table_columns)):  # type: ignore[attr-defined]
            values = dict(zip(columns, found[1:], strict=True))
            existing[tuple(values[k] for k in spec.key)] = (found[0], values)
    inserts, updates, audit_rows = [], [], []
    for key, row in zip(keys, rows, strict=True):
        values = {name: row.values[name] for name in columns}
        match = existing.get(key)
        if match is None:
            inserts.append(row.values)
            audit_rows.append(("insert", _key_text(key), None, row.values))
            continue
        identity, before = match
        old, new = _changes(before, values)
        if not new:
            result.unchanged += 1
            continue
        pk_name = spec.key[0] if spec.key_is_primary else "id"
        updates.append({pk_name: identity, **new})
        audit_rows.append(("update", _key_text(key), old, new))
    for i in range(0, len(inserts), INSERT_CHUNK):
        session.execute(insert(model), inserts[i:i + INSERT_CHUNK])
    if updates:
        session.execute(update(model), updates)
    audit.record_many(session, spec.table, audit_rows)
    result.added[spec.name] = len(inserts)
    result.updated[spec.name] = len(updates)


def _upsert_facility(session: Session, values: dict[str, Any], result: ImportResult) -> None:
    values = dict(values)
    if "active_projects" in values:
        values["active_projects"] = ",".join(values["active_projects"] or ())
    facility = session.scalars(select(Facility).limit(1)).first()
    if facility is None:
        row = {"id": 1, "active_projects": "", "enrollment_period_start": "01-01", **values}
        row = {k: v for k, v in row.items() if v is not None or k == "policy_year"}
        session.execute(insert(Facility), [row])
        audit.record_many(session, "facility", [("insert", "1", None, row)])
        result.added["facility"] = 1
        return
    before = {k: getattr(facility, k) for k in values}
    old, new = _changes(before, values)
    if new:
        session.execute(update(Facility), [{"id": facility.id, **new}])
        audit.record_many(session, "facility", [("update", str(facility.id), old, new)])
        result.updated["facility"] = 1
    else:
        result.unchanged += 1


def validate_workbook(db: Database, source: Path) -> tuple[ParsedWorkbook, dict[str, set[str]]]:
    raw = read_source(source)
    existing, has_facility = _existing_ids(db)
    parsed = parse_workbook(raw, existing, has_facility)
    if parsed.problems:
        problems = parsed.problems
        if len(problems) > MAX_PROBLEMS:
            problems = [*problems[:MAX_PROBLEMS], f"… and {len(problems) - MAX_PROBLEMS} more problem(s)"]
        raise WorkbookError(problems)
    present = {name: set(sheet.headers) for name, sheet in raw.items()}
    return parsed, present


def import_workbook(db: Database, source: Path) -> ImportResult:
    """Validate ``source`` completely, then write it in one transaction (or raise WorkbookError)."""
    parsed, present = validate_workbook(db, Path(source))
    result = ImportResult(Path(source).name)
    with db.transaction(Permission.IMPORT) as session:
        session.info["audited"] = False  # audited explicitly below, row by row
        if parsed.facility is not None:
            _upsert_facility(session, parsed.facility, result)
        for spec in SHEETS:
            if spec.name in parsed.sheets:
                _upsert(session, spec, parsed.sheets[spec.name], present[spec.name], result)
    return result
