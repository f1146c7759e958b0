"""Which year a figure belongs to and whether it is over (issue 26), on boundary days."""

from __future__ import annotations

import datetime as dt

import pytest

from app.rules.years import calendar_year_state, vbr_year, year_label

D = dt.date


@pytest.mark.parametrize(("as_of", "state"), [
    (D(2025, 12, 31), "not started"), (D(2026, 1, 1), "in progress"), (D(2026, 12, 30), "in progress"),
    (D(2026, 12, 31), "complete"), (D(2027, 1, 1), "complete"),
])
def test_a_calendar_year_is_complete_on_its_last_day(as_of, state) -> None:
    assert calendar_year_state(2026, as_of) == state
    assert year_label(2026, as_of) == f"2026 ({state})"


@pytest.mark.parametrize(("as_of", "span"), [
    (D(2026, 2, 28), (D(2025, 3, 1), D(2026, 2, 28))),
    (D(2026, 3, 1), (D(2026, 3, 1), D(2027, 2, 28))),
    (D(2028, 2, 29), (D(2027, 3, 1), D(2028, 2, 29))),   # a leap year's VBR year ends on 29 February
])
def test_the_vbr_year_runs_from_march_to_the_end_of_february(as_of, span) -> None:
    assert vbr_year(as_of, 3, 1) == span
