"""What the Dashboard shows: one status per QIP trigger with its key figure, the enrollment
trend, the next meeting and what is due. Computed from one evaluation (``evaluate_at``), off the
GUI thread; no rule is re-derived here, and no tile is written here: each rule declares its own
(``TileSpec``). Values only (dates, numbers, ``TileStatus``): ``app.services.dashboard_words``
words them in the facility's date format."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from app.domain.dates import DEFAULT_DATE_FORMAT
from app.domain.vocabulary import REQUIRED_ROLES
from app.rules import correspondence, engine, meetings
from app.rules.findings import Finding
from app.rules.forecast import STEP_UNITS, Forecast
from app.rules.spec import Figure, NotEnoughHistory, TileSpec
from app.services import qip
from app.services.facility import get_facility
from app.services.findings import Evaluation, evaluate_at
from app.storage.database import Database

if TYPE_CHECKING:  # the report's module (the whole register's pass) loads when a report is made
    from app.services.quality import QualityReport


class TileStatus(StrEnum):
    """A tile's state: a QIP trigger's (clear, close, warning, triggered) or the readiness to
    submit's (red, yellow, green); *checking* while the readiness is evaluated."""

    CLEAR = "clear"
    CLOSE = "close"
    WARNING = "warning"
    TRIGGERED = "triggered"
    RED = "red"
    YELLOW = "yellow"
    GREEN = "green"
    CHECKING = "checking"
    #: nothing fires, but the rule's window reaches back before the records kept here
    HISTORY = "history"


@dataclass(frozen=True)
class Readiness:
    """The readiness tile's figure: each project's state in the current submission period, the
    earlier periods not ready (label, state), and whether there are earlier periods at all."""

    projects: tuple[tuple[str, TileStatus], ...]
    earlier: tuple[tuple[str, TileStatus], ...] = ()
    has_earlier: bool = False


@dataclass(frozen=True)
class Tile:
    """One tile as values: ``rule`` is what it is known by (a rule ID, or a family: ``ATT-*``,
    ``DQ-*``), ``figure`` its key figure, ``detail`` its threshold in a sentence, ``forecast``
    the forecast of its subject nearest to firing when worth showing."""

    rule: str
    title: str
    status: TileStatus
    figure: Figure | Readiness
    detail: str = ""
    forecast: Forecast | None = None
    #: what the tile counts and where that is entered (its spec's ``counts``)
    counts: str = ""
    #: the day records are kept here since, when some subjects lack the history to fire
    history_since: dt.date | None = None
    #: those subjects (project or role codes; empty: the whole tile)
    short_subjects: tuple[str, ...] = ()


@dataclass(frozen=True)
class Upcoming:
    """One of the next dates on which something fires if nothing changes, with the forecasts
    that fire that day."""

    fires_on: dt.date
    forecasts: tuple[Forecast, ...]

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(f.rule for f in self.forecasts)


@dataclass(frozen=True)
class NextMeeting:
    """The next meeting after the as-of date and who is expected: per required role, the names
    of its holders that day (none: nobody holds the role)."""

    day: dt.date
    format: str
    title: str | None
    expected: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class StepDue:
    """A QIP episode's next step, overdue or due soon."""

    status: str
    title: str
    rule: str
    due_on: dt.date | None


@dataclass(frozen=True)
class ReplyOverdue:
    """A letter still without the reply it needs, past its due date."""

    subject: str
    received_on: dt.date


Due = StepDue | ReplyOverdue


@dataclass
class Dashboard:
    """What the Dashboard shows, as values (real dates, numbers, a status enum): the wording of
    ``app.services.dashboard_words`` renders it in ``date_format``, the facility's."""

    as_of: dt.date
    facility: str
    policy_year: int
    #: the policy in force at ``as_of``, in words (``PolicyInForce.statement``)
    policy_statement: str
    date_format: str
    tiles: list[Tile]
    findings: list[Finding]
    this_year: list[int]
    last_year: list[int]
    next_meeting: NextMeeting | None
    due: list[Due] = field(default_factory=list)
    upcoming: list[Upcoming] = field(default_factory=list)


#: Tile rule of the attendance violations (every ATT-* rule)
ATTENDANCE_TILE = meetings.ATTENDANCE_TILE
#: Tile rule of the readiness to submit (every data-quality rule, DQ-*)
READINESS_TILE = "DQ-*"


def readiness_tile(db: Database, as_of: dt.date) -> Tile:
    """"Ready to submit": the whole register's readiness (red with an error, yellow with a warning
    not explained, green), each project's in the current submission period, and the earlier
    periods' in its last line. Its own evaluation (``app.services.quality``), so the QIP tiles do not
    wait for it; kept by the window with its evaluations (``quality_at``), so Data quality opened
    next shows the same report without evaluating it again."""
    from app.services.evaluations import quality_at

    return _readiness(quality_at(db, as_of))


def kept_readiness_tile(db: Database, as_of: dt.date) -> Tile | None:
    """The readiness tile when the window keeps the date's data-quality report (a date seen
    before, the data unchanged since), else None: the Dashboard shows it with the other tiles
    instead of saying it is being checked."""
    from app.services.evaluations import kept_quality

    report = kept_quality(db, as_of)
    return _readiness(report) if report is not None else None


