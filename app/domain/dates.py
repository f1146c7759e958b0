"""Dates as people type and read them: one parser and one formatter every date field uses.

Accepted (the reference day — the as-of date, or today — is passed in, never read from the clock):

* ``2024-01-15`` (ISO; ``2024-1-5`` too)
* ``01/15/2024``, ``1/15/24`` (US order, month first, as hospital systems print; ``-`` or ``.``
  may stand for ``/``). A two-digit year is the century that puts it at most
  ``TWO_DIGIT_YEAR_AHEAD`` years after the reference day (``1/15/24`` is 2024; ``3/2/51``, a
  birth date, is 1951).
* ``t`` or ``today``: the reference day; ``+7`` / ``-7`` (also ``t+7``): that many days from it.
* empty text: no date (``None``) — never a placeholder date.

The year typed is the year returned. Anything else raises :class:`DateInputError` with a sentence
saying what is accepted.
"""

from __future__ import annotations

import datetime as dt
import re

#: How dates are shown, by the facility's ``date_format`` setting.
DATE_FORMATS: dict[str, str] = {"iso": "%Y-%m-%d", "us": "%m/%d/%Y"}
DATE_FORMAT_LABELS: dict[str, str] = {"iso": "2025-06-30 (year-month-day)", "us": "06/30/2025 (month/day/year)"}
DEFAULT_DATE_FORMAT = "iso"
#: A two-digit year is read as at most this many years after the reference day.
TWO_DIGIT_YEAR_AHEAD = 10
#: Dates outside these years are typing mistakes, not dates anyone records here.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2199

HINT = "type a date as 2024-01-15, 01/15/2024 or 1/15/24, t for today, or +7 / -7 days"

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_US = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")
_RELATIVE = re.compile(r"^(?:t(?:oday)?)?\s*([+-])\s*(\d{1,5})$")


class DateInputError(ValueError):
    """Text that is not a date this app can read; the message says what was typed and what works."""


def parse_date(text: str | None, reference: dt.date) -> dt.date | None:
    """The date ``text`` means, ``reference`` being "today" (see the module's docstring)."""
    value = (text or "").strip().lower()
    if not value:
        return None
    if value in ("t", "today"):
        return reference
    if m := _RELATIVE.match(value):
        days = int(m.group(2)) * (1 if m.group(1) == "+" else -1)
        try:
            return reference + dt.timedelta(days=days)
        except OverflowError:
            raise DateInputError(f"“{text}” is too far away; {HINT}") from None
    if m := _ISO.match(value):
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := _US.match(value):
        month, day, year = int(m.group(1)), int(m.group(2)), m.group(3)
        year = _full_year(int(year), reference) if len(year) == 2 else int(year)  # type: ignore[assignment]
    else:
        raise DateInputError(f"“{text}” is not a date; {HINT}")
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:  # type: ignore[operator]
        raise DateInputError(f"“{text}”: the year {year} is not plausible")
    try:
        return dt.date(year, month, day)  # type: ignore[arg-type]
    except ValueError:
        raise DateInputError(f"“{text}” is not a day of the calendar (month {month}, day {day}); dates are "
                             "year-month-day (2024-01-15) or month first (01/15/2024)") from None


def check_plausible(day: dt.date, what: str = "the date") -> dt.date:
    """``day``, if its year is between ``EARLIEST_YEAR`` and ``LATEST_YEAR``; else
    ``DateInputError``. An as-of date is where the rules start adding months and horizons, and
    Python's dates end in the year 9999: bounded here, no rule can overflow."""
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise DateInputError(f"{what} {day.isoformat()} is out of range: dates from {EARLIEST_YEAR} to {LATEST_YEAR} "
                             "only")
    return day


def _full_year(two_digits: int, reference: dt.date) -> int:
    year = reference.year // 100 * 100 + two_digits
    if year > reference.year + TWO_DIGIT_YEAR_AHEAD:
        year -= 100
    elif year <= reference.year + TWO_DIGIT_YEAR_AHEAD - 100:
        year += 100
    return year


def format_date(value: dt.date | None, style: str = DEFAULT_DATE_FORMAT) -> str:
    """``value`` as the facility shows dates (``iso`` or ``us``); empty for no date."""
    if value is None:
        return ""
    return value.strftime(DATE_FORMATS.get(style, DATE_FORMATS[DEFAULT_DATE_FORMAT]))


#: A date as the rules write it in their sentences (they know no facility): ISO.
_ISO_DATE = re.compile(r"\b(\d{4})-(\d\d)-(\d\d)\b")


def dates_in(text: str, style: str) -> str:
    """``text`` from a rule or the policy (ISO dates, knowing no facility) with each date as the
    facility shows dates (``style``); what is not a real date is left as it is."""

    def one(match: re.Match[str]) -> str:
        try:
            return format_date(dt.date(int(match[1]), int(match[2]), int(match[3])), style)
        except ValueError:
            return match[0]

    return _ISO_DATE.sub(one, text)
