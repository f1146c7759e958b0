"""Run the policy rules on a database: load a snapshot with SQL aggregates, evaluate, report.

The snapshot never reads one row per case for the whole history. Case figures come as
aggregates: the last enrollment per project, monthly enrollment counts for the two years the
decline rule compares, eligible cases per project and day over the last year, the newest
unenrolled cases per project (evidence, capped), the selective-enrollment candidates only, the
latest activity date and the years with activity. A 10-year, 200,000-case facility loads in well
under a second; ``app.rules.snapshot.case_fields`` is the plain-Python reference these queries
are tested against.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from sqlalchemy import func, select

from app.domain.dates import check_plausible
from app.domain.vocabulary import PROJECTS
from app.rules.engine import ENTRIES, evaluate, forecast_all, measure
from app.rules.findings import Finding, plain
from app.rules.forecast import Forecast
from app.rules.measures import Measures
from app.rules.meetings import MeetingVerdict, attendance_verdicts
from app.rules.policy_file import Policy, PolicyInForce
from app.rules.programs import ProgramFigures, default_fte_year, program_figures
from app.rules.snapshot import (
    EVIDENCE_CASE_LIMIT,
    AbsenceInfo,
    AttendanceInfo,
    CaseAtDate,
    FacilityInfo,
    FacilitySnapshot,
    Letter,
    MeetingInfo,
    Person,
    RoleSpan,
    case_window_days,
    months_from,
    selective_window,
    status_at,
)
from app.services.case_state import enrolled_at_sql, selective_candidate_sql, undecided_sql
from app.services.policies import policy_at
from app.storage.database import Database
from app.storage.errors import NoFacility
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


@dataclass(frozen=True)
class Evaluation:
    """What is true at the as-of date, owned in one place: the policy that applies, the facility's
    records as they stood (``snapshot``), every finding, and every measured rule's figures
    (``measures``, fired or not) and their forecasts. ``check``, the Dashboard, Findings, Programs and the self-audit
    all read one of these (``evaluate_at``) instead of loading and judging again."""

    as_of: dt.date
    policy: Policy
    snapshot: FacilitySnapshot
    findings: list[Finding]
    measures: Measures
    #: per rule with a threshold and subject: how far from firing, and the day it fires if nothing changes
    forecast: list[Forecast]
    #: the policy in force at ``as_of`` and what to say about it ("… in force since 2025-01-01 …")
    in_force: PolicyInForce

    @property
    def facility(self) -> str:
        return self.snapshot.facility.name

    @property
    def blocking(self) -> bool:
        """At least one trigger or violation (``check`` exits 1)."""
        return any(f.blocking for f in self.findings)

    def status(self, rule: str) -> str:
        """``clear``, ``warning`` or ``triggered`` for a rule, by its findings."""
        severities = {f.severity for f in self.findings if f.rule == rule}
        if severities & {"trigger", "violation"}:
            return "triggered"
        return "warning" if severities else "clear"


CheckResult = Evaluation  # what ``check`` reports is the evaluation


def _facility(session: Any) -> Facility:
    facility = session.scalars(select(Facility).limit(1)).first()
    if facility is None:
        raise NoFacility("The database has no facility yet; set it up first.")
    return facility


def _case_figures(session: Any, as_of: dt.date, policy: Policy, payer_years: set[int]) -> dict[str, Any]:
    """The snapshot's case fields, by SQL aggregates (see ``app.rules.snapshot.case_fields``)."""
    enrolled = enrolled_at_sql(as_of)
    last_enrollment = {}
    for project in PROJECTS:  # one index seek each on (project, enrolled_on)
        last = session.scalar(select(func.max(Case.enrolled_on)).where(Case.project == project, enrolled))
        if last is not None:
            last_enrollment[project] = last
    monthly: dict[tuple[int, int], int] = {}
    for day, n in session.execute(  # grouped by day on the covering index, bucketed here: portable SQL
            select(Case.enrolled_on, func.count()).where(enrolled, Case.enrolled_on >= months_from(as_of))
            .group_by(Case.enrolled_on)):
        monthly[(day.year, day.month)] = monthly.get((day.year, day.month), 0) + n
    cases_from = as_of - dt.timedelta(days=case_window_days(policy))
    counts: dict[tuple[str, dt.date], int] = {}
    after: dict[str, tuple[tuple[dt.date, str], ...]] = {}
    for project in PROJECTS:  # covering index (project, eligible_on)
        window = (Case.project == project) & (Case.eligible_on > cases_from) & (Case.eligible_on <= as_of)
        for day, n in session.execute(select(Case.eligible_on, func.count()).where(window).group_by(Case.eligible_on)):
            counts[(project, day)] = n
        since = max(last_enrollment.get(project, cases_from), cases_from)
        # one lower bound: with two, SQLite seeks by the first and tests the other on every case after it
        after_since = (Case.project == project) & (Case.eligible_on > since) & (Case.eligible_on <= as_of)
        rows = tuple((day, cid) for day, cid in session.execute(
            select(Case.eligible_on, Case.case_id).where(after_since)
            .order_by(Case.eligible_on.desc(), Case.case_id.desc()).limit(EVIDENCE_CASE_LIMIT)))
        if rows:
            after[project] = rows
    oldest, newest = selective_window(policy, as_of)
    reason = Case.not_enrolled_reason
    candidates = tuple(
        CaseAtDate(cid, project, eligible, status_at(status, enr, as_of),
                   (why or None) if status == "not_enrolled" else None, note)
        for cid, project, eligible, status, enr, why, note in session.execute(
            select(Case.case_id, Case.project, Case.eligible_on, Case.status, Case.enrolled_on, reason, Case.note)
            .where(Case.eligible_on > oldest, Case.eligible_on <= newest,
                   selective_candidate_sql(as_of, policy.accepted_reasons))
            .order_by(Case.eligible_on, Case.case_id)))
    # the cases inside the decision window that would count once past it, oldest first (index on eligible_on)
    soon = tuple(
        CaseAtDate(cid, project, eligible, status_at(status, enr, as_of),
                   (why or None) if status == "not_enrolled" else None, note)
        for cid, project, eligible, status, enr, why, note in session.execute(
            select(Case.case_id, Case.project, Case.eligible_on, Case.status, Case.enrolled_on, reason, Case.note)
            .where(Case.eligible_on > newest, Case.eligible_on <= as_of, undecided_sql(as_of, policy.accepted_reasons))
            .order_by(Case.eligible_on, Case.case_id).limit(EVIDENCE_CASE_LIMIT)))
    by_payer: dict[tuple[int, str | None], int] = {}
    for year in sorted(payer_years):
        # grouped by day and payer in the order of the covering index (enrolled_on, payer), summed
        # here: grouped by payer alone, SQLite sorted a year's enrollments first (half the time)
        for _day, payer, n in session.execute(
                select(Case.enrolled_on, Case.payer, func.count())
                .where(enrolled, Case.enrolled_on >= dt.date(year, 1, 1), Case.enrolled_on <= dt.date(year, 12, 31))
                .group_by(Case.enrolled_on, Case.payer)):
            by_payer[(year, payer)] = by_payer.get((year, payer), 0) + n
    return {"last_enrollment": last_enrollment, "monthly_enrollments": monthly, "cases_from": cases_from,
            "eligible_counts": counts, "cases_after_last_enrollment": after, "selective_candidates": candidates,
            "enrolled_by_year_payer": by_payer, "undecided_soon": soon}


