"""Enrollment rules: QIP-ENR-ZERO, QIP-ENR-DECLINE, QIP-ENR-SELECTIVE, ENR-REASON-OTHER, PART-VOLUME."""

from __future__ import annotations

import calendar
import datetime as dt
from fractions import Fraction

from app.domain.vocabulary import label
from app.rules.findings import Finding, day_range, days_between
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


def enrollment_zero(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Finding]:
    """QIP-ENR-ZERO: a project without enrollment for too many non-paused days."""
    facility = snapshot.facility
    if facility.joined_on > as_of:
        return []
    start = period_start(facility.enrollment_period_start or policy.period_start, as_of)
    findings = []
    for project in facility.active_projects:
        last = snapshot.last_enrollment.get(project)
        window = max(d for d in (last, start, facility.joined_on) if d is not None)
        paused_days = sum(1 for day in day_range(window, as_of) if paused(snapshot, project, day))
        days = days_between(window, as_of) - paused_days
        if days < policy.zero_enrollment_days:
            continue
        seen = sum(n for (p, day), n in snapshot.eligible_counts.items() if p == project and window < day <= as_of)
        seen_ids = sorted(cid for day, cid in snapshot.cases_after_last_enrollment.get(project, ()) if window < day <= as_of)
        explain = (" No eligible cases were seen in that time, which the facility can explain to the coordinating center."
                   if not seen else f" {seen} eligible case(s) were seen in that time.")
        findings.append(Finding(
            RULE_ZERO, "qip", "trigger", {"project": project},
            f"No {label(project).lower()} enrollment for {days} days (since {window.isoformat()}; "
            f"the limit is {policy.zero_enrollment_days}).{explain}",
            {"window_start": window, "days_without_enrollment": days, "paused_days": paused_days,
             "threshold_days": policy.zero_enrollment_days, "last_enrollment": last, "period_start": start,
             "eligible_cases_seen": seen, "eligible_case_ids": seen_ids[:EVIDENCE_CASE_LIMIT]},
        ))
    return findings


def last_complete_month(as_of: dt.date) -> tuple[int, int]:
    """M: D's own month if D is its last day, else the month before."""
    if as_of.day == calendar.monthrange(as_of.year, as_of.month)[1]:
        return as_of.year, as_of.month
    first = as_of.replace(day=1) - dt.timedelta(days=1)
    return first.year, first.month


def enrollment_decline(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Finding]:
    """QIP-ENR-DECLINE: year-to-date enrollment down by the policy fraction against last year."""
    year, month = last_complete_month(as_of)
    table = [{"month": f"{year}-{m:02d}", "this_year": snapshot.monthly_enrollments.get((year, m), 0),
              "last_year": snapshot.monthly_enrollments.get((year - 1, m), 0)} for m in range(1, month + 1)]
    current = sum(r["this_year"] for r in table)
    previous = sum(r["last_year"] for r in table)
    if previous == 0 or Fraction(previous - current, previous) < policy.decline_fraction:
        return []
    decline = Fraction(previous - current, previous)
    return [Finding(
        RULE_DECLINE, "qip", "trigger", {},
        f"Enrollment from January to {calendar.month_name[month]} {year} is {current}, against {previous} a year "
        f"earlier: down {float(decline) * 100:.1f}% (the limit is {float(policy.decline_fraction) * 100:.0f}%).",
        {"through_month": f"{year}-{month:02d}", "enrollments": current, "previous_year_enrollments": previous,
         "decline": round(float(decline), 4), "threshold": float(policy.decline_fraction), "months": table},
    )]


def selective_enrollment(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Finding]:
    """QIP-ENR-SELECTIVE (and ENR-REASON-OTHER): undecided or unexplained cases past the decision window."""
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
    findings = [Finding(
        RULE_REASON_OTHER, "qip", "warning", {"case": c.case_id},
        f"Case {c.case_id} was not enrolled for reason 'other': {c.note or '(no note)'}",
        {"case_id": c.case_id, "project": c.project, "eligible_on": c.eligible_on, "note": c.note},
    ) for c in others]
    if flagged:
        flagged.sort(key=lambda pair: (pair[0].eligible_on, pair[0].case_id))
        findings.append(Finding(
            RULE_SELECTIVE, "qip", "trigger", {},
            f"{len(flagged)} case(s) eligible between {oldest.isoformat()} and {newest.isoformat()} are still "
            "undecided or not enrolled without an accepted reason.",
            {"window_start": oldest, "window_end": newest, "case_count": len(flagged),
             "cases": [{"case_id": c.case_id, "project": c.project, "eligible_on": c.eligible_on, "status": c.status,
                        "reason": c.reason, "problem": why} for c, why in flagged[:EVIDENCE_CASE_LIMIT]]},
        ))
    return findings


def participation_volume(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Finding]:
    """PART-VOLUME: fewer breast + lung + prostate cases in a year than the program expects."""
    since = as_of - dt.timedelta(days=policy.participation_lookback_days)
    counts = {p: 0 for p in (*policy.counted_projects, "bone_mets")}
    for (project, day), n in snapshot.eligible_counts.items():
        if since < day <= as_of and project in counts:
            counts[project] += n
    counted = sum(counts[p] for p in policy.counted_projects)
    if counted >= policy.min_cases:
        return []
    return [Finding(
        RULE_VOLUME, "participation", "warning", {},
        f"{counted} breast, lung and prostate cases became eligible in the last {policy.participation_lookback_days} days; "
        f"the program expects at least {policy.min_cases} (bone metastases, {counts['bone_mets']}, come on top).",
        {"since": since, "counted_cases": counted, "minimum": policy.min_cases, "by_project": counts},
    )]
