"""The plain data the rules read: what the facility's records said at the as-of date.

Built by ``app.services.findings.load_snapshot`` with SQL aggregates (never a row per case for
the whole history); tests build it by hand. Nothing here touches a database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from app.rules.policy_file import Policy


@dataclass(frozen=True)
class FacilityInfo:
    name: str
    joined_on: dt.date
    baseline_year: int
    radiation_oncologists: int
    active_projects: tuple[str, ...]
    enrollment_period_start: str | None = None  # MM-DD; None: the policy's
    #: Since when the facility's records are in the app; None: since joining (all its history). A
    #: rule whose window reaches back before it does not fire: the app cannot know those days.
    records_kept_since: dt.date | None = None

    def history_missing(self, first_day: dt.date) -> dt.date | None:
        """The records-kept-since day when a window starting on ``first_day`` reaches back before it
        (only days of membership count: before joining there was nothing to record); else None."""
        kept = self.records_kept_since
        if kept is None or kept <= max(first_day, self.joined_on):
            return None
        return kept

    def count_from(self, start: dt.date) -> tuple[dt.date, dt.date | None]:
        """Where a count of the days after ``start`` begins as far as the records go: (``start``,
        None), or (the day before records were kept, that records-kept-since day) when they begin
        later. The days before it are unknown, not days without: a rule counts only the known ones."""
        kept = self.history_missing(start + dt.timedelta(days=1))
        return (start, None) if kept is None else (kept - dt.timedelta(days=1), kept)


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
class CaseRecord:
    """One case row as stored. Only tests and ``case_fields`` (the reference aggregation) use it:
    the snapshot itself never holds a row per case."""

    case_id: str
    project: str
    eligible_on: dt.date
    status: str = "pending"
    enrolled_on: dt.date | None = None
    reason: str | None = None
    note: str | None = None
    payer: str | None = None


@dataclass(frozen=True)
class CaseAtDate:
    """A case as it stood at the as-of date (only the few the selective-enrollment rule must list)."""

    case_id: str
    project: str
    eligible_on: dt.date
    status: str  # at the as-of date: an enrollment dated later is still pending
    reason: str | None = None
    note: str | None = None


def status_at(status: str, enrolled_on: dt.date | None, as_of: dt.date) -> str:
    """The status a case had at D. The enrollment date is the record of enrolling (only an enrolled
    case has one), so a case counts as enrolled exactly when that date is ≤ D; ``not_enrolled`` has
    no decision date, so it counts at any D; anything else is still pending."""
    if enrolled_on is not None and enrolled_on <= as_of:
        return "enrolled"
    return "not_enrolled" if status == "not_enrolled" else "pending"


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
    #: Enrollments per (year, month), all projects, dated ≤ D, from January of the year before the
    #: last complete month's year (the two years QIP-ENR-DECLINE compares; the dashboard's chart).
    monthly_enrollments: dict[tuple[int, int], int] = field(default_factory=dict)
    #: Exclusive start of the window the two case figures below cover (None: everything given).
    cases_from: dt.date | None = None
    #: Cases per (project, eligible date), eligible in (cases_from, D].
    eligible_counts: dict[tuple[str, dt.date], int] = field(default_factory=dict)
    #: Per project, the newest cases (at most ``EVIDENCE_CASE_LIMIT``) eligible in (cases_from, D]
    #: after the project's last enrollment ≤ D, as (eligible date, case ID), newest first. None of
    #: them can be enrolled at D, so they are the cases QIP-ENR-ZERO names as evidence.
    cases_after_last_enrollment: dict[str, tuple[tuple[dt.date, str], ...]] = field(default_factory=dict)
    #: Cases eligible in the selective-enrollment window that are pending at D, or not enrolled with
    #: no reason, a reason outside the accepted list, or ``other``: the only case rows loaded.
    selective_candidates: tuple[CaseAtDate, ...] = ()
    #: The cases eligible in (D − decision window, D] that are pending at D or not enrolled with no
    #: reason or one outside the accepted list, oldest first (at most ``EVIDENCE_CASE_LIMIT``): the
    #: day the first leaves the decision window, QIP-ENR-SELECTIVE fires unless it is decided.
    undecided_soon: tuple[CaseAtDate, ...] = ()
    #: Latest data-entry activity ≤ D (entries, dosimetry submissions, enrollments).
    last_activity: dt.date | None = None
    #: Calendar years with any data-entry activity ≤ D.
    activity_years: frozenset[int] = frozenset()
    #: Whether the consortium's performance targets were met, per program year.
    targets_met: dict[int, bool] = field(default_factory=dict)
    #: Cases enrolled (≤ D) per (calendar year, payer), for the FTE estimate's year(s).
    enrolled_by_year_payer: dict[tuple[int, str | None], int] = field(default_factory=dict)

    @property
    def next_undecided_eligible_on(self) -> dt.date | None:
        return self.undecided_soon[0].eligible_on if self.undecided_soon else None

    def holders(self, role: str, day: dt.date) -> list[str]:
        return [r.staff_id for r in self.roles if r.role == role and r.covers(day)]

    # The rules ask these day by day over windows of hundreds of days: sorted out of ``absences``
    # once per snapshot, not once per day (a facility's vacations outnumber its pauses).
    @cached_property
    def enrollment_pauses(self) -> tuple[AbsenceInfo, ...]:
        """The approved enrollment pauses: facility-wide (no project) or one project's; never a person's."""
        return tuple(a for a in self.absences if a.kind == "enrollment_pause" and a.approved and a.staff_id is None)

    @cached_property
    def time_away(self) -> dict[str, tuple[AbsenceInfo, ...]]:
        """Each person's approved leave and vacation, by staff ID."""
        away: dict[str, list[AbsenceInfo]] = {}
        for a in self.absences:
            if a.staff_id is not None and a.approved and a.kind in ("leave", "vacation"):
                away.setdefault(a.staff_id, []).append(a)
        return {staff_id: tuple(spans) for staff_id, spans in away.items()}


