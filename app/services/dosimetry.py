"""Dosimetry submissions (physics leads) and what is still missing for enrolled cases."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, exists, func, select

from app.domain.permissions import Permission
from app.domain.records import DosimetryRecord, validate_dosimetry
from app.services.editing import Change, ValidationFailed, delete_one, put_numbered, require_valid
from app.services.register import DOSIMETRY_PROJECTS  # one list: the register's flag reads it too
from app.storage.database import Database
from app.storage.models import Case, DosimetrySubmission, Staff, User


@dataclass(frozen=True)
class SubmissionRow:
    id: int
    case_id: str
    project: str
    submitted_on: dt.date
    staff_id: str
    staff_name: str
    technique: str
    total_dose_gy: float
    fractions: int
    metrics: dict[str, float]
    version: int = 1


def _listed(*columns: Any, limit: int, case_search: str) -> Select:
    """The submissions the list shows (the latest ``limit``, or those of cases whose ID holds
    ``case_search``), newest first, as ``columns``."""
    d = DosimetrySubmission
    stmt = (
        select(*columns)
        .join(Case, Case.case_id == d.case_id)
        .join(Staff, Staff.staff_id == d.staff_id)
        .order_by(d.submitted_on.desc(), d.id.desc())
        .limit(limit)
    )
    if case_search.strip():
        stmt = stmt.where(d.case_id.icontains(case_search.strip(), autoescape=True))
    return stmt


def _row_columns() -> tuple[Any, ...]:
    # the columns, not the mapped objects: 5,000 rows for a list (a third of reading it went to the ORM;
    # a third of the rest to its loading of rows, which a connection's execute does without)
    d = DosimetrySubmission
    return (d.id, d.case_id, Case.project, d.submitted_on, d.staff_id, Staff.name, d.technique, d.total_dose_gy,
            d.fractions, d.metrics, d.version)


def list_submissions(db: Database, limit: int = 5000, case_search: str = "") -> list[SubmissionRow]:
    """The latest ``limit`` submissions, newest first; with ``case_search``, only those of cases
    whose ID contains it (searched in SQL, so an old case is found however long the history)."""
    with db.reader() as session:  # on the session's connection: rows of columns need none of the ORM's loading
        return [SubmissionRow(*row[:9], dict(row[9] or {}), row[10]) for row in
                session.connection().execute(_listed(*_row_columns(), limit=limit, case_search=case_search))]


def listed_versions(db: Database, limit: int = 5000, case_search: str = "") -> list[tuple[int, int]]:
    """(ID, version) of each submission ``list_submissions`` lists, in its order: a list that
    keeps what it read can tell what changed since (a save changes one) and read only that."""
    d = DosimetrySubmission
    with db.reader() as session:
        return [(i, v) for i, v in
                session.connection().execute(_listed(d.id, d.version, limit=limit, case_search=case_search))]


def submissions_by_id(db: Database, ids: list[int]) -> list[SubmissionRow]:
    """These submissions as ``list_submissions`` gives them (in no particular order)."""
    if not ids:
        return []
    stmt = (select(*_row_columns()).join(Case, Case.case_id == DosimetrySubmission.case_id)
            .join(Staff, Staff.staff_id == DosimetrySubmission.staff_id).where(DosimetrySubmission.id.in_(ids)))
    with db.reader() as session:
        return [SubmissionRow(*row[:9], dict(row[9] or {}), row[10]) for row in session.connection().execute(stmt)]


def missing_submissions(db: Database, as_of: dt.date, limit: int | None = 500,
                        search: str = "", *, project: str | None = None,
                        enrolled_from: dt.date | None = None) -> tuple[int, list[tuple[str, str, dt.date]]]:
    """Breast/lung cases enrolled by ``as_of`` with no submission made by then: (count, the oldest
    ``limit`` of them; None: all). A later submission does not count, so a past date shows what was
    missing then. ``search``: only case IDs containing it (the count too); ``project``: one of the
    projects only; ``enrolled_from``: only cases enrolled on or after that day (the period a physics
    lead works on, not cases enrolled years ago)."""
    if project is not None and project not in DOSIMETRY_PROJECTS:
        raise ValueError(f"{project} cases need no dosimetry submission")
    has_submission = exists().where(DosimetrySubmission.case_id == Case.case_id,
                                    DosimetrySubmission.submitted_on <= as_of)
    where = (Case.project.in_(DOSIMETRY_PROJECTS), Case.enrolled_on.is_not(None), Case.enrolled_on <= as_of, ~has_submission)
    if search.strip():
        where += (Case.case_id.ilike(f"%{search.strip()}%"),)
    if project is not None:
        where += (Case.project == project,)
    if enrolled_from is not None:
        where += (Case.enrolled_on >= enrolled_from,)
    with db.reader() as session:
        rows = session.execute(
            select(Case.case_id, Case.project, Case.enrolled_on).where(*where).order_by(Case.enrolled_on, Case.case_id)
            .limit(limit)
        ).all()
        # fewer than asked for: that is all of them, no second pass over the register to count them
        count = len(rows) if limit is None or len(rows) < limit else (
            session.scalar(select(func.count()).select_from(Case).where(*where)) or 0)
    return count, [tuple(r) for r in rows]


def submitter_of(db: Database) -> str | None:
    """The staff record of the signed-in person (what a new submission is submitted by)."""
    if db.actor is None:
        return None
    with db.reader() as session:
        return session.scalar(select(User.staff_id).where(User.name == db.actor.name))


def _check_submitter(db: Database, session, staff_id: str) -> None:  # type: ignore[no-untyped-def]
    """A physics lead records their own submissions: in their own name, once their account is
    linked to their staff record (a coordinator recording from paper names the physicist)."""
    if db.actor is None or db.actor.role != "physics":
        return
    account = session.scalars(select(User).where(User.name == db.actor.name)).first()
    if account is None:  # no account of that name (a stand-in for the role): nothing to hold it to
        return
    mine = account.staff_id
    if mine is None:
        raise ValidationFailed({"staff_id": "your account is not linked to your record in Staff & roles yet: an "
                                            "administrator links it (Settings → Users)"}, "dosimetry submission")
    if staff_id != mine:
        raise ValidationFailed({"staff_id": "you record your own submissions: they are submitted by you"},
                               "dosimetry submission")


def save_submission(db: Database, record: DosimetryRecord, *, submission_id: int | None = None,
                    overwrite: bool = False) -> Change:
    require_valid(validate_dosimetry(record), "dosimetry submission")
    with db.transaction(Permission.DOSIMETRY) as session:
        case = session.get(Case, record.case_id)
        if case is None:
            raise ValidationFailed({"case_id": f"there is no case {record.case_id}"}, "dosimetry submission")
        if session.get(Staff, record.staff_id) is None:
            raise ValidationFailed({"staff_id": f"there is no staff member {record.staff_id}"}, "dosimetry submission")
        _check_submitter(db, session, record.staff_id)
        if record.submitted_on and record.submitted_on < case.eligible_on:
            raise ValidationFailed({"submitted_on": "the submission is dated before the case was eligible"},
                                   "dosimetry submission")
        clash = session.scalars(select(DosimetrySubmission).where(
            DosimetrySubmission.case_id == record.case_id, DosimetrySubmission.submitted_on == record.submitted_on)).first()
        if clash is not None and clash.id != submission_id:
            raise ValidationFailed({"submitted_on": "this case already has a submission on that date"}, "dosimetry submission")
        change = put_numbered(session, DosimetrySubmission, submission_id, dataclasses.asdict(record),
                              version=record.version if submission_id else None, overwrite=overwrite,
                              what="dosimetry submission",
                              description=f"Dosimetry for case {record.case_id} saved")
    return change


def delete_submission(db: Database, submission_id: int, *, version: int | None = None) -> Change:
    return delete_one(db, Permission.DOSIMETRY, DosimetrySubmission, (submission_id,), "dosimetry submission",
                      "Dosimetry submission deleted", version=version)
