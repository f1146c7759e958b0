"""The data-entry sessions a page at a time on PostgreSQL, as on SQLite (issue 28): every order
from either end (blanks last: PostgreSQL puts NULL at the other end from SQLite), the filter, and
where a session now sorts."""

from __future__ import annotations

import datetime as dt

import pytest

from app.services.facility import FacilityDetails, save_facility
from tests.support import create
from tests.unit import test_data_entry_pages as pages

pytestmark = pytest.mark.pg


@pytest.fixture
def pg_db(pg_url: str):  # type: ignore[no-untyped-def]
    db = create(pg_url)
    save_facility(db, FacilityDetails(name="Shared RO", joined_on=dt.date(2019, 1, 1)), today=dt.date(2025, 6, 30))
    yield db
    db.dispose()


def test_the_sessions_page_on_postgres(pg_db) -> None:
    pages._sessions(pg_db)
    for column in ("date", "kind", "case_id", "staff_name"):
        for descending in (False, True):
            query = pages.DataEntryQuery(sort_column=column, descending=descending)
            expected = pages._expected(pg_db, query)
            assert pages._all_pages(pg_db, query, from_both_ends=False) == expected, (column, descending)
            assert pages._all_pages(pg_db, query, from_both_ends=True) == expected, (column, descending)
            assert pages.data_entry_position(pg_db, query, expected[-1]) == len(expected) - 1
    every = pages.list_data_entries(pg_db)
    found = set(pages._all_pages(pg_db, pages.DataEntryQuery(search="ADA"), from_both_ends=True))
    assert found == {r.id for r in every if r.staff_id == "CDA2"}
    found = set(pages._all_pages(pg_db, pages.DataEntryQuery(search="2025-01-0"), from_both_ends=True))
    assert found == {r.id for r in every if r.date.day < 10}