def _activity(session: Any, as_of: dt.date, first_year: int) -> tuple[dt.date | None, frozenset[int]]:
    """The latest data-entry activity ≤ D, and the calendar years with any (index seeks only)."""
    columns = (DataEntry.date, DosimetrySubmission.submitted_on, Case.enrolled_on)
    lasts = [session.scalar(select(func.max(column)).where(column <= as_of)) for column in columns]
    last = max((d for d in lasts if d is not None), default=None)
    years = frozenset(
        y for y in range(first_year, as_of.year + 1)
        if any(session.scalar(select(column).where(column >= dt.date(y, 1, 1), column <= min(dt.date(y, 12, 31), as_of))
                              .limit(1)) is not None for column in columns))
    return last, years


def load_snapshot(db: Database, as_of: dt.date, fte_year: int | None = None, *,
                  cases: bool = True) -> tuple[FacilitySnapshot, Policy]:
    """The facility as its records stood on ``as_of``, and the policy in force then
    (``app.services.policies.policy_at``). See ``load_snapshot_in_force``."""
    snapshot, in_force = load_snapshot_in_force(db, as_of, fte_year, cases=cases)
    return snapshot, in_force.policy


def load_snapshot_in_force(db: Database, as_of: dt.date, fte_year: int | None = None, *,
                           cases: bool = True) -> tuple[FacilitySnapshot, PolicyInForce]:
    """The facility as its records stood on ``as_of``, and the policy in force then with what to
    say about it (the newest policy file in force on that date, or the program year the facility
    chose in Settings: ``app.services.policies.policy_at``).

    Records dated after D are left out (a letter received later, an enrollment dated later, the
    attendance of a later meeting); meetings scheduled after D are kept, without attendance, so a
    screen can show the next one (the rules read only meetings ≤ D). ``cases=False`` skips the
    case and activity figures, for callers that only judge meetings. ``fte_year`` adds that
    year's payer counts to the default FTE year's. An as-of date outside the plausible years is
    refused (``DateInputError``) before any rule adds a horizon to it.
    """
    check_plausible(as_of, "the as-of date")
    with db.reader() as session:
        f = _facility(session)
        in_force = policy_at(session, as_of)
        policy = in_force.policy
        facility = FacilityInfo(
            name=f.name, joined_on=f.joined_on, baseline_year=f.baseline_year,
            radiation_oncologists=f.radiation_oncologists,
            active_projects=tuple(p for p in (f.active_projects or "").split(",") if p) or PROJECTS,
            enrollment_period_start=f.enrollment_period_start or None,
            records_kept_since=f.records_kept_since,
        )
        staff = {s.staff_id: Person(s.staff_id, s.name, s.profession, s.physician_title, s.works_on_mroqc,
                                    s.treats_mroqc_patients, s.cmd_id, s.pgip_member_since)
                 for s in session.scalars(select(Staff))}
        roles = tuple(RoleSpan(r.staff_id, r.role, r.start, r.end)
                      for r in session.scalars(select(RoleAssignment).where(RoleAssignment.start <= as_of)))
        meetings = tuple(MeetingInfo(m.meeting_id, m.date, m.format, m.title) for m in session.scalars(select(Meeting)))
        attendance = tuple(AttendanceInfo(a.meeting_id, a.role, a.staff_id, a.ce_credit) for a in session.scalars(
            select(Attendance).join(Meeting, Meeting.meeting_id == Attendance.meeting_id).where(Meeting.date <= as_of)))
        letters = tuple(Letter(c.received_on, c.subject, c.reply_required, c.due_on, c.replied_on) for c in session.scalars(
            select(Correspondence).where(Correspondence.received_on <= as_of)))
        absences = tuple(AbsenceInfo(a.kind, a.start, a.end, a.approved, a.staff_id, a.project) for a in session.scalars(
            select(Absence).where(Absence.start <= as_of)))
        targets = {p.year: p.performance_targets_met for p in session.scalars(select(ProgramYear))}
        figures: dict[str, Any] = {}
        if cases:
            payer_years = {default_fte_year(as_of)} | ({fte_year} if fte_year else set())
            figures = _case_figures(session, as_of, policy, payer_years)
            figures["last_activity"], figures["activity_years"] = _activity(
                session, as_of, min(f.joined_on.year, f.baseline_year))
    snapshot = FacilitySnapshot(
        facility=facility, staff=staff, roles=roles, meetings=meetings, attendance=attendance, letters=letters,
        absences=absences, targets_met=targets, **figures,
    )
    return snapshot, in_force


