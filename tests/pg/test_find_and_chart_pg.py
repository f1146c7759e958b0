"""Ctrl+K's search and the Dashboard chart's figures on PostgreSQL, as on SQLite."""

from __future__ import annotations

import datetime as dt

import pytest

from app.domain.records import CaseRecord
from app.services.cases import save_case
from app.services.enrollment_chart import enrollment_by_month
from app.services.facility import FacilityDetails, save_facility
from tests.support import create
from tests.unit import test_find_cases

pytestmark = pytest.mark.pg


@pytest.fixture
def pg_db(pg_url: str):  # type: ignore[no-untyped-def]
    db = create(pg_url)
    yield db
    db.dispose()


def test_find_cases_on_postgres(pg_db) -> None:
    cases = test_find_cases.add_cases(pg_db)
    test_find_cases.test_the_exact_case_id_comes_first_then_the_newest(cases)
    test_find_cases.test_identifiers_are_hidden_unless_asked_for(cases)
    test_find_cases.test_the_search_text_is_not_a_pattern(cases)


def test_the_chart_counts_by_month_on_postgres(pg_db) -> None:
    save_facility(pg_db, FacilityDetails(name="Shared RO", joined_on=dt.date(2019, 1, 1)), today=dt.date(2025, 6, 30))
    for n, (project, day) in enumerate([("lung", dt.date(2025, 3, 4)), ("lung", dt.date(2025, 3, 20)),
                                        ("breast", dt.date(2024, 3, 5)), ("breast", dt.date(2025, 7, 1))]):
        save_case(pg_db, CaseRecord(case_id=f"C{n}", project=project, eligible_on=day - dt.timedelta(days=3),
                                    status="enrolled", enrolled_on=day))
    figures = enrollment_by_month(pg_db, dt.date(2025, 6, 30))
    assert figures.this_year["lung"][2] == 2 and figures.last_year["breast"][2] == 1
    assert sum(figures.total(2025)) == 2  # July is after the as-of date
