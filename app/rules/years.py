"""Which year a figure belongs to, and whether that year is over at the as-of date.

Every number the window shows belongs to a year the coordinator can see, and a year still running
must not read as settled: "2026 (in progress)" beside "2025 (complete)". Pure: the as-of date is
passed in.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

YearState = Literal["not started", "in progress", "complete"]


def calendar_year_state(year: int, as_of: dt.date) -> YearState:
    """A calendar year seen from ``as_of``: complete only once its 31 December is reached (the
    as-of date's own records are counted, so 31 December closes the year, as the FTE estimate reads it)."""
    if as_of < dt.date(year, 1, 1):
        return "not started"
    return "complete" if as_of >= dt.date(year, 12, 31) else "in progress"


def year_label(year: int, as_of: dt.date) -> str:
    """"2026 (in progress)", "2025 (complete)", "2027 (not started)"."""
    return f"{year} ({calendar_year_state(year, as_of)})"


def vbr_year(as_of: dt.date, start_month: int, start_day: int = 1) -> tuple[dt.date, dt.date]:
    """The BCBSM CQI VBR year containing ``as_of``: from ``start_month``/``start_day`` (1 March) to
    the day before the same date a year later (the end of February, 29 February in a leap year)."""
    start = dt.date(as_of.year, start_month, start_day)
    if as_of < start:
        start = dt.date(as_of.year - 1, start_month, start_day)
    end = dt.date(start.year + 1, start_month, start_day) - dt.timedelta(days=1)
    return start, end
