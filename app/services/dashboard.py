"""What the Dashboard shows: one status per QIP trigger with its key figure, the enrollment
trend, the next meeting and what is due. Computed from one evaluation (``evaluate_at``), off the
GUI thread; no rule is re-derived here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from app.domain.dates import DEFAULT_DATE_FORMAT, format_date
from app.domain.vocabulary import REQUIRED_ROLES, label
from app.rules import correspondence, data_lag, engine, enrollment, meetings, roles
from app.rules.findings import Finding
from app.rules.forecast import STEP_UNITS, Forecast
from app.rules.measures import Measure
from app.services import qip
from app.services.facility import get_facility
from app.services.findings import Evaluation, evaluate_at
from app.storage.database import Database

SHORT_ROLE = {"clinical_champion": "Champion", "physics_lead": "Physics", "cda": "CDA"}


@dataclass(frozen=True)
class Tile:
    rule: str
    title: str
    status: str  # clear / close / warning / triggered
    figure: str
    detail: str = ""
    #: the forecast of the subject nearest to firing, in words ("Lung: day 24 of 30 — fires on …")
    forecast: str = ""


@dataclass(frozen=True)
class Upcoming:
    """One of the next dates on which something fires if nothing changes: the rules and, for
    each, its forecast in words."""

    fires_on: dt.date
    rules: tuple[str, ...]
    texts: tuple[str, ...]


@dataclass
class DashboardData:
    as_of: dt.date
    facility: str
    policy_year: int
    #: the policy in force at ``as_of``, in words (``PolicyInForce.statement``)
    policy_statement: str
    tiles: list[Tile]
    findings: list[Finding]
    this_year: list[int]
    last_year: list[int]
    next_meeting: str
    due: list[str] = field(default_factory=list)
    upcoming: list[Upcoming] = field(default_factory=list)


#: Tile rule of the attendance violations (every ATT-* rule)
ATTENDANCE_TILE = "ATT-*"
#: Tile rule of the readiness to submit (every data-quality rule, DQ-*)
READINESS_TILE = "DQ-*"
MARKS = {"red": "✕", "yellow": "!", "green": "✓"}


def readiness_tile(db: Database, as_of: dt.date) -> Tile:
    """"Ready to submit": the whole register's readiness (red with an error, yellow with a warning
    not explained, green), each project's in the current submission period, and the earlier
    periods' in its last line. Its own evaluation (``app.services.quality``), so the QIP tiles do not
    wait for it."""
    from app.services.quality import evaluate_quality, project_words

    report = evaluate_quality(db, as_of)
    current = report.periods[0]
    cells = [c for c in report.cells if c.period == current]
    figure = "  ".join(f"{project_words(c.project)} {MARKS[c.status]}" for c in cells)
    earlier = [p for p in report.periods[1:] if report.period_status(p) != "green"]
    warnings = sum(p.severity == "warning" for p in report.problems)
    detail = (f"{report.errors} error(s), {report.open_warnings} of {warnings} warning(s) not explained; "
              f"{report.in_force.statement}")
    note = ("earlier periods: " + ",  ".join(f"{p.label} {MARKS[report.period_status(p)]}" for p in earlier)
            if earlier else "earlier periods ready" if len(report.periods) > 1 else "")
    return Tile(READINESS_TILE, f"Ready to submit ({current.label})", report.status, figure, detail, note)


def _nearest(forecasts: list[Forecast]) -> Forecast | None:
    """The subject nearest to firing: firing first, then the soonest date, then the fewest steps."""
    if not forecasts:
        return None
    far = dt.date.max
    return min(forecasts, key=lambda f: (not f.firing, f.fires_on or far, f.distance if f.distance is not None else 10**9))


def tile_state(evaluation: Evaluation, rule: str, findings_status: str | None = None) -> tuple[str, str]:
    """(status, forecast sentence) of a tile: triggered or warning by the rule's findings, else
    *close* when a forecast of the rule is within the policy's close distance, else clear."""
    status = findings_status or evaluation.status(rule)
    mine = [f for f in evaluation.forecast if f.rule == rule]
    near = _nearest(mine)
    if status == "clear" and any(f.close(evaluation.policy, evaluation.as_of) for f in mine):
        status = "close"
        near = _nearest([f for f in mine if f.close(evaluation.policy, evaluation.as_of)])
    shown = near is not None and not near.firing and (near.fires_on is not None or near.unit in STEP_UNITS)
    return status, near.text if shown and near is not None else ""


def _one(evaluation: Evaluation, rule: str) -> Measure | None:
    found = evaluation.measures.get(rule, [])
    return found[0] if found else None


