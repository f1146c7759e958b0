"""Enrollment rules: QIP-ENR-ZERO, QIP-ENR-DECLINE, QIP-ENR-SELECTIVE, ENR-REASON-OTHER, PART-VOLUME."""

from __future__ import annotations

import calendar
import datetime as dt
from fractions import Fraction

from app.domain.vocabulary import label
from app.rules.findings import Finding, day_range, days_between
from app.rules.measures import Measure
from app.rules.policy_file import Policy
from app.rules.snapshot import (
    EVIDENCE_CASE_LIMIT,
    FacilitySnapshot,
    selective_reason_flagged,
    selective_window,
)

RULE_ZERO = "QIP-ENR-ZERO"
RULE_DECLINE = "QIP-ENR-DECLINE"
RULE_SELECTIVE = "QIP-ENR-SELECTIVE"
RULE_REASON_OTHER = "ENR-REASON-OTHER"
RULE_VOLUME = "PART-VOLUME"


def period_start(month_day: str, as_of: dt.date) -> dt.date:
    """S(P, D): the latest start of the annual enrollment period on or before D."""
    month, day = (int(x) for x in month_day.split("-"))

    def on(year: int) -> dt.date:
        return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))

    start = on(as_of.year)
    return start if start <= as_of else on(as_of.year - 1)


def paused(snapshot: FacilitySnapshot, project: str | None, day: dt.date) -> bool:
    """An approved enrollment pause covering the project that day: one naming it, or a facility-wide
    one (no project). ``project=None`` asks for a facility-wide pause only."""
    return any(
        a.kind == "enrollment_pause" and a.approved and a.staff_id is None and a.covers(day)
        and (a.project is None or a.project == project)
        for a in snapshot.absences
    )


def zero_measures(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Measure]:
    """QIP-ENR-ZERO's figure for each active project: Z, the non-paused days in (W, D]."""
    facility = snapshot.facility
    if facility.joined_on > as_of:
        return []
    start = period_start(facility.enrollment_period_start or policy.period_start, as_of)
    measures = []
    for project in facility.active_projects:
        last = snapshot.last_enrollment.get(project)
        window = max(d for d in (last, start, facility.joined_on) if d is not None)
        paused_days = sum(1 for day in day_range(window, as_of) if paused(snapshot, project, day))
        days = days_between(window, as_of) - paused_days
        seen = sum(n for (p, day), n in snapshot.eligible_counts.items() if p == project and window < day <= as_of)
        seen_ids = sorted(cid for day, cid in snapshot.cases_after_last_enrollment.get(project, ()) if window < day <= as_of)
        measures.append(Measure(
            RULE_ZERO, {"project": project}, days, policy.zero_enrollment_days, days >= policy.zero_enrollment_days,
            {"window_start": window, "days_without_enrollment": days, "paused_days": paused_days,
             "threshold_days": policy.zero_enrollment_days, "last_enrollment": last, "period_start": start,
             "eligible_cases_seen": seen, "eligible_case_ids": seen_ids[:EVIDENCE_CASE_LIMIT]}))
    return measures


def enrollment_zero(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Finding]:
    """QIP-ENR-ZERO: a project without enrollment for too many non-paused days."""
    findings = []
    for m in zero_measures(snapshot, policy, as_of):
        if not m.fires:
            continue
        e = m.evidence
        explain = (" No eligible cases were seen in that time, which the facility can explain to the coordinating center."
                   if not e["eligible_cases_seen"] else f" {e['eligible_cases_seen']} eligible case(s) were seen in that time.")
        findings.append(Finding(
            RULE_ZERO, "qip", "trigger", m.subject,
            f"No {label(m.subject['project']).lower()} enrollment for {m.value} days (since "
            f"{e['window_start'].isoformat()}; the limit is {m.limit}).{explain}", e))
    return findings


def last_complete_month(as_of: dt.date) -> tuple[int, int]:
    """M: D's own month if D is its last day, else the month before."""
    if as_of.day == calendar.monthrange(as_of.year, as_of.month)[1]:
        return as_of.year, as_of.month
    first = as_of.replace(day=1) - dt.timedelta(days=1)
    return first.year, first.month


def decline_measures(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Measure]:
    """QIP-ENR-DECLINE's figure: C against Pv, January to the last complete month M."""
    year, month = last_complete_month(as_of)
    table = [{"month": f"{year}-{m:02d}", "this_year": snapshot.monthly_enrollments.get((year, m), 0),
              "last_year": snapshot.monthly_enrollments.get((year - 1, m), 0)} for m in range(1, month + 1)]
    current = sum(r["this_year"] for r in table)
    previous = sum(r["last_year"] for r in table)
    decline = Fraction(previous - current, previous) if previous else None
    return [Measure(
        RULE_DECLINE, {}, decline, policy.decline_fraction, decline is not None and decline >= policy.decline_fraction,
        {"through_month": f"{year}-{month:02d}", "enrollments": current, "previous_year_enrollments": previous,
         "decline": round(float(decline), 4) if decline is not None else None,
         "threshold": float(policy.decline_fraction), "months": table})]


