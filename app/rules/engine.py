"""Evaluate every rule of POLICY.md on a snapshot at an as-of date."""

from __future__ import annotations

import datetime as dt

from app.rules import correspondence, data_lag, enrollment, meetings, roles
from app.rules.findings import SEVERITY_ORDER, Finding
from app.rules.forecast import Forecast
from app.rules.measures import Measures
from app.rules.policy_file import Policy
from app.rules.snapshot import FacilitySnapshot
from app.rules.spec import (
    KINDS,
    Evaluate,
    ForecastRule,
    MeasureRule,
    RuleEntry,
    RuleSpec,
    RuleSpecError,
    TileSpec,
)

__all__ = ["CATALOGUE", "ENTRIES", "FORECASTS", "KINDS", "MEASURED", "NEXT_STEPS", "ONSET", "RULES", "SPECS", "TILES",
           "evaluate", "forecast_all", "measure", "upcoming"]

#: Every rule, as its module declares it (``app.rules.spec``). The order is the order of
#: evaluation, of the measures, of the forecasts (``check --json``) and of the Dashboard's tiles;
#: nothing else lists the rules.
SPECS: tuple[RuleSpec, ...] = (
    enrollment.ZERO_SPEC,
    enrollment.DECLINE_SPEC,
    enrollment.SELECTIVE_SPEC,
    meetings.ATTENDANCE_SPEC,
    data_lag.SPEC,
    correspondence.SPEC,
    roles.SPEC,
    meetings.CE_SPEC,
    enrollment.VOLUME_SPEC,
)

Rule = Evaluate
RULES: tuple[Evaluate, ...] = tuple(spec.evaluate for spec in SPECS)

#: The rules with a threshold, as measures (``app.rules.measures``): the figure each compares with
#: its limit for every subject, fired or not. The Dashboard's tiles read these.
MEASURED: tuple[MeasureRule, ...] = tuple(spec.measure for spec in SPECS if spec.measure is not None)

#: The forecasts (``app.rules.forecast``): per rule with a threshold and subject, how far from
#: firing and the day it fires if nothing changes; ``check --json``'s ``forecast`` and the tiles.
FORECASTS: tuple[ForecastRule, ...] = tuple(f for spec in SPECS for f in spec.forecasts)



def _entries(specs: tuple[RuleSpec, ...]) -> dict[str, RuleEntry]:
    """Every rule ID of ``specs`` by ID; an ID declared twice is a ``RuleSpecError``."""
    entries: dict[str, RuleEntry] = {}
    for spec in specs:
        for entry in spec.rules:
            if entry.id in entries:
                raise RuleSpecError(f"{entry.id} is declared twice")
            entries[entry.id] = entry
    return entries


#: Every rule ID as its spec declares it, by ID.
ENTRIES: dict[str, RuleEntry] = _entries(SPECS)

#: Every rule ID with its kind and what it checks, by kind (then as declared): the summary page
#: lists each, fired or not.
CATALOGUE: tuple[tuple[str, str, str], ...] = tuple(
    (e.id, e.kind, e.title) for e in sorted(ENTRIES.values(), key=lambda e: KINDS.index(e.kind)))

#: Rule ID → what to do next: shown with each finding (Findings screen, self-audit PDF).
NEXT_STEPS: dict[str, str] = {e.id: e.next_step for e in ENTRIES.values()}

#: Rule ID → the evidence key whose date starts a firing spell (``app.services.reviews``).
ONSET: dict[str, str] = {e.id: e.onset for e in ENTRIES.values() if e.onset}

#: The Dashboard's tiles, in the order they are shown (``app.services.dashboard``).
TILES: tuple[TileSpec, ...] = tuple(tile for spec in SPECS for tile in spec.tiles)


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
