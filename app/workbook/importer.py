"""Import a facility workbook: all or nothing, idempotent, audited.

Everything is read and validated before the database is touched; then one transaction upserts
each sheet (by ID, or by the natural key of sheets without one), a chunk of rows at a time with
their audit entries, so memory holds the validated rows once and never a second copy of them.
Only columns the sheet has are written, so importing a de-identified workbook never erases
patient identifiers already stored.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.domain.permissions import Permission
from app.domain.records import parse_metrics
from app.progress import Progress, nobody
from app.rules.quality import Problem
from app.services import quality
from app.services.facility import keep_records_since_earliest
from app.services.quality import brought_in_words
from app.storage import audit
from app.storage.bulk import BulkWriter
from app.storage.database import Database
from app.storage.models import Base, Case, Correspondence, Facility, Meeting, Staff
from app.workbook.cells import Canon
from app.workbook.reader import open_source
from app.workbook.schema import SHEETS, SheetSpec, WorkbookError
from app.workbook.validate import Existing, ParsedSheet, ParsedWorkbook, parse_workbook

LOOKUP_CHUNK = 500
#: Stored values worth sharing between rows (not the metrics' dicts).
SHAREABLE = (str, dt.date)
WRITE_CHUNK = 5000
#: What the import does last, when it was asked which data-quality problems it brings in
QUALITY_WORDS = "Checking data quality"
log = logging.getLogger(__name__)


@dataclass
class ImportResult:
    source: str
    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0
    #: the data-quality problems the import brought in (``app.services.quality``): written, unlike a
    #: refused row, and listed apart from refusals
    quality: list[Problem] = field(default_factory=list)
    #: the facility's "records kept here since", when the import's older records moved it back
    records_kept_since: dt.date | None = None

    def __str__(self) -> str:
        def listing(counts: dict[str, int]) -> str:
            return ", ".join(f"{n:,} {sheet}" for sheet, n in counts.items() if n) or "nothing"

        text = (f"Imported {self.source}: added {listing(self.added)}; updated {listing(self.updated)}; "
                f"{self.unchanged:,} rows already up to date.")
        if self.records_kept_since is not None:
            text += f" Records are now kept here since {self.records_kept_since.isoformat()} (the earliest imported)."
        words = brought_in_words(self.quality)
        return f"{text} {words}" if words else text


def _model(table: str) -> type[Base]:
    for mapper in Base.registry.mappers:
        if mapper.class_.__tablename__ == table:
            return mapper.class_
    raise KeyError(table)


def _existing(db: Database) -> Existing:
    with db.reader() as session:
        found = Existing(
            ids={"staff": set(session.scalars(select(Staff.staff_id))),
                 "cases": set(session.scalars(select(Case.case_id))),
                 "meetings": set(session.scalars(select(Meeting.meeting_id)))},
            has_facility=session.scalars(select(Facility.id).limit(1)).first() is not None,
        )
        by_key: dict[tuple, list[str]] = defaultdict(list)
        for letter_id, received_on, subject in session.execute(
                select(Correspondence.letter_id, Correspondence.received_on, Correspondence.subject)):
            found.letter_ids.add(letter_id)
            by_key[(received_on, subject)].append(letter_id)
        found.letters_by_key = dict(by_key)
    return found


def _key_text(key: tuple[Any, ...]) -> str:
    return "/".join("" if k is None else str(k) for k in key)


def _changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    old = {k: before.get(k) for k, v in after.items() if before.get(k) != v}
    return old, {k: after[k] for k in old}


def _stored_form(values: dict[str, Any]) -> dict[str, Any]:
    """Validated values as the database stores them (metrics text → dict)."""
    if "metrics" in values:
        values["metrics"] = parse_metrics(values["metrics"] or "")
    return values


Stored = dict[tuple, tuple[Any, tuple[Any, ...], int]]  # key → (row ID, values, version as read)


def _stored_by_id(session: Session, model: type[Base], spec: SheetSpec, columns: list[str], keys: list[tuple]) -> Stored:
    """The stored rows of a chunk of IDs: ID → (ID, values in ``columns`` order)."""
    pk = getattr(model, spec.key[0])
    table_columns = [getattr(model, name) for name in columns]
    at = columns.index(spec.key[0])
    wanted = [k[0] for k in keys]
    stored: Stored = {}
    for i in range(0, len(wanted), LOOKUP_CHUNK):
        for found in session.execute(select(*table_columns, model.version)  # type: ignore[attr-defined]
                                     .where(pk.in_(wanted[i:i + LOOKUP_CHUNK]))):
            stored[(found[at],)] = (found[at], tuple(found[:-1]), found[-1])
    return stored


def _stored_by_natural_key(session: Session, model: type[Base], spec: SheetSpec, columns: list[str]) -> Stored:
    """Every stored row of a table without IDs: natural key → (row ID, values in ``columns`` order).
    Equal values (dates, codes, case IDs) are shared between rows, so 540,000 rows stay small."""
    canon = Canon()
    at = [columns.index(k) for k in spec.key]
    stmt = select(model.id, model.version, *[getattr(model, name) for name in columns])  # type: ignore[attr-defined]
    stored: Stored = {}
    for found in session.execute(stmt.execution_options(yield_per=WRITE_CHUNK)):
        values = tuple(canon(v) if isinstance(v, SHAREABLE) else v for v in found[2:])
        stored[tuple(values[i] for i in at)] = (found[0], values, found[1])
    return stored


def _insert_numbered(writer: BulkWriter, model: type[Base], rows: list[dict[str, Any]]) -> list[str]:
    """Insert rows of a table with a surrogate ID and return their IDs, in order.

    SQLite gives a new row the table's largest ID plus one (these tables have no AUTOINCREMENT),
    so the same IDs are given here and the chunk goes in one ``executemany``: asking for them
    back in order (RETURNING) makes SQLAlchemy send one statement per row there, half the
    import's time in the database. The transaction has read the table already, so no other
    writer can commit rows in between (SQLite refuses our write instead: all or nothing).
    Other databases number rows from a sequence and return them in order in batches."""
    table, session = model.__table__, writer.session
    if not writer.sqlite:
        return [str(i) for i in session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows).scalars()]
    last = session.scalar(select(func.max(table.c.id))) or 0
    ids = range(last + 1, last + 1 + len(rows))
    writer.insert(model, [{"id": i, **row} for i, row in zip(ids, rows, strict=True)])
    return [str(i) for i in ids]


@dataclass
class _Written:
    """The rows written so far of all the import writes, told to ``progress`` chunk by chunk."""

    progress: Progress
    in_all: int
    done: int = 0

    def add(self, sheet: str, rows: int) -> None:
        self.done += rows
        self.progress(f"Writing {sheet.replace('_', ' ')}", self.done, self.in_all)


def _upsert(session: Session, spec: SheetSpec, sheet: ParsedSheet, present: set[str], result: ImportResult,
            written: _Written) -> None:
    """Insert or update ``sheet``'s rows a chunk at a time; rows with IDs are looked up per chunk,
    so memory holds one chunk of stored rows, not the whole table."""
    model = _model(spec.table)
    columns = [c.attr for c in spec.columns if c.name in present or c.name in spec.key]
    key_at = [sheet.attrs.index(k) for k in spec.key]
    natural = None if spec.key_is_primary else _stored_by_natural_key(session, model, spec, columns)
    pk_name = spec.key[0] if spec.key_is_primary else "id"
    writer = BulkWriter(session)
    added = updated = 0
    for start in range(0, len(sheet), WRITE_CHUNK):
        rows = sheet.rows[start:start + WRITE_CHUNK]
        keys = [tuple(row[i] for i in key_at) for row in rows]
        stored = natural if natural is not None else _stored_by_id(session, model, spec, columns, keys)
        inserts, insert_keys, updates, audit_rows = [], [], [], []
        for key, values in zip(keys, sheet.dicts(start, start + WRITE_CHUNK), strict=True):
            values = _stored_form(values)
            match = stored.get(key)
            if match is None:
                inserts.append(values)
                insert_keys.append(_key_text(key))
                continue
            identity, before, version = match
            old, new = _changes(dict(zip(columns, before, strict=True)), {name: values[name] for name in columns})
            if not new:
                result.unchanged += 1
                continue
            # the version read: a row someone changed since is refused (StaleDataError), as in the window
            updates.append({pk_name: identity, "version": version, **new})
            # named by its primary key, as the window's own entries are: the log replays onto the table
            audit_rows.append(("update", _key_text(key) if spec.key_is_primary else str(identity), old, new))
        if inserts:  # Core (straight to SQLite's driver), not the ORM's bulk path: a third of the time
            if spec.key_is_primary:
                writer.insert(model, inserts)
            else:  # the new rows' IDs, in order, so each entry names its row as the window's do
                insert_keys = _insert_numbered(writer, model, inserts)
            audit_rows[:0] = [("insert", k, None, v) for k, v in zip(insert_keys, inserts, strict=True)]
        if updates:
            session.execute(update(model), updates)
        audit.record_many(session, spec.table, audit_rows)
        added += len(inserts)
        updated += len(updates)
        written.add(spec.name, len(rows))
        del rows
    result.added[spec.name] = added
    result.updated[spec.name] = updated


def _upsert_facility(session: Session, values: dict[str, Any], result: ImportResult,
                     earliest: list[dt.date] | None = None) -> None:
    values = dict(values)
    if "active_projects" in values:
        values["active_projects"] = ",".join(values["active_projects"] or ())
    facility = session.scalars(select(Facility).limit(1)).first()
    if facility is None:
        # a facility made by its workbook comes with its history: its records go back to joining
        kept = values.get("records_kept_since") or min([values["joined_on"], *(earliest or [])])
        row = {"id": 1, "active_projects": "", "enrollment_period_start": "01-01", **values, "records_kept_since": kept}
        row = {k: v for k, v in row.items() if v is not None or k == "policy_year"}
        session.execute(insert(Facility), [row])
        audit.record_many(session, "facility", [("insert", "1", None, row)])
        result.added["facility"] = 1
        return
    before = {k: getattr(facility, k) for k in values}
    old, new = _changes(before, values)
    if new:
        session.execute(update(Facility), [{"id": facility.id, "version": facility.version, **new}])
        audit.record_many(session, "facility", [("update", str(facility.id), old, new)])
        result.updated["facility"] = 1
    else:
        result.unchanged += 1


#: The dates that say since when a workbook's records go back (sheet: columns).
RECORD_DATES: dict[str, tuple[str, ...]] = {
    "cases": ("eligible_on", "enrolled_on"), "data_entry": ("date",), "dosimetry": ("submitted_on",),
    "meetings": ("date",), "correspondence": ("received_on",),
}


def _earliest_records(parsed: ParsedWorkbook) -> list[dt.date]:
    """The earliest date of each kind of record the workbook brings (``RECORD_DATES``)."""
    found = []
    for name, columns in RECORD_DATES.items():
        sheet = parsed.sheets.get(name)
        for column in columns:
            if sheet is not None and column in sheet.attrs:
                found.append(min((d for d in sheet.column(column) if isinstance(d, dt.date)), default=None))
    return [d for d in found if d is not None]


def validate_workbook(db: Database, source: Path, progress: Progress = nobody,
                      checked: ParsedWorkbook | None = None) -> ParsedWorkbook:
    """Read and check ``source`` completely against the database (WorkbookError if anything is wrong).
    ``checked``: the workbook as ``validate_for_a_new_database`` read it, taken as it is while the
    database holds nothing it could refer to or match (the new database it was checked for), and
    read again otherwise."""
    existing = _existing(db)
    if checked is not None and existing == Existing():
        return checked
    return _checked(source, existing, progress)


def validate_for_a_new_database(source: Path) -> ParsedWorkbook:
    """Read and check ``source`` as a new, empty database would (WorkbookError if anything is
    wrong): a workbook refused before its database is built costs no key derivation and no build,
    and leaves nothing behind to remove."""
    return _checked(source, Existing())


def _checked(source: Path, existing: Existing, progress: Progress = nobody) -> ParsedWorkbook:
    with open_source(Path(source)) as opened:
        parsed = parse_workbook(opened, existing, progress=progress)
    if parsed.problems:
        raise WorkbookError(parsed.listing(), total=len(parsed.problems) + parsed.more_problems)
    return parsed


def import_workbook(db: Database, source: Path, *, as_of: dt.date | None = None,
                    progress: Progress = nobody, checked: ParsedWorkbook | None = None) -> ImportResult:
    """Validate ``source`` completely, then write it in one transaction (or raise WorkbookError).
    With ``as_of``, the result also lists the data-quality problems the import brought in: those
    of the register at ``as_of`` afterwards that were not there before (``app.services.quality``).
    ``progress`` hears each sheet being checked, then the rows written of all there are to write.
    ``checked``: what ``validate_for_a_new_database`` read of ``source``, so a workbook that makes a
    new database is read and checked once, not twice (``validate_workbook`` says when it is read again)."""
    db.require(Permission.IMPORT)
    parsed = validate_workbook(db, Path(source), progress, checked)
    result = ImportResult(Path(source).name)
    if as_of is not None:
        progress(QUALITY_WORDS, 0, 0)
    before = quality.problem_keys(db, as_of) if as_of is not None else set()
    written = _Written(progress, sum(len(sheet) for sheet in parsed.sheets.values()))
    try:
        with db.transaction(Permission.IMPORT) as session:
            session.info["audited"] = False  # audited explicitly below, row by row
            had_facility = session.scalar(select(Facility.id).limit(1)) is not None
            earliest = _earliest_records(parsed)
            if parsed.facility is not None:
                _upsert_facility(session, parsed.facility, result, earliest)
            if had_facility and not (parsed.facility or {}).get("records_kept_since"):
                # older records than the facility kept here: its history now starts with them
                result.records_kept_since = keep_records_since_earliest(session, earliest)
            for spec in SHEETS:
                if spec.name in parsed.sheets:
                    _upsert(session, spec, parsed.sheets.pop(spec.name), parsed.headers[spec.name], result, written)
    except StaleDataError:  # someone changed rows of this workbook while it was written: all or nothing
        raise WorkbookError(["workbook: someone changed some of these records while the import was being written; "
                             "nothing was imported. Import the file again."]) from None
    except SQLAlchemyError as exc:  # validation should have caught it: say so in one line, change nothing
        log.exception("the database refused a validated workbook")
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
        raise WorkbookError([f"workbook: the database refused the import, nothing was changed "
                             f"({type(exc).__name__}: {reason})"]) from None
    if as_of is not None:
        progress(QUALITY_WORDS, 0, 0)
        result.quality = quality.brought_in(db, as_of, before)
    return result
