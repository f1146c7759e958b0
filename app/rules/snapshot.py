"""The plain data the rules read: what the facility's records said at the as-of date.

Built by ``app.services.findings.load_snapshot`` with SQL aggregates (never a row per case for
the whole history); tests build it by hand. Nothing here touches a database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FacilityInfo:
    name: str
    joined_on: dt.date
    baseline_year: int
    radiation_oncologists: int
    active_projects: tuple[str, ...]
    enrollment_period_start: str | None = None  # MM-DD; None: the policy's


@dataclass(frozen=True)
class Person:
    staff_id: str
    name: str
    profession: str
    physician_title: str | None = None
    works_on_mroqc: bool = False
    treats_mroqc_patients: bool = False
    cmd_id: str | None = None
    pgip_member_since: dt.date | None = None


@dataclass(frozen=True)
class RoleSpan:
    staff_id: str
    role: str
    start: dt.date
    end: dt.date | None = None

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class MeetingInfo:
    meeting_id: str
    date: dt.date
    format: str
    title: str | None = None


@dataclass(frozen=True)
class AttendanceInfo:
    meeting_id: str
    role: str
    staff_id: str
    ce_credit: str | None = None


@dataclass(frozen=True)
class Letter:
    received_on: dt.date
    subject: str
    reply_required: bool
    due_on: dt.date | None = None
    replied_on: dt.date | None = None


@dataclass(frozen=True)
class AbsenceInfo:
    kind: str
    start: dt.date
    end: dt.date
    approved: bool
    staff_id: str | None = None
    project: str | None = None

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class RecentCase:
    """A case eligible within the last year-and-a-bit, as it stood at the as-of date."""

    case_id: str
    project: str
    eligible_on: dt.date
    status: str  # at the as-of date: an enrollment dated later is still pending
    reason: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class FacilitySnapshot:
    facility: FacilityInfo
    staff: dict[str, Person] = field(default_factory=dict)
    roles: tuple[RoleSpan, ...] = ()
    meetings: tuple[MeetingInfo, ...] = ()
    attendance: tuple[AttendanceInfo, ...] = ()
    letters: tuple[Letter, ...] = ()
    absences: tuple[AbsenceInfo, ...] = ()
    #: Latest enrollment date ≤ D per project.
    last_enrollment: dict[str, dt.date] = field(default_factory=dict)
    #: Enrollments per (year, month), all projects, dated ≤ D (the two years QIP-ENR-DECLINE compares).
    monthly_enrollments: dict[tuple[int, int], int] = field(default_factory=dict)
    #: Cases eligible in (D − 400 days, D].
    recent_cases: tuple[RecentCase, ...] = ()
    #: Latest data-entry activity ≤ D (entries, dosimetry submissions, enrollments).
    last_activity: dt.date | None = None
    #: Calendar years with any data-entry activity ≤ D.
    activity_years: frozenset[int] = frozenset()
    #: Whether the consortium's performance targets were met, per program year.
    targets_met: dict[int, bool] = field(default_factory=dict)
    #: Enrolled cases per payer in each calendar year (≤ D), for the FTE estimate.
    enrolled_by_year_payer: dict[tuple[int, str | None], int] = field(default_factory=dict)

    def holders(self, role: str, day: dt.date) -> list[str]:
        return [r.staff_id for r in self.roles if r.role == role and r.covers(day)]