#: Most case IDs a finding's evidence lists (counts are always complete).
EVIDENCE_CASE_LIMIT = 200


def case_window_days(policy: Policy) -> int:
    """How far back case figures must reach: the one-year windows, and S(P, D) (≤ 366 days back)."""
    return max(policy.selective_lookback_days, policy.participation_lookback_days, 366)


def selective_window(policy: Policy, as_of: dt.date) -> tuple[dt.date, dt.date]:
    """(D − lookback, D − decision window]: eligible dates QIP-ENR-SELECTIVE reads."""
    return (as_of - dt.timedelta(days=policy.selective_lookback_days),
            as_of - dt.timedelta(days=policy.selective_decision_days))


def selective_reason_flagged(reason: str | None, policy: Policy) -> bool:
    """A not-enrolled reason the selective rule must look at: missing, not accepted, or ``other``."""
    return not reason or reason not in policy.accepted_reasons or reason == "other"


def undecided_at(status: str, reason: str | None, policy: Policy) -> bool:
    """A case QIP-ENR-SELECTIVE counts once past the decision window: pending, or not enrolled
    with no reason or a reason outside the accepted list (``other`` is accepted)."""
    return status == "pending" or (status == "not_enrolled" and (not reason or reason not in policy.accepted_reasons))


def months_from(as_of: dt.date) -> dt.date:
    """January 1 of the year before the last complete month's year: where monthly counts start."""
    month_year = as_of.year - 1 if as_of.month == 1 and as_of.day < 31 else as_of.year
    return dt.date(month_year - 1, 1, 1)


def case_fields(cases: Iterable[CaseRecord], as_of: dt.date, policy: Policy,
                payer_years: Iterable[int] = ()) -> dict[str, Any]:
    """The snapshot's case figures computed from plain rows, exactly as the SQL loader computes them.

    The reference implementation: tests build snapshots with it and check the SQL aggregates of
    ``app.services.findings.load_snapshot`` against it. Never used on a real facility's history.
    """
    cases = list(cases)
    cases_from = as_of - dt.timedelta(days=case_window_days(policy))
    enrolled = [c for c in cases if status_at(c.status, c.enrolled_on, as_of) == "enrolled"]
    last: dict[str, dt.date] = {}
    for c in enrolled:
        assert c.enrolled_on is not None
        last[c.project] = max(last.get(c.project, c.enrolled_on), c.enrolled_on)
    start = months_from(as_of)
    monthly: dict[tuple[int, int], int] = {}
    for c in enrolled:
        assert c.enrolled_on is not None
        if c.enrolled_on >= start:
            key = (c.enrolled_on.year, c.enrolled_on.month)
            monthly[key] = monthly.get(key, 0) + 1
    recent = [c for c in cases if cases_from < c.eligible_on <= as_of]
    counts: dict[tuple[str, dt.date], int] = {}
    for c in recent:
        counts[(c.project, c.eligible_on)] = counts.get((c.project, c.eligible_on), 0) + 1
    after: dict[str, tuple[tuple[dt.date, str], ...]] = {}
    for project in sorted({c.project for c in recent}):
        rows = sorted(((c.eligible_on, c.case_id) for c in recent
                       if c.project == project and (project not in last or c.eligible_on > last[project])),
                      reverse=True)[:EVIDENCE_CASE_LIMIT]
        if rows:
            after[project] = tuple(rows)
    oldest, newest = selective_window(policy, as_of)
    candidates = []
    for c in sorted(cases, key=lambda c: (c.eligible_on, c.case_id)):
        status = status_at(c.status, c.enrolled_on, as_of)
        if not oldest < c.eligible_on <= newest:
            continue
        if status == "pending" or (status == "not_enrolled" and selective_reason_flagged(c.reason, policy)):
            candidates.append(CaseAtDate(c.case_id, c.project, c.eligible_on, status,
                                         (c.reason or None) if status == "not_enrolled" else None, c.note))
    soon = []
    for c in sorted(cases, key=lambda c: (c.eligible_on, c.case_id)):
        status = status_at(c.status, c.enrolled_on, as_of)
        if newest < c.eligible_on <= as_of and undecided_at(status, c.reason, policy):
            soon.append(CaseAtDate(c.case_id, c.project, c.eligible_on, status,
                                   (c.reason or None) if status == "not_enrolled" else None, c.note))
    years = set(payer_years)
    by_payer: dict[tuple[int, str | None], int] = {}
    for c in enrolled:
        assert c.enrolled_on is not None
        if c.enrolled_on.year in years:
            key = (c.enrolled_on.year, c.payer)
            by_payer[key] = by_payer.get(key, 0) + 1
    return {"last_enrollment": last, "monthly_enrollments": monthly, "cases_from": cases_from,
            "eligible_counts": counts, "cases_after_last_enrollment": after,
            "selective_candidates": tuple(candidates), "enrolled_by_year_payer": by_payer,
            "undecided_soon": tuple(soon[:EVIDENCE_CASE_LIMIT])}
