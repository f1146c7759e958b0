"""The attendance export: one row per meeting and required role, with the policy verdict."""

from __future__ import annotations

from app.domain.vocabulary import label
from app.exports.submissions import Period
from app.exports.tabular import Sheet
from app.services.findings import meeting_verdicts
from app.storage.database import Database

HEADERS = ["meeting_id", "meeting_date", "format", "role", "attended_by", "coverage", "verdict", "reason"]


def attendance_sheet(db: Database, period: Period) -> Sheet:
    start_year = period.start.year if period.start else None
    years = [start_year] if start_year else None
    rows = []
    for year in years or _years(db, period):
        for mv in meeting_verdicts(db, year, period.end):
            for role, rv in mv.roles.items():
                names = "; ".join(a.name for a in rv.attendees)
                reasons = "; ".join(f"{a.name}: {a.reason}" for a in rv.attendees if a.reason)
                notes = "; ".join(n for a in rv.attendees for n in a.notes)
                rows.append([mv.meeting.meeting_id, mv.meeting.date, label(mv.meeting.format), label(role), names,
                             rv.coverage, rv.verdict, "; ".join(x for x in (reasons, notes) if x)])
    return Sheet("attendance", HEADERS, rows, f"No meetings {period.describe()}.")


def _years(db: Database, period: Period) -> list[int]:
    from app.services.meetings import meeting_years

    return sorted(y for y in meeting_years(db) if y <= period.end.year)
