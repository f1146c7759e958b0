"""The Dashboard in words: the one place its values (``app.services.dashboard``) become the text
the screen shows, every date in the facility's format (``iso`` or ``us``).

Pure: no Qt, no database. The screen draws what ``dashboard_words`` gives; a test reads the
same words the coordinator reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from app.domain.dates import dates_in, format_date
from app.domain.vocabulary import label
from app.rules.spec import (
    Count,
    Figure,
    JoinsOn,
    NoFigure,
    NotEnoughHistory,
    OutOf,
    PerSubject,
    Vacant,
    Versus,
)
from app.services.dashboard import (
    Dashboard,
    Due,
    NextMeeting,
    Readiness,
    StepDue,
    Tile,
    TileStatus,
    Upcoming,
)
from app.services.findings import rule_words
from app.services.quality import project_words

#: A required role in a tile's figure, short enough for a tile ("Champion: 1  Physics: 0  CDA: 2").
SHORT_ROLE = {"clinical_champion": "Champion", "physics_lead": "Physics", "cda": "CDA"}
#: The readiness of a project or period, as a mark.
MARKS = {"red": "✕", "yellow": "!", "green": "✓"}


@dataclass(frozen=True)
class TileText:
    """A tile as the screen shows it."""

    rule: str
    title: str
    status: TileStatus
    figure: str
    detail: str = ""
    #: the forecast of the subject nearest to firing, in words ("Lung: day 24 of 30 — fires on …")
    forecast: str = ""
    #: what the tile counts and where that is entered ("What counts")
    counts: str = ""


@dataclass(frozen=True)
class UpcomingText:
    """One of the next dates on which something fires: the date, its rules and the line shown."""

    fires_on: dt.date
    rules: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class DashboardText:
    """The Dashboard as the screen shows it; ``as_of`` and the monthly counts stay values (the
    chart draws them)."""

    as_of: dt.date
    #: the as-of date in the facility's format
    as_of_text: str
    facility: str
    policy_statement: str
    tiles: list[TileText]
    this_year: list[int]
    last_year: list[int]
    next_meeting: str
    due: list[str]
    upcoming: list[UpcomingText]


def _subject(code: str) -> str:
    return SHORT_ROLE.get(code) or label(code)


def figure_words(figure: Figure | Readiness, style: str) -> str:
    """A tile's figure as it reads: "3", "2 of 150", "12 vs 15", "Breast: 0  Lung: 42" (two spaces:
    the tile wraps there), "all held", "not a member yet (joins 2025-03-01)"."""
    match figure:
        case Count(value):
            return str(value)
        case OutOf(value, limit):
            return f"{value} of {limit}"
        case Versus(value, against):
            return f"{value} vs {against}"
        case PerSubject(values):
            return "  ".join(f"{_subject(code)}: {value}" for code, value in values)
        case Vacant(roles):
            return "all held" if not roles else "vacant: " + ",  ".join(label(r) for r in roles)
        case JoinsOn(day):
            return f"not a member yet (joins {format_date(day, style)})"
        case NoFigure(reason):
            return reason
        case NotEnoughHistory(since):
            return history_words(since, style)
        case Readiness(projects, _, _):
            return "  ".join(f"{project_words(p)} {MARKS[status]}" for p, status in projects)
    raise TypeError(f"no words for the figure {figure!r}")


def history_words(since: dt.date, style: str) -> str:
    """"not enough history yet (records kept since 2026-12-07)": a rule whose window reaches back
    before the facility's records."""
    return f"not enough history yet (records kept since {format_date(since, style)})"


def _readiness_note(figure: Readiness) -> str:
    """The readiness tile's last line: the earlier periods not ready, or that they all are."""
    if figure.earlier:
        return "earlier periods: " + ",  ".join(f"{period} {MARKS[status]}" for period, status in figure.earlier)
    return "earlier periods ready" if figure.has_earlier else ""


def tile_words(tile: Tile, style: str) -> TileText:
    """One tile in words, its dates in ``style``."""
    if isinstance(tile.figure, Readiness):
        forecast = _readiness_note(tile.figure)
    else:
        forecast = dates_in(tile.forecast.text, style) if tile.forecast is not None else ""
    detail = dates_in(tile.detail, style)
    if tile.short_subjects and tile.history_since is not None:  # some subjects only: say which
        short = ", ".join(_subject(code) for code in tile.short_subjects)
        detail = "; ".join(part for part in (detail, f"{short}: {history_words(tile.history_since, style)}") if part)
    return TileText(tile.rule, tile.title, tile.status, figure_words(tile.figure, style), detail, forecast,
                    tile.counts)


def next_meeting_words(meeting: NextMeeting | None, style: str) -> str:
    """"2025-07-14 (In person) Consortium meeting. Expected: Clinical champion: Dr A; …"."""
    if meeting is None:
        return "No meeting scheduled after this date."
    expected = "; ".join(f"{label(role)}: " + (", ".join(names) or "nobody holds the role")
                         for role, names in meeting.expected)
    return f"{format_date(meeting.day, style)} ({label(meeting.format)}) {meeting.title or ''}. Expected: {expected}"


def due_words(item: Due, style: str) -> str:
    """"Overdue: Follow-up for A project went too long without enrollment [QIP-ENR-ZERO] (due …)",
    "Overdue reply: Data request (received …)": a rule by its plain title, its code in brackets."""
    if isinstance(item, StepDue):
        due = format_date(item.due_on, style) if item.due_on else "—"
        return f"{item.status.capitalize()}: {item.title} for {rule_words(item.rule)} (due {due})"
    return f"Overdue reply: {item.subject} (received {format_date(item.received_on, style)})"


def upcoming_words(item: Upcoming, style: str) -> UpcomingText:
    """"2025-01-31: Breast: day 25 of 30 — fires on 2025-01-31 …": the date, then each forecast."""
    return UpcomingText(item.fires_on, item.rules, f"{format_date(item.fires_on, style)}: "
                        + " ".join(dates_in(f.text, style) for f in item.forecasts))


def dashboard_words(dashboard: Dashboard, style: str | None = None) -> DashboardText:
    """The whole Dashboard in words, dates in ``style`` (by default the facility's)."""
    style = style or dashboard.date_format
    return DashboardText(
        dashboard.as_of, format_date(dashboard.as_of, style), dashboard.facility,
        dates_in(dashboard.policy_statement, style), [tile_words(t, style) for t in dashboard.tiles],
        dashboard.this_year, dashboard.last_year, next_meeting_words(dashboard.next_meeting, style),
        [due_words(d, style) for d in dashboard.due], [upcoming_words(u, style) for u in dashboard.upcoming])
