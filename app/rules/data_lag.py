"""QIP-DATA-LAG: too long without data-entry activity, not counting excused days."""

from __future__ import annotations

import datetime as dt

from app.rules.enrollment import paused
from app.rules.findings import Finding, day_range
from app.rules.forecast import Forecast, as_it_stood, days_after, firing, on_day
from app.rules.measures import Measure
from app.rules.policy_file import Policy
from app.rules.snapshot import FacilitySnapshot
from app.rules.spec import Count, Evaluated, Figure, NoFigure, RuleEntry, RuleSpec, TileSpec

RULE = "QIP-DATA-LAG"


def excused(snapshot: FacilitySnapshot, day: dt.date) -> str | None:
    """Why a day without data entry does not count, or None.

    An approved enrollment pause excuses the day when it covers every active project (a
    facility-wide pause does; a one-project pause does not, since the other projects' data entry
    goes on). So does every CDA holder of the day being on approved leave or vacation. A day with
    no CDA holder at all is not excused: a vacant role is the facility's to fill (QIP-ROLE-VACANT
    reports it), not a reason the data may wait.
    """
    projects = snapshot.facility.active_projects or (None,)  # None: a facility-wide pause only
    if all(paused(snapshot, project, day) for project in projects):
        return "pause"
    holders = snapshot.holders("cda", day)
    if holders and all(any(a.covers(day) for a in snapshot.time_away.get(h, ())) for h in holders):
        return "cda_absent"
    return None


def lag_measures(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Measure]:
    """QIP-DATA-LAG's figure: the non-excused days in (E, D], E the latest data-entry activity."""
    if snapshot.facility.joined_on > as_of:
        return []
    # E: the latest activity, never before the join date (no lag accrues before membership).
    last = max(snapshot.last_activity or snapshot.facility.joined_on, snapshot.facility.joined_on)
    # the days before the records begin are unknown, not days without data entry: count the known ones
    start, kept = snapshot.facility.count_from(last)
    reasons = [excused(snapshot, day) for day in day_range(start, as_of)]
    counted = sum(1 for r in reasons if r is None)
    fires = counted > policy.lag_days
    evidence = {"last_activity": last, "days_counted": counted, "limit": policy.lag_days,
                "days_excused_pause": reasons.count("pause"), "days_excused_cda_absence": reasons.count("cda_absent"),
                "no_activity_on_record": snapshot.last_activity is None}
    if kept is not None:
        evidence["records_kept_since"] = kept
    return [Measure(RULE, {}, counted, policy.lag_days, fires, evidence, kept if not fires else None)]


def data_lag(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Finding]:
    """QIP-DATA-LAG: non-excused days in (E, D] above the limit, E the latest data-entry activity."""
    findings = []
    for m in lag_measures(snapshot, policy, as_of):
        if not m.fires:
            continue
        last = m.evidence["last_activity"]
        kept = m.evidence.get("records_kept_since")
        findings.append(Finding(
            RULE, "qip", "trigger", {},
            (f"No data entry since records began here on {kept.isoformat()}" if kept is not None
             else f"No data entry since {last.isoformat()}" if last != snapshot.facility.joined_on
             or snapshot.last_activity == last
             else f"No data entry since joining on {last.isoformat()}")
            + f": {m.value} days that count (the limit is {m.limit}).", m.evidence))
    return findings


# --- forecasts: how far each rule is from firing, and the day it fires if nothing changes ---------

def lag_forecasts(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Forecast]:
    """QIP-DATA-LAG: each later day that is not excused (known pauses and CDA leave) counts one."""
    out = []
    for m in lag_measures(snapshot, policy, as_of):
        if m.fires:
            out.append(firing(m.rule, m.subject, m.value, m.limit, "days", as_of,
                              f"Data entry: {m.value} days without (the limit is {m.limit}): firing."))
            continue
        frozen = as_it_stood(snapshot, as_of)
        counted, fires_on = m.value, None
        for day in days_after(as_of, policy):
            if excused(frozen, day) is None:
                counted += 1
            if counted > m.limit:
                fires_on = day
                break
        out.append(Forecast(m.rule, m.subject, m.value, m.limit, m.limit + 1 - m.value, "days", fires_on,
                            f"Data entry: {m.value} of {m.limit} days — {on_day(fires_on)} without data entry.", m.evidence))
    return out


# --- the spec: what the engine, the catalogue, the Findings screen and the Dashboard read ---------

def _lag_figure(e: Evaluated) -> Figure:
    """The counted days; "none yet" while no data entry is on record and none count."""
    found = e.measures.get(RULE, [])
    lag = found[0] if found else None
    if lag is None or lag.evidence["no_activity_on_record"] and not lag.value:
        return NoFigure("none yet")
    return Count(lag.value)


SPEC = RuleSpec(
    (RuleEntry(RULE, "qip", "Too long without data entry",
               "Enter the outstanding registry data, or record the approved leave or pause that excuses the days.",
               onset="last_activity"),),
    data_lag, lag_measures, (lag_forecasts,),
    (TileSpec(RULE, "Days without data entry", _lag_figure,
              lambda e: f"a trigger above {e.policy.lag_days} counted days (pauses and CDA absences excepted)",
              counts="Days since the last data-entry session (Programs), dosimetry submission (Dosimetry) or "
                     "enrollment date (Enrollment); entering a pending case does not count."),))
