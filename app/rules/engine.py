"""Evaluate every rule of POLICY.md on a snapshot at an as-of date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from app.rules import correspondence, data_lag, enrollment, forecast, meetings, roles
from app.rules.findings import SEVERITY_ORDER, Finding
from app.rules.forecast import Forecast
from app.rules.measures import Measure, Measures
from app.rules.policy_file import Policy
from app.rules.snapshot import FacilitySnapshot

Rule = Callable[[FacilitySnapshot, Policy, dt.date], list[Finding]]
RULES: tuple[Rule, ...] = (
    enrollment.enrollment_zero,
    enrollment.enrollment_decline,
    enrollment.selective_enrollment,
    meetings.attendance_findings,
    data_lag.data_lag,
    correspondence.correspondence,
    roles.vacancies,
    meetings.ce_findings,
    enrollment.participation_volume,
)

#: The rules with a threshold, as measures (``app.rules.measures``): the figure each compares with
#: its limit for every subject, fired or not. The Dashboard's tiles read these.
MEASURED: tuple[Callable[[FacilitySnapshot, Policy, dt.date], list[Measure]], ...] = (
    enrollment.zero_measures,
    enrollment.decline_measures,
    enrollment.selective_measures,
    meetings.missed_measures,
    data_lag.lag_measures,
    correspondence.reply_measures,
    roles.vacancy_measures,
    enrollment.volume_measures,
)

#: The forecasts (``app.rules.forecast``): per rule with a threshold and subject, how far from
#: firing and the day it fires if nothing changes; ``check --json``'s ``forecast`` and the tiles.
FORECASTS: tuple[Callable[[FacilitySnapshot, Policy, dt.date], list[Forecast]], ...] = (
    forecast.zero_forecasts,
    forecast.decline_forecasts,
    forecast.selective_forecasts,
    forecast.missed_forecasts,
    forecast.substitution_forecasts,
    forecast.lag_forecasts,
    forecast.reply_forecasts,
    forecast.vacancy_forecasts,
    forecast.volume_forecasts,
)

#: Every rule ID with its kind and what it checks: the summary page lists each, fired or not.
#: The IDs are the rule modules' own constants: a rule ID is written once, where the rule is.
CATALOGUE: tuple[tuple[str, str, str], ...] = (
    (enrollment.RULE_ZERO, "qip", "A project went too long without enrollment"),
    (enrollment.RULE_DECLINE, "qip", "Year-to-date enrollment fell too far against last year"),
    (enrollment.RULE_SELECTIVE, "qip", "Cases undecided or not enrolled without an accepted reason"),
    (enrollment.RULE_REASON_OTHER, "qip", "Cases not enrolled for reason 'other'"),
    (meetings.RULE_MISSED, "qip", "A required role uncovered at too many meetings"),
    (data_lag.RULE, "qip", "Too long without data entry"),
    (correspondence.RULE, "qip", "Letters not answered by their due date"),
    (roles.RULE_REQUIRED, "qip", "A required role has no holder"),
    (roles.RULE_OPTIONAL, "qip", "Administrative lead or dosimetry representative vacant"),
    (meetings.ABSENT_RULE["clinical_champion"], "attendance", "Nobody attended for the clinical champion"),
    (meetings.ABSENT_RULE["physics_lead"], "attendance", "Nobody attended for the physics lead"),
    (meetings.ABSENT_RULE["cda"], "attendance", "Nobody attended for the CDA"),
    (meetings.INELIGIBLE_RULE["clinical_champion"], "attendance", "Unacceptable substitute for the clinical champion"),
    (meetings.INELIGIBLE_RULE["physics_lead"], "attendance", "Unacceptable substitute for the physics lead"),
    (meetings.INELIGIBLE_RULE["cda"], "attendance", "Unacceptable substitute for the CDA"),
    (meetings.RULE_SUB_LIMIT, "attendance", "Champion replaced more often than allowed"),
    (meetings.RULE_DOUBLE_ROLE, "attendance", "One person covering two roles at a meeting"),
    (meetings.RULE_CE_VIRTUAL, "ce", "CE credit requested for a virtual meeting"),
    (meetings.RULE_CE_MDCB_NO_ID, "ce", "MDCB credit requested without a CMD ID"),
    (enrollment.RULE_VOLUME, "participation", "Too few breast, lung and prostate cases in a year"),
)
KINDS: tuple[str, ...] = ("qip", "attendance", "ce", "participation")


def _order(finding: Finding) -> tuple:
    """Kind, then severity (triggers and violations first), rule, subject (ISO dates sort in time
    order), message: a total order, so the same data always lists the same way."""
    subject = sorted((k, str(v)) for k, v in finding.subject.items())
    return (KINDS.index(finding.kind), SEVERITY_ORDER.get(finding.severity, 9), finding.rule, subject, finding.message)


def evaluate(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Finding]:
    """Every rule of POLICY.md on ``snapshot`` at ``as_of``: pure, never reads the clock or a database."""
    findings = [f for rule in RULES for f in rule(snapshot, policy, as_of)]
    return sorted(findings, key=_order)


def measure(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> Measures:
    """Every measured rule's figures at ``as_of``, by rule ID: pure, like ``evaluate``."""
    found: Measures = {}
    for rule in MEASURED:
        for m in rule(snapshot, policy, as_of):
            found.setdefault(m.rule, []).append(m)
    return found


def forecast_all(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> list[Forecast]:
    """Every forecast at ``as_of``, in the order of ``FORECASTS`` (rule, then subject): pure."""
    return [f for rule in FORECASTS for f in rule(snapshot, policy, as_of)]


def upcoming(forecasts: list[Forecast], as_of: dt.date, count: int = 5) -> list[tuple[dt.date, list[Forecast]]]:
    """The next ``count`` dates after ``as_of`` on which a rule fires if nothing changes, soonest
    first, each with the forecasts that fire that day."""
    days: dict[dt.date, list[Forecast]] = {}
    for f in forecasts:
        if f.fires_on is not None and f.fires_on > as_of:
            days.setdefault(f.fires_on, []).append(f)
    return [(day, days[day]) for day in sorted(days)[:count]]