T = TypeVar("T")


class SharedEvaluations(Protocol):
    """A database's evaluations kept for a window (``app.services.evaluations.EvaluationCache``)."""

    db: Database

    def evaluation(self, as_of: dt.date) -> Evaluation: ...

    def kept(self, name: str, key: Hashable, compute: Callable[[], T]) -> T: ...


#: Per open database (by identity: ``Database`` is not hashable), the evaluations its window keeps.
_shared: weakref.WeakValueDictionary[int, SharedEvaluations] = weakref.WeakValueDictionary()


def share_evaluations(source: SharedEvaluations) -> None:
    """``evaluate_at`` on ``source.db`` answers from ``source`` from now on (the window's hub)."""
    _shared[id(source.db)] = source


def stop_sharing_evaluations(source: SharedEvaluations) -> None:
    if _shared.get(id(source.db)) is source:
        del _shared[id(source.db)]


def shared_evaluations(db: Database) -> SharedEvaluations | None:
    """The evaluations a window keeps for ``db``, if one does."""
    source = _shared.get(id(db))
    return source if source is not None and source.db is db else None


def evaluate_at(db: Database, as_of: dt.date, fte_year: int | None = None) -> Evaluation:
    """What is true at ``as_of``: the window's kept evaluation when its change hub keeps one for
    this database (one per as-of date and data version, ``app.services.evaluations``), else a
    fresh one (``evaluate_fresh``), as for ``check`` and every script."""
    shared = shared_evaluations(db) if fte_year is None else None
    return shared.evaluation(as_of) if shared is not None else evaluate_fresh(db, as_of, fte_year)


