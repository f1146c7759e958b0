"""The attendance export: one row per meeting and required role, with the policy verdict, and a
row per meeting for those who attended covering no role (``attendee``): they count for CE credit,
so a list of who was there must name them too."""

from __future__ import annotations

from sqlalchemy import select

from app.domain.vocabulary import label
from app.exports.submissions import Period
from app.services.findings import meeting_verdicts
from app.services.meetings import meeting_years
from app.storage.database import Database
from app.storage.models import Attendance, Staff
from app.storage.tabular import Sheet

HEADERS = ["meeting_id", "meeting_date", "format", "role", "attended_by", "coverage", "verdict", "reason"]
ATTENDEE = "attendee"


def _attendees(db: Database, meeting_ids: list[str]) -> dict[str, list[tuple[str, str | None]]]:
    """Meeting ID → (name, CE credit) of each person who attended covering no role."""
    found: dict[str, list[tuple[str, str | None]]] = {}
    if not meeting_ids:
        return found
    stmt = (select(Attendance.meeting_id, Attendance.staff_id, Staff.name, Attendance.ce_credit)
            .outerjoin(Staff, Staff.staff_id == Attendance.staff_id)
            .where(Attendance.role == ATTENDEE, Attendance.meeting_id.in_(meeting_ids))
            .order_by(Attendance.meeting_id, Staff.name, Attendance.staff_id))
    with db.reader() as session:
        for meeting_id, staff_id, name, credit in session.execute(stmt):
            found.setdefault(meeting_id, []).append((name or staff_id, credit))
    return found


def attendance_sheet(db: Database, period: Period) -> Sheet:
    start_year = period.start.year if period.start else None
    years = [start_year] if start_year else None
    verdicts = [mv for year in years or _years(db, period) for mv in meeting_verdicts(db, year, period.end)]
    attendees = _attendees(db, [mv.meeting.meeting_id for mv in verdicts])
    rows = []
    for mv in verdicts:
        for role, rv in mv.roles.items():
            names = "; ".join(a.name for a in rv.attendees)
            reasons = "; ".join(f"{a.name}: {a.reason}" for a in rv.attendees if a.reason)
            notes = "; ".join(n for a in rv.attendees for n in a.notes)
            rows.append([mv.meeting.meeting_id, mv.meeting.date, label(mv.meeting.format), label(role), names,
                         rv.coverage, rv.verdict, "; ".join(x for x in (reasons, notes) if x)])
        present = attendees.get(mv.meeting.meeting_id)
        if present:
            names = "; ".join(name for name, _ in present)
            credits = "; ".join(f"{name}: {label(credit)} credit requested" for name, credit in present if credit)
            rows.append([mv.meeting.meeting_id, mv.meeting.date, label(mv.meeting.format), label(ATTENDEE), names,
                         "", "attended (no role)", credits])
    return Sheet("attendance", HEADERS, rows, f"No meetings {period.describe()}.")


def _years(db: Database, period: Period) -> list[int]:
    return sorted(y for y in meeting_years(db) if y <= period.end.year)