def build_dashboard(db: Database, as_of: dt.date) -> DashboardData:
    """The tiles from one evaluation: each tile's figure is its rule's own measure (``app.rules``),
    its state the rule's findings."""
    evaluation = evaluate_at(db, as_of)
    snapshot, policy = evaluation.snapshot, evaluation.policy
    tiles = []
    facility = get_facility(db)
    style = facility.date_format if facility is not None else DEFAULT_DATE_FORMAT

    def day(value: dt.date) -> str:  # as the facility writes dates (US or ISO), as every screen does
        return format_date(value, style)

    def tile(rule: str, title: str, figure: str, detail: str = "", status: str | None = None,
             name: str | None = None) -> None:
        """A tile for ``rule`` (shown as ``name``, e.g. the ATT-* family, forecast by ``rule``)."""
        state, forecast = tile_state(evaluation, rule, status)
        tiles.append(Tile(name or rule, title, state, figure, detail, forecast))

    zero = evaluation.measures.get(enrollment.RULE_ZERO, [])
    joined = snapshot.facility.joined_on
    tile(enrollment.RULE_ZERO, "Days without enrollment",
         "  ".join(f"{label(m.subject['project'])}: {m.value}" for m in zero)
         or (f"not a member yet (joins {day(joined)})" if joined > as_of else "no active project"),
         f"a trigger at {policy.zero_enrollment_days} days (pauses excepted; counted from the last "
         "enrollment, the period start or joining)")
    decline = _one(evaluation, enrollment.RULE_DECLINE)
    if decline is not None:
        e = decline.evidence
        year, month = (int(x) for x in e["through_month"].split("-"))
        tile(enrollment.RULE_DECLINE, "Enrollment this year vs last", f"{e['enrollments']} vs {e['previous_year_enrollments']}",
             f"January to month {month} of {year}")
    selective = _one(evaluation, enrollment.RULE_SELECTIVE)
    tile(enrollment.RULE_SELECTIVE, "Undecided or unexplained cases", str(selective.value if selective else 0),
         f"eligible more than {policy.selective_decision_days} days ago")
    missed = evaluation.measures.get(meetings.RULE_MISSED, [])
    tile(meetings.RULE_MISSED, "Meetings missed this year",
         "  ".join(f"{SHORT_ROLE[m.subject['role']]}: {m.value}" for m in missed),
         f"a trigger above {policy.missed_meetings_limit} per role")
    violations = [f for f in evaluation.findings if f.kind == "attendance"]
    by_rule: dict[str, int] = {}
    for f in violations:
        by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
    tile(meetings.RULE_SUB_LIMIT, "Attendance violations this year", str(len(violations)),
         "; ".join(f"{rule}: {n}" for rule, n in sorted(by_rule.items())) or "none at this year's meetings",
         status="triggered" if violations else "clear", name=ATTENDANCE_TILE)
    lag = _one(evaluation, data_lag.RULE)
    tile(data_lag.RULE, "Days without data entry",
         "none yet" if lag is None or lag.evidence["no_activity_on_record"] and not lag.value else str(lag.value),
         f"a trigger above {policy.lag_days} counted days (pauses and CDA absences excepted)")
    replies = _one(evaluation, correspondence.RULE)
    tile(correspondence.RULE, "Letters not answered on time", str(replies.value if replies else 0),
         "two or more is a trigger")
    vacant = [label(m.subject["role"]) for m in evaluation.measures.get(roles.RULE_REQUIRED, []) if m.fires]
    tile(roles.RULE_REQUIRED, "Required roles",
         "all held" if not vacant else "vacant: " + ",  ".join(vacant))  # two spaces: the tile wraps there
    volume = _one(evaluation, enrollment.RULE_VOLUME)
    if volume is not None:
        tile(enrollment.RULE_VOLUME, "Breast, lung and prostate cases in a year", f"{volume.value} of {volume.limit}",
             f"eligible in the last {policy.participation_lookback_days} days; bone metastases on top")
    upcoming = sorted((m for m in snapshot.meetings if m.date > as_of), key=lambda m: m.date)
    next_meeting = "No meeting scheduled after this date."
    if upcoming:
        m = upcoming[0]
        expected = "; ".join(f"{label(r)}: " + (", ".join(snapshot.staff[s].name for s in snapshot.holders(r, m.date)
                                                           if s in snapshot.staff) or "nobody holds the role")
                             for r in REQUIRED_ROLES)
        next_meeting = f"{day(m.date)} ({label(m.format)}) {m.title or ''}. Expected: {expected}"
    # QIP episodes are the tracker's records, not a rule's input: read beside the evaluation
    due = [f"{step.status.capitalize()}: {step.title} for {episode.rule} (due {day(step.due_on) if step.due_on else '—'})"
           for episode, step in qip.due_soon(db, as_of)]
    for letter in (replies.evidence["letters"] if replies else []):
        if letter["problem"] == "no reply":
            due.append(f"Overdue reply: {letter['subject']} (received {day(letter['received_on'])})")
    return DashboardData(as_of, snapshot.facility.name, policy.year, evaluation.in_force.statement, tiles,
                         evaluation.findings,
                         [snapshot.monthly_enrollments.get((as_of.year, m), 0) for m in range(1, 13)],
                         [snapshot.monthly_enrollments.get((as_of.year - 1, m), 0) for m in range(1, 13)],
                         next_meeting, due,
                         [Upcoming(day, tuple(f.rule for f in found), tuple(f.text for f in found))
                          for day, found in engine.upcoming(evaluation.forecast, as_of)])
