"""The submission files a facility sends the coordinating center, as tables for ``app.storage.tabular``.

Each builder streams its rows from one SQL query (``yield_per``), so a 200,000-case enrollment
file never sits in memory as Python objects. Patient identifiers are included only when asked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from sqlalchemy import case as sql_case
from sqlalchemy import select

from app.domain.fields import PHI_CASE_FIELDS
from app.paths import resource
from app.storage.database import Database
from app.storage.models import Attendance, Case, DosimetrySubmission, Meeting, Staff
from app.storage.tabular import Sheet
from app.typed_toml import read_file

STREAM_CHUNK = 5000


@dataclass(frozen=True)
class Period:
    """Records dated within [start, end]; ``end`` is the as-of date when it comes first."""

    start: dt.date | None
    end: dt.date

    @classmethod
    def of(cls, year: int | None, as_of: dt.date) -> Period:
        if year is None:
            return cls(None, as_of)
        return cls(dt.date(year, 1, 1), min(dt.date(year, 12, 31), as_of))

    def describe(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}" if self.start else f"up to {self.end.isoformat()}"


def _stream(db: Database, stmt: Any) -> Iterator[Sequence[Any]]:
    with db.reader() as session:
        yield from session.execute(stmt.execution_options(yield_per=STREAM_CHUNK))


def enrollment_sheet(db: Database, period: Period, identified: bool = False) -> Sheet:
    """Per case eligible in the period: where its enrollment stood on the as-of date."""
    enrolled_by_end = Case.enrolled_on.is_not(None) & (Case.enrolled_on <= period.end)
    status = sql_case(
        (enrolled_by_end, "enrolled"),
        (Case.status == "not_enrolled", "not_enrolled"),
        else_="pending",
    )
    columns = [Case.case_id, Case.project, Case.primary_site, Case.eligible_on, status,
               sql_case((enrolled_by_end, Case.enrolled_on), else_=None),
               sql_case((Case.status == "not_enrolled", Case.not_enrolled_reason), else_=None), Case.payer]
    headers = ["case_id", "project", "primary_site", "eligible_on", "status", "enrolled_on", "not_enrolled_reason", "payer"]
    if identified:
        columns += [getattr(Case, field) for field in PHI_CASE_FIELDS]
        headers += list(PHI_CASE_FIELDS)
    stmt = select(*columns).where(Case.eligible_on <= period.end).order_by(Case.eligible_on, Case.case_id)
    if period.start:
        stmt = stmt.where(Case.eligible_on >= period.start)
    return Sheet("enrollment", headers, _stream(db, stmt), f"No eligible cases {period.describe()}.")


def _metrics_text(metrics: dict[str, float] | None) -> str:
    return ";".join(f"{k}={v}" for k, v in sorted((metrics or {}).items()))


def dosimetry_sheet(db: Database, period: Period) -> Sheet:
    stmt = (
        select(DosimetrySubmission.case_id, Case.project, DosimetrySubmission.submitted_on, DosimetrySubmission.staff_id,
               Staff.name, DosimetrySubmission.technique, DosimetrySubmission.total_dose_gy,
               DosimetrySubmission.fractions, DosimetrySubmission.metrics)
        .join(Case, Case.case_id == DosimetrySubmission.case_id)
        .join(Staff, Staff.staff_id == DosimetrySubmission.staff_id)
        .where(DosimetrySubmission.submitted_on <= period.end)
        .order_by(DosimetrySubmission.submitted_on, DosimetrySubmission.case_id)
    )
    if period.start:
        stmt = stmt.where(DosimetrySubmission.submitted_on >= period.start)

    def rows() -> Iterator[Sequence[Any]]:
        for case_id, project, submitted, staff_id, name, technique, dose, fractions, metrics in _stream(db, stmt):
            per_fraction = round(dose / fractions, 3) if fractions else None
            yield (case_id, project, submitted, staff_id, name, technique, dose, fractions, per_fraction, _metrics_text(metrics))

    headers = ["case_id", "project", "submitted_on", "staff_id", "submitted_by", "technique", "total_dose_gy",
               "fractions", "dose_per_fraction_gy", "metrics"]
    return Sheet("dosimetry", headers, rows(), f"No dosimetry submissions {period.describe()}.")


def _credit_requests(db: Database, period: Period, credits: tuple[str, ...]) -> list[tuple[Staff, Meeting, str]]:
    """In-person attendances in the period with a CE request (virtual meetings give no CE)."""
    stmt = (
        select(Staff, Meeting, Attendance.ce_credit)
        .join(Attendance, Attendance.staff_id == Staff.staff_id)
        .join(Meeting, Meeting.meeting_id == Attendance.meeting_id)
        .where(Attendance.ce_credit.in_(credits), Meeting.format == "in_person", Meeting.date <= period.end)
        .order_by(Meeting.date, Staff.name)
    )
    if period.start:
        stmt = stmt.where(Meeting.date >= period.start)
    with db.reader() as session:
        seen: set[tuple[str, str, str]] = set()
        result = []
        for staff, meeting, credit in session.execute(stmt):
            key = (staff.staff_id, meeting.meeting_id, credit)
            if key not in seen:  # one request per person, meeting and credit even if they covered two roles
                seen.add(key)
                result.append((staff, meeting, credit))
        return result


class ExportDefinitionError(ValueError):
    """An export's column definition (``resources/exports/*.toml``) cannot be used: file, key, line."""