def enrollment_decline(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Finding]:
    """QIP-ENR-DECLINE: year-to-date enrollment down by the policy fraction against last year."""
    findings = []
    for m in decline_measures(snapshot, policy, as_of):
        if not m.fires:
            continue
        e = m.evidence
        year, month = (int(x) for x in e["through_month"].split("-"))
        findings.append(Finding(
            RULE_DECLINE, "qip", "trigger", {},
            f"Enrollment from January to {calendar.month_name[month]} {year} is {e['enrollments']}, against "
            f"{e['previous_year_enrollments']} a year earlier: down {float(m.value) * 100:.1f}% (the limit is "
            f"{float(m.limit) * 100:.0f}%).", e))
    return findings


def _selective(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date):  # type: ignore[no-untyped-def]
    """The cases QIP-ENR-SELECTIVE flags (with why) and those ENR-REASON-OTHER reports."""
    oldest, newest = selective_window(policy, as_of)
    flagged, others = [], []
    for case in snapshot.selective_candidates:
        if not oldest < case.eligible_on <= newest:
            continue
        if case.status == "pending":
            flagged.append((case, "still pending after the decision window"))
        elif case.status == "not_enrolled" and selective_reason_flagged(case.reason, policy):
            if not case.reason:
                flagged.append((case, "not enrolled, with no reason"))
            elif case.reason not in policy.accepted_reasons:
                why = ("did not meet the performance-measure criteria (not an accepted reason)"
                       if case.reason == "measure_criteria" else f"reason '{case.reason}' is not accepted")
                flagged.append((case, why))
            else:  # 'other': accepted, but reported so someone reads the note
                others.append(case)
    flagged.sort(key=lambda pair: (pair[0].eligible_on, pair[0].case_id))
    return oldest, newest, flagged, others


def _selective_measure(oldest: dt.date, newest: dt.date, flagged: list) -> Measure:  # type: ignore[type-arg]
    return Measure(
        RULE_SELECTIVE, {}, len(flagged), 1, bool(flagged),
        {"window_start": oldest, "window_end": newest, "case_count": len(flagged),
         "cases": [{"case_id": c.case_id, "project": c.project, "eligible_on": c.eligible_on, "status": c.status,
                    "reason": c.reason, "problem": why} for c, why in flagged[:EVIDENCE_CASE_LIMIT]]})


def selective_measures(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Measure]:
    """QIP-ENR-SELECTIVE's figure: how many cases past the decision window are undecided or unexplained."""
    oldest, newest, flagged, _others = _selective(snapshot, policy, as_of)
    return [_selective_measure(oldest, newest, flagged)]


def selective_enrollment(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Finding]:
    """QIP-ENR-SELECTIVE (and ENR-REASON-OTHER): undecided or unexplained cases past the decision window."""
    oldest, newest, flagged, others = _selective(snapshot, policy, as_of)
    findings = [Finding(
        RULE_REASON_OTHER, "qip", "warning", {"case": c.case_id},
        f"Case {c.case_id} was not enrolled for reason 'other': {c.note or '(no note)'}",
        {"case_id": c.case_id, "project": c.project, "eligible_on": c.eligible_on, "note": c.note},
    ) for c in others]
    measure = _selective_measure(oldest, newest, flagged)
    if measure.fires:
        findings.append(Finding(
            RULE_SELECTIVE, "qip", "trigger", {},
            f"{len(flagged)} case(s) eligible between {oldest.isoformat()} and {newest.isoformat()} are still "
            "undecided or not enrolled without an accepted reason.", measure.evidence))
    return findings


def volume_measures(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Measure]:
    """PART-VOLUME's figure: breast + lung + prostate cases eligible in (D − lookback, D] (it fires
    below the minimum)."""
    since = as_of - dt.timedelta(days=policy.participation_lookback_days)
    counts = {p: 0 for p in (*policy.counted_projects, "bone_mets")}
    for (project, day), n in snapshot.eligible_counts.items():
        if since < day <= as_of and project in counts:
            counts[project] += n
    counted = sum(counts[p] for p in policy.counted_projects)
    return [Measure(RULE_VOLUME, {}, counted, policy.min_cases, counted < policy.min_cases,
                    {"since": since, "counted_cases": counted, "minimum": policy.min_cases, "by_project": counts})]


def participation_volume(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Finding]:
    """PART-VOLUME: fewer breast + lung + prostate cases in a year than the program expects."""
    findings = []
    for m in volume_measures(snapshot, policy, as_of):
        if not m.fires:
            continue
        findings.append(Finding(
            RULE_VOLUME, "participation", "warning", {},
            f"{m.value} breast, lung and prostate cases became eligible in the last {policy.participation_lookback_days} "
            f"days; the program expects at least {m.limit} (bone metastases, {m.evidence['by_project']['bone_mets']}, "
            "come on top).", m.evidence))
    return findings
