"""Enrollment rules: QIP-ENR-ZERO, QIP-ENR-DECLINE, QIP-ENR-SELECTIVE, ENR-REASON-OTHER, PART-VOLUME."""

from __future__ import annotations

import calendar
import datetime as dt
from fractions import Fraction

from app.domain.vocabulary import label
from app.rules.findings import Finding, day_range, days_between
from app.rules.forecast import Forecast, days_after, firing, month_end, on_day
from app.rules.measures import Measure
from app.rules.policy_file import Policy
from app.rules.snapshot import (
    EVIDENCE_CASE_LIMIT,
    FacilitySnapshot,
    selective_reason_flagged,
    selective_window,
)
from app.rules.spec import (
    Count,
    Evaluated,
    Figure,
    JoinsOn,
    NoFigure,
    OutOf,
    PerSubject,
    RuleEntry,
    RuleSpec,
    TileSpec,
    Versus,
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
    return any(a.covers(day) and (a.project is None or a.project == project) for a in snapshot.enrollment_pauses)


def zero_measures(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Measure]:
    """QIP-ENR-ZERO's figure for each active project: Z, the non-paused days in (W, D]."""
    facility = snapshot.facility
    if facility.joined_on > as_of:
        return []
    start = period_start(facility.enrollment_period_start or policy.period_start, as_of)
    measures = []
    for project in facility.active_projects:
        last = snapshot.last_enrollment.get(project)
        # the days before the records begin are unknown, not days without: count the known ones
        window, kept = facility.count_from(max(d for d in (last, start, facility.joined_on) if d is not None))
        paused_days = sum(1 for day in day_range(window, as_of) if paused(snapshot, project, day))
        days = max(days_between(window, as_of) - paused_days, 0)
        seen = sum(n for (p, day), n in snapshot.eligible_counts.items() if p == project and window < day <= as_of)
        seen_ids = sorted(cid for day, cid in snapshot.cases_after_last_enrollment.get(project, ()) if window < day <= as_of)
        fires = days >= policy.zero_enrollment_days
        evidence = {"window_start": window, "days_without_enrollment": days, "paused_days": paused_days,
                    "threshold_days": policy.zero_enrollment_days, "last_enrollment": last, "period_start": start,
                    "eligible_cases_seen": seen, "eligible_case_ids": seen_ids[:EVIDENCE_CASE_LIMIT]}
        if kept is not None:
            evidence["records_kept_since"] = kept
        measures.append(Measure(RULE_ZERO, {"project": project}, days, policy.zero_enrollment_days, fires, evidence,
                                kept if kept is not None and not fires else None))
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
        since = (f"counted from {e['records_kept_since'].isoformat()}, since when records are kept here"
                 if "records_kept_since" in e else f"since {e['window_start'].isoformat()}")
        findings.append(Finding(
            RULE_ZERO, "qip", "trigger", m.subject,
            f"No {label(m.subject['project']).lower()} enrollment for {m.value} days ({since}; "
            f"the limit is {m.limit}).{explain}", e))
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
    # both years' months from January: a year the records do not cover cannot be compared
    kept = snapshot.facility.history_missing(dt.date(year - 1, 1, 1))
    evidence = {"through_month": f"{year}-{month:02d}", "enrollments": current, "previous_year_enrollments": previous,
                "decline": round(float(decline), 4) if decline is not None else None,
                "threshold": float(policy.decline_fraction), "months": table}
    if kept is not None:
        evidence["records_kept_since"] = kept
    return [Measure(
        RULE_DECLINE, {}, decline, policy.decline_fraction,
        kept is None and decline is not None and decline >= policy.decline_fraction, evidence, kept)]


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
    # a year of cases: fewer on record than a year's worth of records may hold says nothing yet
    kept = snapshot.facility.history_missing(since + dt.timedelta(days=1))
    evidence = {"since": since, "counted_cases": counted, "minimum": policy.min_cases, "by_project": counts}
    if kept is not None:
        evidence["records_kept_since"] = kept
    return [Measure(RULE_VOLUME, {}, counted, policy.min_cases, kept is None and counted < policy.min_cases,
                    evidence, kept)]


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


# --- forecasts: how far each rule is from firing, and the day it fires if nothing changes ---------

def zero_forecasts(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Forecast]:
    """QIP-ENR-ZERO per project: Z counts on by one a day (pauses excepted) until it reaches the
    limit; a new enrollment period starting first resets it."""
    month_day = snapshot.facility.enrollment_period_start or policy.period_start
    out = []
    for m in zero_measures(snapshot, policy, as_of):
        project = m.subject["project"]
        name = label(project)
        if m.fires:
            out.append(firing(m.rule, m.subject, m.value, m.limit, "days", as_of,
                              f"{name}: {m.value} days without enrollment (the limit is {m.limit}): firing."))
            continue
        last = snapshot.last_enrollment.get(project)
        z, fires_on = m.value, None
        for day in days_after(as_of, policy):
            if period_start(month_day, day) == day and (last is None or last < day):
                z = 0  # a new period: W is that day
            elif not paused(snapshot, project, day):
                z += 1
            if z >= m.limit:
                fires_on = day
                break
        out.append(Forecast(m.rule, m.subject, m.value, m.limit, m.limit - m.value, "days", fires_on,
                            f"{name}: day {m.value} of {m.limit} — {on_day(fires_on)} without an enrollment.", m.evidence))
    return out


def decline_forecasts(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Forecast]:
    """QIP-ENR-DECLINE: this year's count stays, last year's grows month by month; the first month
    end whose comparison fires."""
    [m] = decline_measures(snapshot, policy, as_of)
    current, previous = m.evidence["enrollments"], m.evidence["previous_year_enrollments"]
    if m.fires:
        return [firing(m.rule, m.subject, m.value, m.limit, "enrollments", as_of,
                       f"Enrollment {current} against {previous} a year earlier: firing.")]
    # the most this year's count may be and still fire: C ≤ Pv·(1 − f)
    distance = current - int(previous * (1 - policy.decline_fraction)) if previous else None
    fires_on, end = None, as_of + dt.timedelta(days=policy.horizon_days)
    day = month_end(as_of)  # M changes only at month ends
    if day == as_of:
        day = month_end(as_of + dt.timedelta(days=1))
    while day <= end:
        if decline_measures(snapshot, policy, day)[0].fires:
            fires_on = day
            break
        day = month_end(day + dt.timedelta(days=1))
    margin = (f"{distance} enrollment(s) above the trigger level" if distance is not None
              else "no enrollment a year earlier to compare with")
    return [Forecast(m.rule, m.subject, m.value, m.limit, distance, "enrollments", fires_on,
                     f"Enrollment {current} against {previous} a year earlier, {margin} — "
                     f"{on_day(fires_on)} without more enrollments.")]


def selective_forecasts(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Forecast]:
    """QIP-ENR-SELECTIVE: the oldest case still undecided (or unexplained) inside the decision
    window fires the rule the day it leaves the window."""
    [m] = selective_measures(snapshot, policy, as_of)
    if m.fires:
        return [firing(m.rule, m.subject, m.value, m.limit, "cases", as_of,
                       f"{m.value} case(s) undecided or unexplained past the decision window: firing.")]
    nxt = snapshot.next_undecided_eligible_on
    fires_on = nxt + dt.timedelta(days=policy.selective_decision_days) if nxt else None
    window = dt.timedelta(days=policy.selective_decision_days)
    evidence = {"decision_days": policy.selective_decision_days, "case_count": len(snapshot.undecided_soon),
                "cases": [{"case_id": c.case_id, "project": c.project, "eligible_on": c.eligible_on, "status": c.status,
                           "reason": c.reason, "leaves_window_on": c.eligible_on + window}
                          for c in snapshot.undecided_soon]}
    text = (f"No case is undecided past the decision window; the oldest undecided case (eligible "
            f"{nxt.isoformat()}) {on_day(fires_on, 'passes it')} without a decision." if nxt
            else "No case is undecided past the decision window, and none is waiting inside it.")
    return [Forecast(m.rule, m.subject, m.value, m.limit, 1, "cases", fires_on, text, evidence)]


def volume_forecasts(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Forecast]:
    """PART-VOLUME: with no new case, the year's count falls as cases leave the one-year window;
    the day it drops below the minimum fires."""
    [m] = volume_measures(snapshot, policy, as_of)
    if m.fires:
        return [firing(m.rule, m.subject, m.value, m.limit, "cases", as_of,
                       f"{m.value} breast, lung and prostate cases in a year (at least {m.limit} expected): firing.")]
    since = as_of - dt.timedelta(days=policy.participation_lookback_days)
    by_day: dict[dt.date, int] = {}
    for (project, day), n in snapshot.eligible_counts.items():
        if project in policy.counted_projects and since < day <= as_of:
            by_day[day] = by_day.get(day, 0) + n
    need, dropped, fires_on = m.value - m.limit + 1, 0, None
    candidate: dt.date | None = as_of + dt.timedelta(days=1) if need <= 0 else None  # too few already
    for day in sorted(by_day):
        if candidate is not None:
            break
        dropped += by_day[day]
        if dropped >= need:
            candidate = day + dt.timedelta(days=policy.participation_lookback_days)
    if candidate is not None and m.history_since is not None:  # not before a year of records is kept
        candidate = max(candidate, m.history_since + dt.timedelta(days=policy.participation_lookback_days - 1))
    if candidate is not None and (candidate - as_of).days <= policy.horizon_days:
        fires_on = candidate
    need = max(need, 1)  # not firing: at least one case away (too few already, but too little history)
    return [Forecast(m.rule, m.subject, m.value, m.limit, need, "cases", fires_on,
                     f"{m.value} breast, lung and prostate cases in a year ({m.limit} expected) — "
                     f"{on_day(fires_on)} without new cases.")]


# --- the specs: what the engine, the catalogue, the Findings screen and the Dashboard read --------

def _zero_figure(e: Evaluated) -> Figure:
    """Days without enrollment per active project; before joining, the day it joins."""
    zero = e.measures.get(RULE_ZERO, [])
    if zero:
        return PerSubject(tuple((m.subject["project"], m.value) for m in zero))
    joined = e.snapshot.facility.joined_on
    return JoinsOn(joined) if joined > e.as_of else NoFigure("no active project")


def _zero_detail(e: Evaluated) -> str:
    return (f"a trigger at {e.policy.zero_enrollment_days} days (pauses excepted; counted from the last "
            "enrollment, the period start or joining)")


def _measure(e: Evaluated, rule: str) -> Measure | None:
    found = e.measures.get(rule, [])
    return found[0] if found else None


def _decline_figure(e: Evaluated) -> Figure | None:
    m = _measure(e, RULE_DECLINE)
    return Versus(m.evidence["enrollments"], m.evidence["previous_year_enrollments"]) if m is not None else None


def _decline_detail(e: Evaluated) -> str:
    m = _measure(e, RULE_DECLINE)
    if m is None:
        return ""
    year, month = (int(x) for x in m.evidence["through_month"].split("-"))
    return f"January to month {month} of {year}"


def _selective_figure(e: Evaluated) -> Figure:
    m = _measure(e, RULE_SELECTIVE)
    return Count(m.value if m is not None else 0)


def _volume_figure(e: Evaluated) -> Figure | None:
    m = _measure(e, RULE_VOLUME)
    return OutOf(m.value, m.limit) if m is not None else None


ZERO_SPEC = RuleSpec(
    (RuleEntry(RULE_ZERO, "qip", "A project went too long without enrollment",
               "Enroll the eligible cases waiting in this project, or record why each was not enrolled; with none "
               "seen, write down why no patient was eligible.", onset="window_start"),),
    enrollment_zero, zero_measures, (zero_forecasts,),
    (TileSpec(RULE_ZERO, "Days without enrollment", _zero_figure, _zero_detail,
              counts="Days since each project's last enrollment date (Enrollment: a case set to enrolled, with its "
                     "date)."),))

DECLINE_SPEC = RuleSpec(
    (RuleEntry(RULE_DECLINE, "qip", "Year-to-date enrollment fell too far against last year",
               "Compare this year's eligible cases with last year's and enroll the pending ones; explain a drop in "
               "referrals to the coordinating center."),),
    enrollment_decline, decline_measures, (decline_forecasts,),
    (TileSpec(RULE_DECLINE, "Enrollment this year vs last", _decline_figure, _decline_detail,
              counts="Enrollment dates from January to the last complete month, this year and last (Enrollment)."),))

SELECTIVE_SPEC = RuleSpec(
    (RuleEntry(RULE_SELECTIVE, "qip", "Cases undecided or not enrolled without an accepted reason",
               "Record the reason each case was not enrolled, or enroll it."),
     RuleEntry(RULE_REASON_OTHER, "qip", "Cases not enrolled for reason 'other'",
               "Read the note: if an accepted reason fits, record that reason instead of 'other'.")),
    selective_enrollment, selective_measures, (selective_forecasts,),
    (TileSpec(RULE_SELECTIVE, "Undecided or unexplained cases", _selective_figure,
              lambda e: f"eligible more than {e.policy.selective_decision_days} days ago",
              counts="Cases past the decision window still pending, or not enrolled without an accepted reason "
                     "(Enrollment: status and reason)."),))

VOLUME_SPEC = RuleSpec(
    (RuleEntry(RULE_VOLUME, "participation", "Too few breast, lung and prostate cases in a year",
               "Screen for eligible breast, lung and prostate cases that have not been entered yet."),),
    participation_volume, volume_measures, (volume_forecasts,),
    (TileSpec(RULE_VOLUME, "Breast, lung and prostate cases in a year", _volume_figure,
              lambda e: f"eligible in the last {e.policy.participation_lookback_days} days; bone metastases on top",
              counts="Breast, lung and prostate cases by eligible date (Enrollment: new case, or Import eligible "
                     "patients)."),))