#: What a roster column can hold: one attendee's fields (``mdcb_roster_sheet``).
RosterField = Literal["cmd_id", "last_name", "first_name", "name", "email", "meeting_id", "meeting_title",
                      "meeting_date", "location", "staff_id"]


class RosterColumn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    header: Annotated[str, msgspec.Meta(min_length=1)]
    field: RosterField


class RosterDefinition(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``resources/exports/mdcb_roster.toml``: the columns in order, and the version a file names."""

    version: Annotated[str, msgspec.Meta(min_length=1)] | int
    column: Annotated[tuple[RosterColumn, ...], msgspec.Meta(min_length=1)]


def mdcb_columns() -> tuple[str, list[tuple[str, str]]]:
    roster = read_file(resource("exports", "mdcb_roster.toml"), RosterDefinition, ExportDefinitionError)
    return str(roster.version), [(c.header, c.field) for c in roster.column]


def _split_name(name: str) -> tuple[str, str]:
    parts = name.replace("Dr.", "").replace("Dr ", "").split()
    if not parts:
        return "", ""
    return parts[-1], " ".join(parts[:-1])


def mdcb_roster_sheet(db: Database, period: Period) -> Sheet:
    """In-person attendees with a CMD ID who asked for MDCB credit (column set: resources/exports)."""
    version, columns = mdcb_columns()
    rows = []
    for staff, meeting, _credit in _credit_requests(db, period, ("mdcb",)):
        if not staff.cmd_id:
            continue  # reported by CE-MDCB-NO-ID; MDCB cannot credit them without an ID
        last, first = _split_name(staff.name)
        fields = {"cmd_id": staff.cmd_id, "last_name": last, "first_name": first, "name": staff.name,
                  "email": staff.email, "meeting_id": meeting.meeting_id, "meeting_title": meeting.title,
                  "meeting_date": meeting.date, "location": meeting.location, "staff_id": staff.staff_id}
        rows.append([fields[field] for _header, field in columns])
    return Sheet(f"MDCB roster v{version}", [h for h, _f in columns], rows,
                 f"No in-person MDCB credit requests with a CMD ID {period.describe()}.")


def ce_certificates_sheet(db: Database, period: Period) -> Sheet:
    """ARRT/ASRT attendees who need a certificate of completion."""
    rows = [
        (staff.name, staff.arrt_id, credit.upper(), meeting.meeting_id, meeting.title, meeting.date, meeting.location, staff.email)
        for staff, meeting, credit in _credit_requests(db, period, ("arrt", "asrt"))
    ]
    headers = ["name", "arrt_id", "credit", "meeting_id", "meeting_title", "meeting_date", "location", "email"]
    return Sheet("certificate requests", headers, rows, f"No ARRT/ASRT certificate requests {period.describe()}.")
