"""One cell of a workbook: from what a spreadsheet or CSV file holds to a typed, checked value.

Every kind of column has its range here (``app.workbook.limits``); a value outside it raises
``CellError`` with a message for people. Messages quote a value short and on one line.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

from app.domain import records
from app.domain.vocabulary import PROJECTS
from app.workbook.limits import MAX_ABS_NUMBER, MAX_DATE, MIN_DATE, latest_past_event
from app.workbook.schema import Column

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MONTH_DAY = re.compile(r"^\d{2}-\d{2}$")
WHOLE = re.compile(r"^[+-]?\d{1,15}$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Kinds whose values repeat across rows and are shared (``Canon``); unique text is not.
SHARED_KINDS = frozenset({"date", "enum", "id"})


class CellError(ValueError):
    """One cell's problem; the validator adds its sheet, row and column."""


class Canon:
    """Shares equal values between rows (dates and codes repeat by the hundred thousand)."""

    def __init__(self) -> None:
        self._values: dict[Any, Any] = {}

    def __call__(self, value: Any) -> Any:
        if value is None or isinstance(value, bool):
            return value
        return self._values.setdefault(value, value)

    @property
    def shared_values(self) -> Callable[[Any, Any], Any]:
        """``setdefault(value, value)``: ``self(value)`` for a value that is neither None nor a bool,
        without a call of its own (a workbook shares millions of dates and codes)."""
        return self._values.setdefault