def evaluate_fresh(db: Database, as_of: dt.date, fte_year: int | None = None) -> Evaluation:
    """Every rule of POLICY.md at ``as_of`` (findings sorted by kind, severity, rule and subject)
    and every measured rule's figures, from one snapshot loaded now."""
    snapshot, in_force = load_snapshot_in_force(db, as_of, fte_year)
    policy = in_force.policy
    return Evaluation(as_of, policy, snapshot, evaluate(snapshot, policy, as_of), measure(snapshot, policy, as_of),
                      forecast_all(snapshot, policy, as_of), in_force)


def rule_words(rule: str) -> str:
    """A rule for people: its plain title first, its code in brackets ("Days without data entry
    [QIP-DATA-LAG]"), as the Findings tree, the QIP tracker and their messages name it."""
    entry = ENTRIES.get(rule)
    return f"{entry.title} [{rule}]" if entry else rule


def run_check(db: Database, as_of: dt.date) -> Evaluation:
    """``check``: the evaluation at ``as_of``."""
    return evaluate_at(db, as_of)


def to_json(result: CheckResult) -> dict[str, Any]:
    """The ``check --json`` contract of INTERFACES.md, and ``policy_in_force`` (docs/cli.md). A
    facility whose records begin too late for some rules also gets ``records_kept_since`` and
    ``not_enough_history`` (the rules and subjects that lack the history to fire): added keys,
    left out when every window is inside the records."""
    found = {"as_of": result.as_of.isoformat(), "policy": str(result.policy.year),
             "policy_in_force": result.in_force.to_json(), "facility": result.facility,
             "findings": [f.to_json() for f in result.findings],
             "forecast": [f.to_json() for f in result.forecast]}
    short = [{"rule": m.rule, "subject": m.subject, "records_kept_since": m.history_since.isoformat()}
             for measures in result.measures.values() for m in measures if m.history_since is not None]
    kept = result.snapshot.facility.records_kept_since
    if short and kept is not None:
        found["records_kept_since"] = kept.isoformat()
        found["not_enough_history"] = short
    return found


def not_enough_history_lines(result: CheckResult) -> list[str]:
    """``check``'s lines on the rules that lack the history to fire (none for a facility with its
    history): a heading with the day its records are kept since, then one line per rule and subject."""
    short = [m for measures in result.measures.values() for m in measures if m.history_since is not None]
    if not short:
        return []
    since = min(m.history_since for m in short if m.history_since is not None)
    lines = [f"Not enough history yet (records kept since {since.isoformat()})"]
    for m in short:
        subject = ", ".join(f"{k} {v}" for k, v in m.subject.items())
        lines.append(f"  {m.rule}{' (' + subject + ')' if subject else ''}")
    return lines


def meeting_verdicts(db: Database, year: int, as_of: dt.date) -> list[MeetingVerdict]:
    """The Meetings screen's and the attendance export's verdicts: ``year``'s meetings up to ``as_of``."""
    snapshot, policy = load_snapshot(db, as_of, cases=False)
    return attendance_verdicts(snapshot, policy, year, as_of)


def programs(db: Database, as_of: dt.date, fte_year: int | None = None, rate_per_fte: Decimal | None = None) -> ProgramFigures:
    """The program figures at ``as_of`` (``app.rules.programs.program_figures``) from a database."""
    return program_figures_of(evaluate_at(db, as_of, fte_year), fte_year, rate_per_fte)


def program_figures_of(evaluation: Evaluation, fte_year: int | None = None,
                       rate_per_fte: Decimal | None = None) -> ProgramFigures:
    """The program figures of an evaluation (the same snapshot its findings come from)."""
    return program_figures(evaluation.snapshot, evaluation.policy, evaluation.as_of, fte_year, rate_per_fte)


def programs_json(figures: ProgramFigures) -> dict[str, Any]:
    """The ``programs --json`` object (documented key by key in docs/rules.md); dates ISO, money
    and shares as numbers."""
    h, fte = figures.data_history, figures.fte
    return plain({
        "as_of": figures.as_of,
        "data_history": {"baseline_year": h.baseline_year, "contribution_years": list(h.contribution_years),
                         "met": h.met, "reasons": list(h.reasons)},
        "vbr": [{"staff_id": v.staff_id, "name": v.name, "eligible": v.eligible, "unmet": list(v.unmet)} for v in figures.vbr],
        "fte": {"year": fte.year, "cases": fte.cases, "cases_per_fte": fte.cases_per_fte, "fte": float(fte.fte),
                "payment_estimate": float(fte.payment) if fte.payment is not None else None, "staffing": fte.staffing,
                "non_bcbsm_cases": fte.non_bcbsm_cases, "unknown_payer_cases": fte.unknown_payer_cases,
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
        policy = policy_at(session, meeting.date).policy
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
