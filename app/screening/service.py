"""Preview, import and undo a screening list: the only way the window and the CLI write one.

``preview`` reads and decides without writing. ``import_list`` plans again inside one
transaction (so what is written matches the register at that moment), refuses with
``PlanChanged`` when that differs from the preview the user saw, then writes every new and
updated case with its audit entries — all or nothing, under ``Permission.IMPORT``.
``undo_import`` reverses a whole import in one step while no later change touched its cases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from app.domain.permissions import Permission
from app.screening import register
from app.screening.errors import PlanChanged, ScreeningRejected, UndoRefused
from app.screening.mapping import Mapping
from app.screening.plan import CASE_FIELDS, CaseUpdate, Plan, make_plan
from app.screening.reading import read_table
from app.screening.rows import ParsedList, parse
from app.services.facility import keep_records_since_earliest
from app.services.quality import screening_problems
from app.storage import audit
from app.storage.database import Database
from app.storage.models import AuditEntry, Case, DataEntry, DosimetrySubmission

CHUNK = 2000
Progress = Callable[[int, int], None]


def read_list(path: Path, mapping: Mapping | None = None) -> ParsedList:
    """Read and decide a list (no database); check ``problems`` before going on."""
    mapping = mapping or Mapping()
    return parse(read_table(Path(path), mapping.header_row, mapping.sheet), mapping)


@dataclass
class Preview:
    parsed: ParsedList
    plan: Plan


def _plan(session: Session, parsed: ParsedList) -> Plan:
    return make_plan(parsed, register.existing_cases(session), register.case_ids(session),
                     register.same_case_days(session))


def preview(db: Database, path: Path | None = None, mapping: Mapping | None = None, *,
            parsed: ParsedList | None = None, as_of: dt.date | None = None) -> Preview:
    """What importing would do; ``ScreeningRejected`` lists why the file cannot be imported. With
    ``as_of``, the plan also says the data-quality problems its cases would bring in."""
    db.require(Permission.IMPORT)
    parsed = parsed if parsed is not None else read_list(Path(path), mapping)  # type: ignore[arg-type]
    if parsed.problems:
        raise ScreeningRejected(parsed.problems, parsed.table.source)
    with db.reader() as session:
        plan = _plan(session, parsed)
    if as_of is not None:
        plan.quality = screening_problems(db, plan, as_of)
    return Preview(parsed, plan)


@dataclass
class ImportReceipt:
    """What one import wrote: enough to undo it as one step (kept in memory: PHI included)."""

    source: str
    plan: Plan
    change_set: str
    last_audit_id: int
    new_ids: list[str] = field(default_factory=list)
    updates: list[CaseUpdate] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.new_ids and not self.updates


def _audit_values(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _versions(session: Session, case_ids: list[str]) -> dict[str, int]:
    """The cases' versions as this transaction reads them: an update passes them, so a case someone
    else changed in between is refused, as a save in the window is."""
    return dict(session.execute(select(Case.case_id, Case.version).where(Case.case_id.in_(case_ids))).all())


def _write(session: Session, plan: Plan, progress: Progress | None) -> None:
    total = len(plan.new_cases) + len(plan.updates)
    done = 0
    for i in range(0, len(plan.new_cases), CHUNK):
        chunk = plan.new_cases[i:i + CHUNK]
        session.execute(insert(Case), chunk)
        audit.record_many(session, "cases", [("insert", c["case_id"], None, _audit_values(c)) for c in chunk])
        done += len(chunk)
        if progress:
            progress(done, total)
    for i in range(0, len(plan.updates), CHUNK):
        chunk = plan.updates[i:i + CHUNK]
        versions = _versions(session, [u.case_id for u in chunk])  # a case changed since is refused (StaleDataError)
        session.execute(update(Case), [{"case_id": u.case_id, "version": versions[u.case_id], **u.after} for u in chunk])
        audit.record_many(session, "cases", [("update", u.case_id, u.before, u.after) for u in chunk])
        done += len(chunk)
        if progress:
            progress(done, total)


def import_list(db: Database, parsed: ParsedList, *, expected: Plan | None = None,
                progress: Progress | None = None, as_of: dt.date | None = None) -> ImportReceipt:
    """Write the list in one audited transaction; ``expected``: the plan the user previewed. With
    ``as_of``, the receipt's plan says the data-quality problems the list brought in (apart from the
    rows refused, which refuse the whole file)."""
    if parsed.problems:
        raise ScreeningRejected(parsed.problems, parsed.table.source)
    with db.transaction(Permission.IMPORT) as session:
        plan = _plan(session, parsed)
        if expected is not None and not plan.same_writes(expected):
            raise PlanChanged("The register changed since the preview (someone added or edited cases); "
                              "preview the list again before importing.")
        _write(session, plan, progress)
        # patients eligible before the facility kept its records here: its history starts with them
        keep_records_since_earliest(session, [c.get("eligible_on") for c in plan.new_cases]
                                    + [u.after.get("eligible_on") for u in plan.updates])
        counts = plan.counts()
        audit.note(session, f"Screening list {plan.source}: {counts['new']} new, {counts['updated']} updated, "
                            f"{counts['unchanged']} unchanged, {counts['not_eligible']} not eligible", "cases")
        last = session.scalar(select(func.max(AuditEntry.id))) or 0
        change_set = session.info["change_set"]
    if as_of is not None:
        plan.quality = screening_problems(db, plan, as_of)
    return ImportReceipt(plan.source, plan, change_set, last, [c["case_id"] for c in plan.new_cases],
                         list(plan.updates))


def _current(session: Session, ids: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    columns = [getattr(Case, name) for name in CASE_FIELDS]
    for i in range(0, len(ids), CHUNK):
        for row in session.execute(select(*columns).where(Case.case_id.in_(ids[i:i + CHUNK]))):
            found[row.case_id] = dict(zip(CASE_FIELDS, row, strict=True))
    return found


def _refuse_if_touched(session: Session, receipt: ImportReceipt) -> None:
    """Refuse when an audit entry after the import names one of its cases, or a case is no longer
    as the import left it (a change that bypassed the audit log shows in the row itself)."""
    ids = set(receipt.new_ids) | {u.case_id for u in receipt.updates}
    later = session.scalars(select(AuditEntry.record_key).where(AuditEntry.id > receipt.last_audit_id,
                                                                AuditEntry.table_name == "cases"))
    touched = sorted(ids.intersection(later))
    if touched:
        raise UndoRefused(f"The import of {receipt.source} can no longer be undone as one step: case "
                          f"{touched[0]}{f' and {len(touched) - 1} more' if len(touched) > 1 else ''} changed since.")
    current = _current(session, sorted(ids))
    expected = {c["case_id"]: c for c in receipt.plan.new_cases}
    for u in receipt.updates:
        expected[u.case_id] = {**current.get(u.case_id, {}), **u.after}
    for case_id in sorted(ids):
        now = current.get(case_id)
        if now is None or any(now.get(k) != v for k, v in expected[case_id].items() if k in CASE_FIELDS):
            raise UndoRefused(f"The import of {receipt.source} can no longer be undone as one step: case {case_id} "
                              "is no longer as the import left it.")
    for model in (DataEntry, DosimetrySubmission):
        for i in range(0, len(receipt.new_ids), CHUNK):
            linked = session.scalar(select(model.case_id).where(model.case_id.in_(receipt.new_ids[i:i + CHUNK]))
                                    .limit(1))
            if linked:
                raise UndoRefused(f"The import of {receipt.source} can no longer be undone as one step: case "
                                  f"{linked} has {model.__tablename__.replace('_', ' ')} since.")


def undo_import(db: Database, receipt: ImportReceipt) -> None:
    """Remove the import's new cases and put its updated ones back, in one audited transaction."""
    with db.transaction(Permission.IMPORT) as session:
        _refuse_if_touched(session, receipt)
        before = _current(session, receipt.new_ids)
        for i in range(0, len(receipt.new_ids), CHUNK):
            chunk = receipt.new_ids[i:i + CHUNK]
            session.execute(delete(Case).where(Case.case_id.in_(chunk)))
            audit.record_many(session, "cases", [("delete", cid, _audit_values(before[cid]), None) for cid in chunk])
        if receipt.updates:
            versions = _versions(session, [u.case_id for u in receipt.updates])
            session.execute(update(Case), [{"case_id": u.case_id, "version": versions[u.case_id], **u.before}
                                           for u in receipt.updates])
            audit.record_many(session, "cases", [("update", u.case_id, u.after, u.before) for u in receipt.updates])
        audit.note(session, f"Undid the screening import of {receipt.source} ({len(receipt.new_ids)} new cases "
                            f"removed, {len(receipt.updates)} restored)", "cases")