def as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_ABS_NUMBER:
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def quote(value: Any) -> str:
    """A value as a message shows it: short, one line."""
    text = str(value).replace("\x00", "\\0")
    text = CONTROL.sub(" ", text)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _date(column: Column, value: Any, today: dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        text = str(value)
        if not ISO_DATE.match(text):
            raise CellError(f"'{quote(text)}' is not a date in the form YYYY-MM-DD")
        try:
            value = dt.date.fromisoformat(text)
        except ValueError:
            raise CellError(f"'{text}' is not a real date") from None
    earliest = records.EARLIEST_BIRTH_DATE if column.name == "birth_date" else MIN_DATE
    latest = min(MAX_DATE, latest_past_event(today)) if column.past else MAX_DATE
    if column.past and value > latest:
        raise CellError(f"{value.isoformat()} is in the future (at the latest {latest.isoformat()})")
    if not earliest <= value <= latest:
        raise CellError(f"{value.isoformat()} is not a plausible date (from {earliest.isoformat()} to "
                        f"{latest.isoformat()})")
    return value


def _whole(value: Any) -> int:
    if isinstance(value, bool):
        raise CellError(f"'{value}' is not a whole number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer() or isinstance(value, str) and WHOLE.match(value):
        number = int(value)
    else:
        raise CellError(f"'{quote(value)}' is not a whole number")
    if abs(number) > MAX_ABS_NUMBER:
        raise CellError(f"{quote(number)} is out of range")
    return number


def _number(value: Any) -> float:
    try:
        number = math.nan if isinstance(value, bool) else float(value) if len(str(value)) <= 40 else math.nan
    except (ValueError, OverflowError):
        number = math.nan
    if not math.isfinite(number) or abs(number) > MAX_ABS_NUMBER:
        raise CellError(f"'{quote(value)}' is not a number")
    return number


def _checked_text(column: Column, text: str) -> str:
    if "\x00" in text:
        raise CellError("contains a NUL character")
    if column.kind == "id" and CONTROL.search(text):
        raise CellError("an ID cannot hold line breaks or control characters")
    if column.max_length is not None and len(text) > column.max_length:
        raise CellError(f"{len(text):,} characters; at most {column.max_length:,}")
    return text


def parse_cell(column: Column, value: Any, today: dt.date | None = None) -> Any:
    """A typed value, or ``CellError`` with a message for people."""
    if isinstance(value, str):
        value = value.strip()
    if value is None or value == "":
        if column.required:
            raise CellError("missing value")
        return False if column.kind == "bool" else None
    kind = column.kind
    if isinstance(value, str):  # the common cases first
        if kind == "text":
            return _checked_text(column, value)
        if kind == "enum" and value in column.choices:
            return value
    if kind == "date":
        return _date(column, value, today or dt.date.today())
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in ("yes", "no"):
            return text == "yes"
        raise CellError(f"'{quote(value)}' must be yes or no")
    if kind in ("int", "year", "policy_year"):
        number = _whole(value)
        if kind == "policy_year":
            from app.rules.policy_file import available_years

            years = available_years()
            if number not in years:
                raise CellError(f"there is no policy for {number} (policy years: {', '.join(map(str, years))})")
        elif column.low is not None and column.high is not None and not column.low <= number <= column.high:
            raise CellError(f"{number} is out of range ({column.low} to {column.high})")
        return number
    if kind == "float":
        return _number(value)
    text = _checked_text(column, as_text(value) or "")
    if kind == "enum" and text not in column.choices:
        raise CellError(f"unknown value '{quote(text)}' (expected one of: {', '.join(column.choices)})")
    if kind == "metrics":
        try:
            records.parse_metrics(text)  # kept as text (compact); the importer parses it again
            return text
        except ValueError as exc:
            raise CellError(f"metrics must be name=value;name=value: {exc}") from None
    if kind == "projects":
        projects = tuple(p.strip() for p in text.split(",") if p.strip())
        unknown = [p for p in projects if p not in PROJECTS]
        if unknown or not projects:
            raise CellError(f"projects must be a comma list of: {', '.join(PROJECTS)}")
        if len(set(projects)) != len(projects):
            raise CellError("a project is listed twice")
        return projects
    if kind == "monthday":
        try:
            if not MONTH_DAY.match(text):
                raise ValueError
            dt.date.fromisoformat(f"2024-{text}")
        except ValueError:
            raise CellError(f"'{quote(text)}' is not a month-day such as 01-01") from None
        return text
    return text


CellParser = Callable[[Any], Any]


def parser_for(column: Column, today: dt.date) -> CellParser:
    """``parse_cell(column, value, today)`` as one function per column, made once per sheet.

    The values a workbook mostly holds (text within its length, a listed code, a date in range, a
    whole number, yes or no) are answered here without ``parse_cell``'s dispatch on the kind; any
    other value, and every value with a problem, goes to ``parse_cell``, so each result and each
    message stays its own. A 200,000-case workbook has some five million cells."""
    kind, required, length = column.kind, column.required, column.max_length

    def general(value: Any) -> Any:
        return parse_cell(column, value, today)

    empty: Any = False if kind == "bool" else None

    def blank(value: Any) -> Any:
        return general(value) if required else empty

    if kind in ("text", "id"):
        checked = kind == "id"

        def text(value: Any) -> Any:
            if type(value) is str:
                value = value.strip()
                if not value:
                    return blank(value)
                if (length is None or len(value) <= length) and (value.isprintable() if checked
                                                                  else "\x00" not in value):
                    return value
            elif value is None:
                return blank(value)
            return general(value)

        return text
    if kind == "enum":
        choices = frozenset(column.choices)

        def code(value: Any) -> Any:
            if type(value) is str:
                value = value.strip()
                if not value:
                    return blank(value)
                if value in choices:
                    return value
            elif value is None:
                return blank(value)
            return general(value)

        return code
    if kind == "date":
        earliest = records.EARLIEST_BIRTH_DATE if column.name == "birth_date" else MIN_DATE
        latest = min(MAX_DATE, latest_past_event(today)) if column.past else MAX_DATE

        def day(value: Any) -> Any:
            if type(value) is dt.date and earliest <= value <= latest:
                return value
            if value is None or value == "":
                return blank(value)
            return general(value)

        return day
    if kind == "bool":
        def yes_no(value: Any) -> Any:
            if type(value) is str:
                text = value.strip().lower()
                if text == "yes":
                    return True
                if text == "no":
                    return False
                if not text:
                    return blank(value)
            elif value is None:
                return blank(value)
            return general(value)

        return yes_no
    if kind in ("int", "year"):
        low = column.low if column.low is not None and column.high is not None else -MAX_ABS_NUMBER
        high = column.high if column.low is not None and column.high is not None else MAX_ABS_NUMBER
        low, high = max(low, -MAX_ABS_NUMBER), min(high, MAX_ABS_NUMBER)

        def whole(value: Any) -> Any:
            if type(value) is float and value.is_integer() and low <= value <= high:
                return int(value)
            if type(value) is int and low <= value <= high:
                return value
            if value is None or value == "":
                return blank(value)
            return general(value)

        return whole
    if kind == "float":
        def number(value: Any) -> Any:
            if type(value) is float and -MAX_ABS_NUMBER <= value <= MAX_ABS_NUMBER:  # NaN fails both
                return value
            if value is None or value == "":
                return blank(value)
            return general(value)

        return number
    return general
