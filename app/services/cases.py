"""Adding, correcting and bulk-updating cases in the enrollment register."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import undefer_group

from app.domain.fields import PHI_CASE_FIELDS
from app.domain.permissions import Permission
from app.domain.records import SITE_IS_PROJECT, CaseRecord, validate_case
from app.domain.vocabulary import label
from app.services.editing import (
    Change,
    Conflict,
    NotFound,
    ValidationFailed,
    flush_or_conflict,
    last_change,
    put_by_id,
    remove,
    require_valid,
    snapshot,
    version_after,
)
from app.storage.database import Database
from app.storage.models import Case, DataEntry, DosimetrySubmission


def may_see_identifiers(db: Database) -> bool:
    """Whether the signed-in person may read patient identifiers: the roles that may export them
    (a coordinator, an administrator). On a shared database the server holds everyone else to it
    (column privileges); on a file the app does."""
    return db.actor is not None and db.actor.may(Permission.EXPORT_IDENTIFIED)


def get_case(db: Database, case_id: str) -> CaseRecord:
    """One case; its patient identifiers only for a person who may see them (else left blank)."""
    identified = may_see_identifiers(db)
    with db.reader() as session:
        case = session.get(Case, case_id, options=[undefer_group("phi")] if identified else [])
        if case is None:
            raise NotFound(f"There is no case {case_id}.")
        return CaseRecord(**{f.name: getattr(case, f.name) if identified or f.name not in PHI_CASE_FIELDS else None
                             for f in dataclasses.fields(CaseRecord)})


def _clean(record: CaseRecord) -> CaseRecord:
    """Trimmed text, and a breast, lung or prostate case's primary site recorded as its project
    (as an import records it): a hand-entered case no longer differs from an imported one
    (data-quality note DQ-CASE-SITE-BLANK)."""
    def text(value: str | None) -> str | None:
        return value.strip() or None if isinstance(value, str) else value

    site = text(record.primary_site)
    if site is None and record.project in SITE_IS_PROJECT:
        site = record.project
    return dataclasses.replace(
        record,
        case_id=record.case_id.strip(),
        primary_site=site,
        note=text(record.note),
        mrn=text(record.mrn),
        name=text(record.name),
        not_enrolled_reason=text(record.not_enrolled_reason),
        payer=text(record.payer),
    )


def save_case(db: Database, record: CaseRecord, *, original_id: str | None = None, overwrite: bool = False) -> Change:
    """Add a case (``original_id`` None) or correct one; the case ID itself cannot change. A
    correction based on ``record.version`` is refused (``Conflict``) if the case changed since,
    unless ``overwrite``."""
    record = _clean(record)
    require_valid(validate_case(record), "case")
    with db.transaction(Permission.CASES) as session:
        _, before = put_by_id(session, Case, record.case_id, original_id, dataclasses.asdict(record),
                              version=record.version, overwrite=overwrite, what="case",
                              taken=f"case {record.case_id} already exists",
                              fixed="a case ID cannot be changed; add a new case instead")
        after = version_after(session, Case, (record.case_id,))
    action = "Added" if before is None else "Corrected"
    return Change(Case, (record.case_id,), before, f"{action} case {record.case_id}", after)


def set_status(
    db: Database, case_ids: Sequence[str], status: str, *, enrolled_on: dt.date | None = None,
    reason: str | None = None, note: str | None = None, versions: dict[str, int] | None = None,
) -> list[Change]:
    """Change the status of several cases in one transaction; all are checked before any is saved.
    ``versions``: each case's version as the register showed it; if any case changed since,
    nothing is saved (``Conflict`` on the first)."""
    changes: list[Change] = []
    with db.transaction(Permission.CASES) as session:
        cases = {c.case_id: c for c in session.scalars(select(Case).options(undefer_group("phi"))
                                                       .where(Case.case_id.in_(list(case_ids))))}
        missing = [cid for cid in case_ids if cid not in cases]
        if missing:
            if versions:
                raise Conflict("case", (missing[0],), None, {"status": status}, None,
                               **last_change(session, Case, (missing[0],)))
            raise NotFound(f"These cases no longer exist: {', '.join(missing[:10])}.")
        for cid, seen in (versions or {}).items():
            if cid in cases and cases[cid].version != seen:
                raise Conflict("case", (cid,), snapshot(cases[cid]), {**snapshot(cases[cid]), "status": status},
                               cases[cid].version, **last_change(session, Case, (cid,)))
        problems: dict[str, str] = {}
        for cid in case_ids:
            c = cases[cid]
            record = CaseRecord(
                case_id=c.case_id, project=c.project, eligible_on=c.eligible_on, status=status,
                primary_site=c.primary_site, enrolled_on=enrolled_on if status == "enrolled" else None,
                not_enrolled_reason=reason if status == "not_enrolled" else None,
                note=note if note is not None else c.note, payer=c.payer,
            )
            for field, message in validate_case(record).items():
                problems.setdefault(field, f"case {cid}: {message}")
        require_valid(problems, "status change")
        for cid in case_ids:
            c = cases[cid]
            before = snapshot(c)
            c.status = status
            c.enrolled_on = enrolled_on if status == "enrolled" else None
            c.not_enrolled_reason = reason if status == "not_enrolled" else None
            if note is not None:
                c.note = note
            changes.append(Change(Case, (cid,), before, f"Status of case {cid} set to {label(status).lower()}"))
        # another workstation's save committed between reading and writing: a conflict, not an error
        flush_or_conflict(session, "case", (case_ids[0],), {"status": status})
        changes = [Change(c.model, c.key, c.before, c.description, cases[c.key[0]].version) for c in changes]
    return changes


def delete_case(db: Database, case_id: str, *, version: int | None = None) -> Change:
    """Delete a case entered by mistake; its data-entry log rows stay, without the case link.

    The links are cut here, through the ORM, rather than left to the database's ``ON DELETE SET
    NULL``: each data-entry row that loses its case gets its own audit entry (before → after)."""
    with db.transaction(Permission.CASES) as session:
        if session.scalar(select(func.count()).select_from(DosimetrySubmission).where(DosimetrySubmission.case_id == case_id)):
            raise ValidationFailed({"case_id": "the case has dosimetry submissions; delete those first"}, "case")
        for entry in session.scalars(select(DataEntry).where(DataEntry.case_id == case_id)):
            entry.case_id = None
        flush_or_conflict(session, "case", (case_id,), None)
        before = remove(session, Case, (case_id,), "case", version=version)
    return Change(Case, (case_id,), before, f"Deleted case {case_id}")
