"""What the Dashboard shows: one status per QIP trigger with its key figure, the enrollment
trend, the next meeting and what is due. Computed from one snapshot, off the GUI thread."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from app.domain.vocabulary import REQUIRED_ROLES, label
from app.rules.correspondence import unanswered
from app.rules.engine import evaluate
from app.rules.enrollment import last_complete_month
from app.rules.findings import Finding
from app.rules.meetings import attendance_verdicts
from app.rules.policy_file import load_policy
from app.services import qip
from app.services.findings import load_snapshot
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


def _status(findings: list[Finding], rule: str) -> str:
    severities = {f.severity for f in findings if f.rule == rule}
    if severities & {"trigger", "violation"}:
        return "triggered"
    return "warning" if severities else "clear"


def build_dashboard(db: Database, as_of: dt.date) -> DashboardData:
    snapshot, policy_year = load_snapshot(db, as_of)
    policy = load_policy(policy_year, as_of)
    findings = evaluate(snapshot, policy, as_of)
    tiles = []
    days = {p: (as_of - snapshot.last_enrollment[p]).days if p in snapshot.last_enrollment else None
            for p in snapshot.facility.active_projects}
    tiles.append(Tile("QIP-ENR-ZERO", "Days since last enrollment", _status(findings, "QIP-ENR-ZERO"),
                      "  ".join(f"{label(p)}: {d if d is not None else '—'}" for p, d in days.items()),
                      f"a trigger at {policy.zero_enrollment_days} days without enrollment (pauses excepted)"))
    year, month = last_complete_month(as_of)
    this_ytd = sum(snapshot.monthly_enrollments.get((year, m), 0) for m in range(1, month + 1))
    last_ytd = sum(snapshot.monthly_enrollments.get((year - 1, m), 0) for m in range(1, month + 1))
    tiles.append(Tile("QIP-ENR-DECLINE", "Enrollment this year vs last", _status(findings, "QIP-ENR-DECLINE"),
                      f"{this_ytd} vs {last_ytd}", f"January to month {month} of {year}"))
    selective = next((f for f in findings if f.rule == "QIP-ENR-SELECTIVE"), None)
    tiles.append(Tile("QIP-ENR-SELECTIVE", "Undecided or unexplained cases", _status(findings, "QIP-ENR-SELECTIVE"),
                      str(selective.evidence["case_count"] if selective else 0),
                      f"eligible more than {policy.selective_decision_days} days ago"))
    verdicts = attendance_verdicts(snapshot, policy, as_of.year, as_of)
    missed = {role: sum(1 for mv in verdicts if not mv.roles[role].covered) for role in REQUIRED_ROLES}
    tiles.append(Tile("QIP-MTG-MISSED", "Meetings missed this year", _status(findings, "QIP-MTG-MISSED"),
                      "  ".join(f"{SHORT_ROLE[r]}: {n}" for r, n in missed.items()),
                      f"a trigger above {policy.missed_meetings_limit} per role"))
    last = snapshot.last_activity
    tiles.append(Tile("QIP-DATA-LAG", "Days since last data entry", _status(findings, "QIP-DATA-LAG"),
                      str((as_of - last).days) if last else "none yet", f"a trigger above {policy.lag_days} counted days"))
    open_letters = [x for x in snapshot.letters if x.reply_required and unanswered(x, policy, as_of)
                    and x.received_on > as_of - dt.timedelta(days=policy.correspondence_lookback_days)]
    tiles.append(Tile("QIP-CORR-NORESPONSE", "Letters not answered on time", _status(findings, "QIP-CORR-NORESPONSE"),
                      str(len(open_letters)), "two or more is a trigger"))
    vacant = [label(f.subject["role"]) for f in findings if f.rule == "QIP-ROLE-VACANT"]
    tiles.append(Tile("QIP-ROLE-VACANT", "Required roles", _status(findings, "QIP-ROLE-VACANT"),
                      "all held" if not vacant else "vacant: " + ",  ".join(vacant)))  # two spaces: the tile wraps there
    upcoming = sorted((m for m in snapshot.meetings if m.date > as_of), key=lambda m: m.date)
    next_meeting = "No meeting scheduled after this date."
    if upcoming:
        m = upcoming[0]
        expected = "; ".join(f"{label(r)}: " + (", ".join(snapshot.staff[s].name for s in snapshot.holders(r, m.date)
                                                           if s in snapshot.staff) or "nobody holds the role")
                             for r in REQUIRED_ROLES)
        next_meeting = f"{m.date.isoformat()} ({label(m.format)}) {m.title or ''}. Expected: {expected}"
    due = [f"{step.status.capitalize()}: {step.title} for {episode.rule} (due {step.due_on.isoformat() if step.due_on else '—'})"
           for episode, step in qip.due_soon(db, as_of)]
    for letter in open_letters:
        if unanswered(letter, policy, as_of) == "no reply":
            due.append(f"Overdue reply: {letter.subject} (received {letter.received_on.isoformat()})")
    return DashboardData(as_of, snapshot.facility.name, policy.year, tiles, findings,
                         [snapshot.monthly_enrollments.get((as_of.year, m), 0) for m in range(1, 13)],
                         [snapshot.monthly_enrollments.get((as_of.year - 1, m), 0) for m in range(1, 13)],
                         next_meeting, due)
