"""Correspondence from the coordinating center, leave and vacations, and enrollment pauses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from app.domain.permissions import Permission
from app.domain.records import validate_absence, validate_letter
from app.services.editing import (
    Change,
    ValidationFailed,
    delete_one,
    next_free_id,
    put_numbered,
    require_valid,
)
from app.storage.database import Database
from app.storage.models import Absence, Correspondence, Staff


@dataclass(frozen=True)
class LetterRow:
    id: int
    received_on: dt.date
    subject: str
    reply_required: bool
    due_on: dt.date | None
    replied_on: dt.date | None
    version: int = 1
    letter_id: str | None = None
    sender: str | None = None


def list_letters(db: Database) -> list[LetterRow]:
    with db.reader() as session:
        return [
            LetterRow(c.id, c.received_on, c.subject, c.reply_required, c.due_on, c.replied_on, c.version, c.letter_id,
                      c.sender)
            for c in session.scalars(select(Correspondence).order_by(Correspondence.received_on.desc()))
        ]


def save_letter(
    db: Database, received_on: dt.date | None, subject: str, reply_required: bool, due_on: dt.date | None = None,
    replied_on: dt.date | None = None, *, letter_id: int | None = None, version: int | None = None,
    overwrite: bool = False, sender: str | None = None, reference: str | None = None,
) -> Change:
    """Save a letter; a reply-needing letter without a due date is due after the policy's default days."""
    subject = (subject or "").strip()
    require_valid(validate_letter(received_on, subject, due_on, replied_on), "letter")
    with db.transaction(Permission.LETTERS) as session:
        clash = session.scalars(select(Correspondence).where(
            Correspondence.received_on == received_on, Correspondence.subject == subject)).first()
        if clash is not None and clash.id != letter_id:
            raise ValidationFailed({"subject": "a letter with this subject and date is already recorded"}, "letter")
        if reference and reference.strip():
            taken = session.scalars(select(Correspondence).where(Correspondence.letter_id == reference.strip())).first()
            if taken is not None and taken.id != letter_id:
                raise ValidationFailed({"letter_id": f"the reference {reference.strip()} is already used"}, "letter")
        change = put_numbered(session, Correspondence, letter_id,
                              {"received_on": received_on, "subject": subject, "reply_required": reply_required,
                               "due_on": due_on if reply_required else None, "replied_on": replied_on,
                               "sender": (sender or "").strip() or None}
                              | ({"letter_id": reference.strip()} if reference and reference.strip() else {}),
                              version=version, overwrite=overwrite, what="letter",
                              description=f"Letter '{subject}' saved")
    return change


def next_letter_reference(db: Database, day: dt.date) -> str:
    """A free reference for a new letter received on ``day`` (``L-2025-003``), offered, editable."""
    return next_free_id(db, Correspondence.letter_id, f"L-{day.year}-")


def delete_letter(db: Database, letter_id: int, *, version: int | None = None) -> Change:
    return delete_one(db, Permission.LETTERS, Correspondence, (letter_id,), "letter",
                      "Letter deleted", version=version)


@dataclass(frozen=True)
class AbsenceRow:
    id: int
    staff_id: str | None
    name: str
    kind: str
    start: dt.date
    end: dt.date
    approved: bool
    project: str | None
    version: int = 1


def list_absences(db: Database) -> list[AbsenceRow]:
    stmt = select(Absence, Staff.name).outerjoin(Staff, Staff.staff_id == Absence.staff_id).order_by(Absence.start.desc())
    with db.reader() as session:
        return [
            AbsenceRow(a.id, a.staff_id, name or "Whole facility", a.kind, a.start, a.end, a.approved, a.project, a.version)
            for a, name in session.execute(stmt)
        ]


def save_absence(
    db: Database, kind: str, start: dt.date | None, end: dt.date | None, approved: bool,
    staff_id: str | None = None, project: str | None = None, *, absence_id: int | None = None,
    version: int | None = None, overwrite: bool = False,
) -> Change:
    staff_id, project = staff_id or None, project or None
    require_valid(validate_absence(kind, start, end, staff_id, project), "leave or pause")
    with db.transaction(Permission.STAFF) as session:
        if staff_id and session.get(Staff, staff_id) is None:
            raise ValidationFailed({"staff_id": f"there is no staff member {staff_id}"}, "leave or pause")
        change = put_numbered(session, Absence, absence_id,
                              {"kind": kind, "start": start, "end": end, "approved": approved,
                               "staff_id": staff_id, "project": project},
                              version=version, overwrite=overwrite, what="leave or pause",
                              description="Leave or pause saved")
    return change


def delete_absence(db: Database, absence_id: int, *, version: int | None = None) -> Change:
    return delete_one(db, Permission.STAFF, Absence, (absence_id,), "leave or pause",
                      "Leave or pause deleted", version=version)