def _readiness(report: QualityReport) -> Tile:
    current = report.periods[0]
    cells = [c for c in report.cells if c.period == current]
    earlier = tuple((p.label, TileStatus(report.period_status(p))) for p in report.periods[1:]
                    if report.period_status(p) != "green")
    warnings = sum(p.severity == "warning" for p in report.problems)
    detail = (f"{report.errors} error(s), {report.open_warnings} of {warnings} warning(s) not explained; "
              f"{report.in_force.statement}")
    return Tile(READINESS_TILE, f"Ready to submit ({current.label})", TileStatus(report.status),
                Readiness(tuple((c.project, TileStatus(c.status)) for c in cells), earlier, len(report.periods) > 1),
                detail, counts=READINESS_COUNTS)


#: What the readiness tile counts, and where that is entered (the rule tiles' come from their specs).
READINESS_COUNTS = ("Errors and unexplained warnings of the data-quality rules in this submission period "
                    "(corrected in Enrollment, Dosimetry, Meetings; explained in Data quality).")


def _nearest(forecasts: list[Forecast]) -> Forecast | None:
    """The subject nearest to firing: firing first, then the soonest date, then the fewest steps."""
    if not forecasts:
        return None
    far = dt.date.max
    return min(forecasts, key=lambda f: (not f.firing, f.fires_on or far, f.distance if f.distance is not None else 10**9))


def tile_state(evaluation: Evaluation, rule: str, findings_status: str | None = None) -> tuple[TileStatus, Forecast | None]:
    """(status, forecast to show) of a tile: triggered or warning by the rule's findings, else
    *close* when a forecast of the rule is within the policy's close distance, else clear. The
    forecast shown is the nearest subject's, when it is not firing and says when or how far."""
    status = findings_status or evaluation.status(rule)
    mine = [f for f in evaluation.forecast if f.rule == rule]
    near = _nearest(mine)
    if status == "clear" and any(f.close(evaluation.policy, evaluation.as_of) for f in mine):
        status = "close"
        near = _nearest([f for f in mine if f.close(evaluation.policy, evaluation.as_of)])
    shown = near is not None and not near.firing and (near.fires_on is not None or near.unit in STEP_UNITS)
    return TileStatus(status), near if shown else None


def rule_tile(evaluation: Evaluation, spec: TileSpec) -> Tile | None:
    """The tile ``spec`` declares, at the evaluation's date (None: its rule gives no figure then)."""
    figure = spec.figure(evaluation)
    if figure is None:
        return None
    status, forecast = tile_state(evaluation, spec.rule, spec.state(evaluation) if spec.state else None)
    measures = evaluation.measures.get(spec.rule, []) if spec.name is None else []
    short = [m for m in measures if m.history_since is not None]
    since = min((m.history_since for m in short if m.history_since is not None), default=None)
    subjects: tuple[str, ...] = ()
    if since is not None and len(short) == len(measures):  # the whole tile: no figure yet
        figure = NotEnoughHistory(since)
        if status is TileStatus.CLEAR:
            status = TileStatus.HISTORY
    elif short:
        subjects = tuple(str(next(iter(m.subject.values()))) for m in short if m.subject)
    return Tile(spec.id, spec.title, status, figure, spec.detail(evaluation), forecast, spec.counts, since, subjects)


def build_dashboard(db: Database, as_of: dt.date, evaluation: Evaluation | None = None) -> Dashboard:
    """The tiles from one evaluation (``evaluation``, else evaluated here): each tile is declared by
    its rule (``app.rules.engine.TILES``), its figure the rule's own measure, its state the rule's
    findings."""
    evaluation = evaluation or evaluate_at(db, as_of)
    snapshot, policy = evaluation.snapshot, evaluation.policy
    facility = get_facility(db)
    style = facility.date_format if facility is not None else DEFAULT_DATE_FORMAT
    tiles = [t for t in (rule_tile(evaluation, spec) for spec in engine.TILES) if t is not None]
    upcoming = sorted((m for m in snapshot.meetings if m.date > as_of), key=lambda m: m.date)
    next_meeting = None
    if upcoming:
        m = upcoming[0]
        next_meeting = NextMeeting(m.date, m.format, m.title, tuple(
            (r, tuple(snapshot.staff[s].name for s in snapshot.holders(r, m.date) if s in snapshot.staff))
            for r in REQUIRED_ROLES))
    # QIP episodes are the tracker's records, not a rule's input: read beside the evaluation
    due: list[Due] = [StepDue(step.status, step.title, episode.rule, step.due_on)
                      for episode, step in qip.due_soon(db, as_of)]
    replies = evaluation.measures.get(correspondence.RULE, [])
    for letter in (replies[0].evidence["letters"] if replies else []):
        if letter["problem"] == "no reply":
            due.append(ReplyOverdue(letter["subject"], letter["received_on"]))
    return Dashboard(as_of, snapshot.facility.name, policy.year, evaluation.in_force.statement, style, tiles,
                     evaluation.findings,
                     [snapshot.monthly_enrollments.get((as_of.year, m), 0) for m in range(1, 13)],
                     [snapshot.monthly_enrollments.get((as_of.year - 1, m), 0) for m in range(1, 13)],
                     next_meeting, due,
                     [Upcoming(day, tuple(found)) for day, found in engine.upcoming(evaluation.forecast, as_of)])
