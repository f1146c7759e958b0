"""The one date parser every field uses: what people type, the year they typed, no sentinel."""

from __future__ import annotations

import datetime as dt

import pytest

from app.domain.dates import DateInputError, format_date, parse_date

REF = dt.date(2026, 12, 1)


@pytest.mark.parametrize(("typed", "meant"), [
    ("2024-01-15", dt.date(2024, 1, 15)),
    ("2024-1-5", dt.date(2024, 1, 5)),
    ("01/15/2024", dt.date(2024, 1, 15)),
    ("1/15/2024", dt.date(2024, 1, 15)),
    ("1/15/24", dt.date(2024, 1, 15)),
    ("12-31-2023", dt.date(2023, 12, 31)),
    ("3/2/51", dt.date(1951, 3, 2)),  # a birth date: a two-digit year is never far in the future
    ("6/30/36", dt.date(2036, 6, 30)),
    ("t", REF),
    ("T", REF),
    ("today", REF),
    ("+7", dt.date(2026, 12, 8)),
    ("-7", dt.date(2026, 11, 24)),
    ("t-30", dt.date(2026, 11, 1)),
    ("  2024-01-15  ", dt.date(2024, 1, 15)),
])
def test_every_accepted_form(typed: str, meant: dt.date) -> None:
    assert parse_date(typed, REF) == meant


@pytest.mark.parametrize("typed", ["", "   ", None])
def test_empty_is_no_date(typed) -> None:  # type: ignore[no-untyped-def]
    assert parse_date(typed, REF) is None


@pytest.mark.parametrize("typed", ["20240115", "2024-13-01", "2024-02-30", "13/01/2024", "15/01/2024", "abc",
                                   "1/15", "0001-01-01", "1899-12-31", "+", "tomorrow", "2024/01/15x", "2/29/2025"])
def test_rejected_forms_say_what_works(typed: str) -> None:
    with pytest.raises(DateInputError) as raised:
        parse_date(typed, REF)
    assert typed.strip() in str(raised.value)


def test_the_typed_year_is_the_year() -> None:
    for year in (1990, 2000, 2024, 2026, 2031):
        assert parse_date(f"{year}-01-15", REF).year == year  # type: ignore[union-attr]
        assert parse_date(f"01/15/{year}", REF).year == year  # type: ignore[union-attr]


def test_shown_in_the_facility_format() -> None:
    day = dt.date(2025, 6, 30)
    assert format_date(day) == "2025-06-30"
    assert format_date(day, "us") == "06/30/2025"
    assert format_date(None, "us") == ""
    assert parse_date(format_date(day, "us"), REF) == day
