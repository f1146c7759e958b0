"""Run the policy rules on a database: load a snapshot with SQL aggregates, evaluate, report.

The snapshot reads whole-history figures as aggregates (last enrollment per project, monthly
counts, activity years) and only the last ~400 days of cases row by row, so a 10-year,
200,000-case facility evaluates in a fraction of a second.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import extract, func, select

from app.domain.vocabulary import PROJECTS
from app.rules.engine import evaluate
from app.rules.findings import Finding, plain
from app.rules.meetings import MeetingVerdict, attendance_verdicts
from app.rules.policy_file import Policy, load_policy
from app.rules.programs import ProgramFigures, program_figures
from app.rules.snapshot import (
    AbsenceInfo,
    AttendanceInfo,
    FacilityInfo,
    FacilitySnapshot,
    Letter,
    MeetingInfo,
    Person,
    RecentCase,
    RoleSpan,
)
from app.storage.database import Database
from app.storage.models import (
    Absence,
    Attendance,
    Case,
    Correspondence,
    DataEntry,
    DosimetrySubmission,
    Facility,
    Meeting,
    ProgramYear,
    RoleAssignment,
    Staff,
)

RECENT_DAYS = 400  # covers the one-year windows plus the period start that may precede them


class NoFacility(ValueError):
    pass


@dataclass(frozen=True)
class CheckResult:
    as_of: dt.date
    policy: Policy
    facility: str
    findings: list[Finding]

    @property
    def blocking(self) -> bool:
        return any(f.blocking for f in self.findings)


def _facility(session: Any) -> Facility:
    facility = session.scalars(select(Facility).limit(1)).first()
    if facility is None:
        raise NoFacility("The database has no facility yet; set it up first.")
    return facility


def load_snapshot(db: Database, as_of: dt.date, fte_year: int | None = None) -> tuple[FacilitySnapshot, int | None]:
    """The facility as its records stood on ``as_of`` (and the facility's chosen policy year)."""
    recent_from = as_of - dt.timedelta(days=RECENT_DAYS)
    with db.reader() as session:
        f = _facility(session)
        facility = FacilityInfo(
            name=f.name, joined_on=f.joined_on, baseline_year=f.baseline_year,
            radiation_oncologists=f.radiation_oncologists,
            active_projects=tuple(p for p in (f.active_projects or "").split(",") if p) or PROJECTS,
            enrollment_period_start=f.enrollment_period_start or None,
        )
        staff = {s.staff_id: Person(s.staff_id, s.name, s.profession, s.physician_title, s.works_on_mroqc,
                                    s.treats_mroqc_patients, s.cmd_id, s.pgip_member_since)
                 for s in session.scalars(select(Staff))}
        roles = tuple(RoleSpan(r.staff_id, r.role, r.start, r.end)
                      for r in session.scalars(select(RoleAssignment).where(RoleAssignment.start <= as_of)))
        meetings = tuple(MeetingInfo(m.meeting_id, m.date, m.format, m.title)
                         for m in session.scalars(select(Meeting).where(Meeting.date <= as_of)))
        attendance = tuple(AttendanceInfo(a.meeting_id, a.role, a.staff_id, a.ce_credit) for a in session.scalars(
            select(Attendance).join(Meeting, Meeting.meeting_id == Attendance.meeting_id).where(Meeting.date <= as_of)))
        letters = tuple(Letter(c.received_on, c.subject, c.reply_required, c.due_on, c.replied_on) for c in session.scalars(
            select(Correspondence).where(Correspondence.received_on <= as_of)))
        absences = tuple(AbsenceInfo(a.kind, a.start, a.end, a.approved, a.staff_id, a.project) for a in session.scalars(
            select(Absence).where(Absence.start <= as_of)))
        enrolled = Case.enrolled_on.is_not(None) & (Case.enrolled_on <= as_of)
        last_enrollment = {}
        for project in PROJECTS:  # one index seek each on (project, enrolled_on)
            last = session.scalar(select(func.max(Case.enrolled_on)).where(Case.project == project, enrolled))
            if last is not None:
                last_enrollment[project] = last
        year, month = extract("year", Case.enrolled_on), extract("month", Case.enrolled_on)
        monthly = {(int(y), int(m)): n for y, m, n in session.execute(
            select(year, month, func.count()).where(enrolled, Case.enrolled_on >= dt.date(as_of.year - 2, 1, 1))
            .group_by(year, month))}
        recent = tuple(
            RecentCase(cid, project, eligible, "enrolled" if enr and enr <= as_of else
                       ("not_enrolled" if status == "not_enrolled" else "pending"),
                       reason if status == "not_enrolled" else None, note)
            for cid, project, eligible, status, enr, reason, note in session.execute(
                select(Case.case_id, Case.project, Case.eligible_on, Case.status, Case.enrolled_on,
                       Case.not_enrolled_reason, Case.note)
                .where(Case.eligible_on > recent_from, Case.eligible_on <= as_of)))
        activity_dates = (DataEntry.date, DosimetrySubmission.submitted_on, Case.enrolled_on)
        lasts = [session.scalar(select(func.max(column)).where(column <= as_of)) for column in activity_dates]
        last_activity = max((d for d in lasts if d is not None), default=None)
        activity_years = frozenset(
            y for y in range(min(f.joined_on.year, f.baseline_year), as_of.year + 1)
            if any(session.scalar(select(column).where(column >= dt.date(y, 1, 1), column <= min(dt.date(y, 12, 31), as_of))
                                  .limit(1)) is not None for column in activity_dates))
        fte_years = {as_of.year, as_of.year - 1, fte_year or as_of.year - 1}
        by_payer = {}
        for y in sorted(fte_years):
            for payer, n in session.execute(
                    select(Case.payer, func.count()).where(enrolled, Case.enrolled_on >= dt.date(y, 1, 1),
                                                           Case.enrolled_on <= dt.date(y, 12, 31)).group_by(Case.payer)):
                by_payer[(y, payer)] = n
        targets = {p.year: p.performance_targets_met for p in session.scalars(select(ProgramYear))}
        by_payer = {(int(y), payer): n for y, payer, n in session.execute(
            select(year, Case.payer, func.count()).where(enrolled).group_by(year, Case.payer))}
        policy_year = f.policy_year
    snapshot = FacilitySnapshot(
        facility=facility, staff=staff, roles=roles, meetings=meetings, attendance=attendance, letters=letters,
        absences=absences, last_enrollment=last_enrollment, monthly_enrollments=monthly, recent_cases=recent,
        last_activity=last_activity, activity_years=activity_years, targets_met=targets, enrolled_by_year_payer=by_payer,
    )
    return snapshot, policy_year


def run_check(db: Database, as_of: dt.date) -> CheckResult:
    snapshot, policy_year = load_snapshot(db, as_of)
    policy = load_policy(policy_year, as_of)
    return CheckResult(as_of, policy, snapshot.facility.name, evaluate(snapshot, policy, as_of))


def to_json(result: CheckResult) -> dict[str, Any]:
    """The ``check --json`` contract of INTERFACES.md."""
    return {"as_of": result.as_of.isoformat(), "policy": str(result.policy.year), "facility": result.facility,
            "findings": [f.to_json() for f in result.findings]}


def meeting_verdicts(db: Database, year: int, as_of: dt.date) -> list[MeetingVerdict]:
    snapshot, policy_year = load_snapshot(db, as_of)
    return attendance_verdicts(snapshot, load_policy(policy_year, as_of), year, as_of)


def programs(db: Database, as_of: dt.date, fte_year: int | None = None, rate_per_fte: Decimal | None = None) -> ProgramFigures:
    snapshot, policy_year = load_snapshot(db, as_of, fte_year)
    return program_figures(snapshot, load_policy(policy_year, as_of), as_of, fte_year, rate_per_fte)


def programs_json(figures: ProgramFigures) -> dict[str, Any]:
    h, fte = figures.data_history, figures.fte
    return plain({
        "as_of": figures.as_of,
        "data_history": {"baseline_year": h.baseline_year, "contribution_years": list(h.contribution_years),
                         "met": h.met, "reasons": list(h.reasons)},
        "vbr": [{"staff_id": v.staff_id, "name": v.name, "eligible": v.eligible, "unmet": list(v.unmet)} for v in figures.vbr],
        "fte": {"year": fte.year, "cases": fte.cases, "cases_per_fte": fte.cases_per_fte, "fte": float(fte.fte),
                "payment_estimate": float(fte.payment) if fte.payment is not None else None, "staffing": fte.staffing,
                "non_bcbsm_cases": fte.non_bcbsm_cases,
                "non_bcbsm_share": float(fte.non_bcbsm_share) if fte.non_bcbsm_share is not None else None,
                "projected_non_bcbsm_share": float(fte.projected_non_bcbsm_share)},
        "p4p_payment_expected": figures.p4p_payment,
        "mvc_questionnaire_due": figures.mvc_questionnaire_due,
    })


def substitute_verdict(db: Database, meeting_id: str | None, role: str | None, staff_id: str | None) -> str:
    """What the attendance policy says about this person attending for this role, in words.

    Reads only the people, roles and that meeting's attendance, so the form can ask on every change.
    """
    from app.domain.vocabulary import REQUIRED_ROLES
    from app.rules.meetings import judge_substitute

    if not (meeting_id and role and staff_id) or role not in REQUIRED_ROLES:
        return ""
    with db.reader() as session:
        meeting = session.get(Meeting, meeting_id)
        f = _facility(session)
        if meeting is None:
            return ""
        person = session.get(Staff, staff_id)
        holders = [r.staff_id for r in session.scalars(select(RoleAssignment).where(
            RoleAssignment.role == role, RoleAssignment.start <= meeting.date))
            if r.end is None or r.end >= meeting.date]
        others = tuple(a.role for a in session.scalars(select(Attendance).where(
            Attendance.meeting_id == meeting_id, Attendance.staff_id == staff_id))
            if a.role != role and a.role in REQUIRED_ROLES)
        policy = load_policy(f.policy_year, meeting.date)
        info = FacilityInfo(f.name, f.joined_on, f.baseline_year, f.radiation_oncologists, PROJECTS)
        snapshot = FacilitySnapshot(facility=info)
        plain_person = Person(person.staff_id, person.name, person.profession, person.physician_title,
                              person.works_on_mroqc, person.treats_mroqc_patients, person.cmd_id) if person else None
    if staff_id in holders:
        return "✓ Holder of the role on the meeting date."
    ok, why, notes = judge_substitute(plain_person, role, snapshot, policy, others)
    if ok:
        return "✓ Acceptable substitute." + (f" Note: {notes[0]}." if notes else "")
    return f"✕ Not an acceptable substitute: {why}. It will be recorded and reported as a violation."
