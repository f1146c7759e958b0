"""When things happen in the demo facility: the join date and the few dated episodes the story needs.

The episodes are placed at fixed fractions of the facility's history (not at random dates) so
that every demo, whatever its length or seed, shows each situation the rules exist for, and the
episodes never collide with one another:

- an approved enrollment pause (facility-wide or one project),
- a data-entry gap of several weeks that nothing excuses (a historical ``QIP-DATA-LAG``),
- a CDA's approved leave while another CDA carries on,
- a recent spell without lung referrals (``QIP-ENR-ZERO`` with zero eligible cases to explain).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

ONE_DAY = dt.timedelta(days=1)
LAG_GAP_DAYS = 38  # more than the 30-day data-lag limit, so the gap is a finding on its last days
QUIET_DAYS = 52  # the 30-day zero-enrollment limit plus the longest usual enrollment delay
QUIET_PROJECT = "lung"


@dataclass(frozen=True)
class Window:
    """An inclusive date range."""

    start: dt.date
    end: dt.date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


@dataclass(frozen=True)
class Timeline:
    """The facility's history from joining MROQC to the as-of date, with its dated episodes."""

    joined: dt.date
    as_of: dt.date
    pause: Window | None
    pause_project: str | None  # None: the pause covers every project
    lag_gap: Window | None
    cda_leave: Window | None
    quiet: Window | None

    @property
    def span_days(self) -> int:
        return (self.as_of - self.joined).days

    def at(self, fraction: float) -> dt.date:
        """The date a given fraction of the way from joining to the as-of date."""
        return self.joined + dt.timedelta(days=int(self.span_days * fraction))

    def years(self) -> range:
        return range(self.joined.year, self.as_of.year + 1)

    def paused(self, project: str, day: dt.date) -> bool:
        """Whether enrollment in ``project`` was paused (approved) on ``day``."""
        return self.pause is not None and day in self.pause and self.pause_project in (None, project)


def monday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def weekday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=7 - day.weekday()) if day.weekday() >= 5 else day


def days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    day = start
    while day <= end:
        yield day
        day += ONE_DAY


def _window(timeline_start: dt.date, span: int, fraction: float, length: int) -> Window:
    start = monday_on_or_after(timeline_start + dt.timedelta(days=int(span * fraction)))
    return Window(start, start + dt.timedelta(days=length - 1))


def plan_timeline(rng: random.Random, as_of: dt.date, years: int) -> Timeline:
    """The join date about ``years`` before ``as_of`` and the dated episodes of the story."""
    years = max(1, years)
    first = dt.date(as_of.year - years, as_of.month, 1)
    joined = weekday_on_or_after(first + dt.timedelta(days=rng.randint(0, 12)))
    span = (as_of - joined).days
    long_enough = span >= 300  # under ten months there is no room for every episode
    pause = _window(joined, span, 0.2, rng.randint(14, 28)) if long_enough else None
    return Timeline(
        joined=joined,
        as_of=as_of,
        pause=pause,
        pause_project=rng.choice((None, "lung", "breast")),
        lag_gap=_window(joined, span, 0.38, LAG_GAP_DAYS) if long_enough else None,
        cda_leave=_window(joined, span, 0.66, rng.randint(6, 9) * 7) if long_enough else None,
        quiet=Window(as_of - dt.timedelta(days=QUIET_DAYS - 1), as_of) if span >= 150 else None,
    )
