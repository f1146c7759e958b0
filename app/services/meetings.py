"""Collaborative-wide meetings and who attended them for which role."""

from __future__ import annotations

import datetime as dt
import itertools
import string
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select

from app.domain.permissions import Permission
from app.domain.records import validate_attendance, validate_meeting
from app.rules.meetings import MeetingVerdict, RoleVerdict
from app.services.editing import (
    Change,
    ValidationFailed,
    delete_one,
    put_by_id,
    put_numbered,
    remove,
    require_valid,
)
from app.storage.database import Database
from app.storage.models import Attendance, Meeting, Staff


@dataclass(frozen=True)
class MeetingRow:
    meeting_id: str
    date: dt.date
    format: str
    title: str | None
    location: str | None
    version: int = 1


@dataclass(frozen=True)
class AttendanceRow:
    id: int
    meeting_id: str
    role: str
    staff_id: str
    name: str
    ce_credit: str | None
    version: int = 1


def list_meetings(db: Database, year: int | None = None) -> list[MeetingRow]:
    stmt = select(Meeting).order_by(Meeting.date)
    if year is not None:
        stmt = stmt.where(Meeting.date >= dt.date(year, 1, 1), Meeting.date <= dt.date(year, 12, 31))
    with db.reader() as session:
        return [MeetingRow(m.meeting_id, m.date, m.format, m.title, m.location, m.version) for m in session.scalars(stmt)]


def meeting_years(db: Database) -> list[int]:
    with db.reader() as session:
        return sorted({d.year for d in session.scalars(select(Meeting.date))}, reverse=True)


def save_meeting(
    db: Database, meeting_id: str, date: dt.date | None, fmt: str, title: str | None = None,
    location: str | None = None, *, original_id: str | None = None, version: int | None = None,
    overwrite: bool = False,
) -> Change:
    meeting_id = (meeting_id or "").strip()
    require_valid(validate_meeting(meeting_id, date, fmt), "meeting")
    with db.transaction(Permission.MEETINGS) as session:
        obj, before = put_by_id(session, Meeting, meeting_id, original_id,
                                {"meeting_id": meeting_id, "date": date, "format": fmt,
                                 "title": (title or "").strip() or None,
                                 "location": (location or "").strip() or None},
                                version=version, overwrite=overwrite, what="meeting",
                                taken=f"meeting {meeting_id} already exists",
                                fixed="a meeting ID cannot be changed")
        after = obj.version
    return Change(Meeting, (meeting_id,), before, f"Meeting {meeting_id} saved", after)


def delete_meeting(db: Database, meeting_id: str, *, version: int | None = None) -> Change:
    with db.transaction(Permission.MEETINGS) as session:
        if session.scalars(select(Attendance.id).where(Attendance.meeting_id == meeting_id).limit(1)).first():
            raise ValidationFailed({"meeting_id": "remove the meeting's attendance first"}, "meeting")
        before = remove(session, Meeting, (meeting_id,), "meeting", version=version)
    return Change(Meeting, (meeting_id,), before, f"Meeting {meeting_id} deleted")


def list_attendance(db: Database, meeting_id: str) -> list[AttendanceRow]:
    stmt = (
        select(Attendance, Staff.name)
        .join(Staff, Staff.staff_id == Attendance.staff_id)
        .where(Attendance.meeting_id == meeting_id)
        .order_by(Attendance.role, Staff.name)
    )
    with db.reader() as session:
        return [AttendanceRow(a.id, a.meeting_id, a.role, a.staff_id, name, a.ce_credit, a.version)
                for a, name in session.execute(stmt)]


def save_attendance(
    db: Database, meeting_id: str, role: str, staff_id: str, ce_credit: str | None = None,
    *, attendance_id: int | None = None, version: int | None = None, overwrite: bool = False,
) -> Change:
    ce_credit = ce_credit or None
    require_valid(validate_attendance(role, staff_id, ce_credit), "attendance")
    with db.transaction(Permission.MEETINGS) as session:
        if session.get(Meeting, meeting_id) is None:
            raise ValidationFailed({"meeting_id": f"there is no meeting {meeting_id}"}, "attendance")
        if session.get(Staff, staff_id) is None:
            raise ValidationFailed({"staff_id": f"there is no staff member {staff_id}"}, "attendance")
        duplicate = session.scalars(select(Attendance).where(
            Attendance.meeting_id == meeting_id, Attendance.role == role, Attendance.staff_id == staff_id)).first()
        if duplicate is not None and duplicate.id != attendance_id:
            raise ValidationFailed({"staff_id": "this person is already recorded for that role"}, "attendance")
        change = put_numbered(session, Attendance, attendance_id,
                              {"meeting_id": meeting_id, "role": role, "staff_id": staff_id, "ce_credit": ce_credit},
                              version=version, overwrite=overwrite, what="attendance record",
                              description="Attendance saved")
    return change


def delete_attendance(db: Database, attendance_id: int, *, version: int | None = None) -> Change:
    return delete_one(db, Permission.MEETINGS, Attendance, (attendance_id,), "attendance record",
                      "Attendance removed", version=version)


def meeting_id_for(day: dt.date, taken: Collection[str]) -> str:
    """The ID offered for a meeting held on ``day``: its own date (``M-2026-10-15``), then
    ``M-2026-10-15-b``, ``-c``… for a second and third that day, so an ID never reads as another
    day in an export. IDs already given (the older ``M-2026-12-01`` numbering too) stay as they are."""
    base = f"M-{day.isoformat()}"
    for n in itertools.count(1):  # the 27th meeting of a day (never seen) would be -27
        candidate = base if n == 1 else f"{base}-{string.ascii_lowercase[n - 1] if n <= 26 else n}"
        if candidate not in taken:
            return candidate
    raise AssertionError("unreachable")


def next_meeting_id(db: Database, day: dt.date) -> str:
    """A free meeting ID for a meeting held on ``day`` (``meeting_id_for``), offered, editable."""
    with db.reader() as session:
        taken = set(session.scalars(select(Meeting.meeting_id).where(Meeting.meeting_id.like(f"M-{day.isoformat()}%"))))
    return meeting_id_for(day, taken)


def verdict_words(meeting: MeetingVerdict, role: RoleVerdict) -> tuple[str, str]:
    """A role's verdict at a meeting and its reasons, as the Meetings screen and the attendance
    export both say them ("VIOLATION: nobody attended", never a bare "absent" with no reason)."""
    reasons = [f"{a.name}: {a.reason}" for a in role.attendees if a.reason]
    reasons += [n for a in role.attendees for n in a.notes]
    if any(a.staff_id in meeting.double_roles for a in role.attendees):
        reasons.append("covering two roles at this meeting")
    verdict = role.verdict if not reasons or role.covered else f"VIOLATION: {role.verdict}"
    if not role.attendees:
        verdict = "VIOLATION: nobody attended"
    return verdict, "; ".join(reasons)
