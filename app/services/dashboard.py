"""What the Dashboard shows: one status per QIP trigger with its key figure, the enrollment
trend, the next meeting and what is due. Computed from one evaluation (``evaluate_at``), off the
GUI thread; no rule is re-derived here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from app.domain.vocabulary import REQUIRED_ROLES, label
from app.rules import correspondence, data_lag, enrollment, meetings, roles
from app.rules.findings import Finding
from app.rules.measures import Measure
from app.services import qip
from app.services.findings import Evaluation, evaluate_at
from app.storage.database import Database

SHORT_ROLE = {"clinical_champion": "Champion", "physics_lead": "Physics", "cda": "CDA"}


@dataclass(frozen=True)
class Tile:
    rule: str
    title: str
    status: str  # clear / warning / triggered
    figure: str
    detail: str = ""


@dataclass
class DashboardData:
    as_of: dt.date
    facility: str
    policy_year: int
    tiles: list[Tile]
    findings: list[Finding]
    this_year: list[int]
    last_year: list[int]
    next_meeting: str
    due: list[str] = field(default_factory=list)


def _one(evaluation: Evaluation, rule: str) -> Measure | None:
    found = evaluation.measures.get(rule, [])
    return found[0] if found else None


def build_dashboard(db: Database, as_of: dt.date) -> DashboardData:
    """The tiles from one evaluation: each tile's figure is its rule's own measure (``app.rules``),
    its state the rule's findings."""
    evaluation = evaluate_at(db, as_of)
    snapshot, policy, status = evaluation.snapshot, evaluation.policy, evaluation.status
    tiles = []
    zero = evaluation.measures.get(enrollment.RULE_ZERO, [])
    tiles.append(Tile(enrollment.RULE_ZERO, "Days without enrollment", status(enrollment.RULE_ZERO),
                      "  ".join(f"{label(m.subject['project'])}: {m.value}" for m in zero) or "—",
                      f"a trigger at {policy.zero_enrollment_days} days (pauses excepted; counted from the last "
                      "enrollment, the period start or joining)"))
    decline = _one(evaluation, enrollment.RULE_DECLINE)
    if decline is not None:
        e = decline.evidence
        year, month = (int(x) for x in e["through_month"].split("-"))
        tiles.append(Tile(enrollment.RULE_DECLINE, "Enrollment this year vs last", status(enrollment.RULE_DECLINE),
                          f"{e['enrollments']} vs {e['previous_year_enrollments']}", f"January to month {month} of {year}"))
    selective = _one(evaluation, enrollment.RULE_SELECTIVE)
    tiles.append(Tile(enrollment.RULE_SELECTIVE, "Undecided or unexplained cases", status(enrollment.RULE_SELECTIVE),
                      str(selective.value if selective else 0),
                      f"eligible more than {policy.selective_decision_days} days ago"))
    missed = evaluation.measures.get(meetings.RULE_MISSED, [])
    tiles.append(Tile(meetings.RULE_MISSED, "Meetings missed this year", status(meetings.RULE_MISSED),
                      "  ".join(f"{SHORT_ROLE[m.subject['role']]}: {m.value}" for m in missed),
                      f"a trigger above {policy.missed_meetings_limit} per role"))
    lag = _one(evaluation, data_lag.RULE)
    tiles.append(Tile(data_lag.RULE, "Days without data entry", status(data_lag.RULE),
                      "none yet" if lag is None or lag.evidence["no_activity_on_record"] and not lag.value
                      else str(lag.value),
                      f"a trigger above {policy.lag_days} counted days (pauses and CDA absences excepted)"))
    replies = _one(evaluation, correspondence.RULE)
    tiles.append(Tile(correspondence.RULE, "Letters not answered on time", status(correspondence.RULE),
                      str(replies.value if replies else 0), "two or more is a trigger"))
    vacant = [label(m.subject["role"]) for m in evaluation.measures.get(roles.RULE_REQUIRED, []) if m.fires]
    tiles.append(Tile(roles.RULE_REQUIRED, "Required roles", status(roles.RULE_REQUIRED),
                      "all held" if not vacant else "vacant: " + ",  ".join(vacant)))  # two spaces: the tile wraps there
    upcoming = sorted((m for m in snapshot.meetings if m.date > as_of), key=lambda m: m.date)
    next_meeting = "No meeting scheduled after this date."
    if upcoming:
        m = upcoming[0]
        expected = "; ".join(f"{label(r)}: " + (", ".join(snapshot.staff[s].name for s in snapshot.holders(r, m.date)
                                                           if s in snapshot.staff) or "nobody holds the role")
                             for r in REQUIRED_ROLES)
        next_meeting = f"{m.date.isoformat()} ({label(m.format)}) {m.title or ''}. Expected: {expected}"
    # QIP episodes are the tracker's records, not a rule's input: read beside the evaluation
    due = [f"{step.status.capitalize()}: {step.title} for {episode.rule} (due {step.due_on.isoformat() if step.due_on else '—'})"
           for episode, step in qip.due_soon(db, as_of)]
    for letter in (replies.evidence["letters"] if replies else []):
        if letter["problem"] == "no reply":
            due.append(f"Overdue reply: {letter['subject']} (received {letter['received_on'].isoformat()})")
    return DashboardData(as_of, snapshot.facility.name, policy.year, tiles, evaluation.findings,
                         [snapshot.monthly_enrollments.get((as_of.year, m), 0) for m in range(1, 13)],
                         [snapshot.monthly_enrollments.get((as_of.year - 1, m), 0) for m in range(1, 13)],
                         next_meeting, due)
