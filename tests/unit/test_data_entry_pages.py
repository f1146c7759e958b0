"""The data-entry sessions a page at a time (issue 28): half a million sessions at 200,000 cases
are counted, sorted, filtered and read in SQL by ``app.services.data_entry``, as the register reads
its cases; every order and filter the window offers gives the rows the whole list would, in the
same order, whichever end a page is read from."""

from __future__ import annotations

import datetime as dt

import pytest

from app.domain.permissions import Permission
from app.domain.records import CaseRecord, StaffRecord
from app.domain.vocabulary import DATA_ENTRY_KINDS, label
from app.services import data_entry, staff
from app.services.cases import save_case
from app.services.data_entry import (
    DataEntryQuery,
    count_data_entries,
    data_entry_page,
    data_entry_position,
    list_data_entries,
)
from app.storage.models import DataEntry

PAGE = 7  # small pages, so a list of dozens has a first half, a second half and a last short page


def _sessions(db, n: int = 60) -> None:  # type: ignore[no-untyped-def]
    staff.save_staff(db, StaffRecord(staff_id="CDA1", name="Casey Abstractor", profession="cda"))
    staff.save_staff(db, StaffRecord(staff_id="CDA2", name="ada Lowercase", profession="cda"))
    for case_id in ("C-100", "C-123", "C-200"):
        save_case(db, CaseRecord(case_id=case_id, project="lung", status="pending", eligible_on=dt.date(2025, 1, 5)))
    with db.transaction(Permission.CASES) as session:
        for i in range(n):
            session.add(DataEntry(date=dt.date(2025, 1, 1) + dt.timedelta(days=i % 23),
                                  kind=DATA_ENTRY_KINDS[i % len(DATA_ENTRY_KINDS)],
                                  case_id=(None, "C-100", "C-123", "C-200")[i % 4],
                                  staff_id=(None, "CDA1", "CDA2")[i % 3]))


def _all_pages(db, query: DataEntryQuery, *, from_both_ends: bool) -> list[int]:  # type: ignore[no-untyped-def]
    total = count_data_entries(db, query)
    ids: list[int] = []
    for offset in range(0, total, PAGE):
        rows = data_entry_page(db, query, offset, PAGE, total if from_both_ends else None)
        ids += [r.id for r in rows]
    assert len(ids) == total
    return ids


def _expected(db, query: DataEntryQuery) -> list[int]:  # type: ignore[no-untyped-def]
    """The list's order worked out in Python over every session: the column's value (the kind by
    its words, names ignoring case), ties by the session's ID, blanks last in either order."""
    rows = list_data_entries(db)

    def value(r):  # type: ignore[no-untyped-def]
        v = getattr(r, query.sort_column)
        if query.sort_column == "kind":
            return label(v).casefold()
        if query.sort_column == "staff_name" and v is not None:
            return v.lower()
        return v

    filled = sorted((r for r in rows if value(r) is not None), key=lambda r: (value(r), r.id),
                    reverse=query.descending)
    blanks = sorted((r for r in rows if value(r) is None), key=lambda r: r.id, reverse=query.descending)
    return [r.id for r in filled + blanks]


@pytest.mark.parametrize("column", ["date", "kind", "case_id", "staff_name"])
@pytest.mark.parametrize("descending", [False, True])
def test_every_order_pages_like_the_whole_list_from_either_end(db, column: str, descending: bool) -> None:
    _sessions(db)
    query = DataEntryQuery(sort_column=column, descending=descending)
    expected = _expected(db, query)
    assert _all_pages(db, query, from_both_ends=False) == expected
    assert _all_pages(db, query, from_both_ends=True) == expected  # the second half read in reverse


def test_the_default_order_is_the_newest_first(db) -> None:
    _sessions(db, 20)
    assert [r.id for r in data_entry_page(db, DataEntryQuery(), 0, 100)] == [r.id for r in list_data_entries(db)]


def test_the_filter_finds_case_kind_person_and_date(db) -> None:
    _sessions(db)
    every = list_data_entries(db)

    def found(**asked) -> set[int]:  # type: ignore[no-untyped-def]
        query = DataEntryQuery(**asked)
        ids = set(_all_pages(db, query, from_both_ends=True))
        assert len(ids) == count_data_entries(db, query)
        return ids

    assert found(search="c-12") == {r.id for r in every if r.case_id == "C-123"}  # any case
    assert found(search="follow") == {r.id for r in every if r.kind == "followup"}  # the kind in words
    assert found(search="PRO") == {r.id for r in every if r.kind == "pro"}
    assert found(search="ADA") == {r.id for r in every if r.staff_id == "CDA2"}  # who, by name, any case
    assert found(search="cda1") == {r.id for r in every if r.staff_id == "CDA1"}  # or by staff ID
    assert found(search="2025-01-0") == {r.id for r in every if r.date.day < 10}  # the date as ISO text
    assert found(search="2025") == {r.id for r in every}  # a year
    day = dt.date(2025, 1, 5)
    assert found(search="01/05/2025", on=day) == {r.id for r in every if r.date == day}  # a whole date typed
    assert found(search="nothing like it") == set()
    assert count_data_entries(db) == len(every)


def test_a_session_is_found_where_it_now_sorts(db) -> None:
    _sessions(db)
    for column in ("date", "kind", "case_id", "staff_name"):
        for descending in (False, True):
            query = DataEntryQuery(sort_column=column, descending=descending)
            order = _expected(db, query)
            for row in (0, 1, len(order) // 2, len(order) - 1):
                assert data_entry_position(db, query, order[row]) == row, (column, descending, row)
    filtered = DataEntryQuery(search="C-200")
    order = _all_pages(db, filtered, from_both_ends=False)
    assert data_entry_position(db, filtered, order[-1]) == len(order) - 1
    other = next(r.id for r in list_data_entries(db) if r.case_id != "C-200")
    assert data_entry_position(db, filtered, other) is None  # not listed by this filter


def test_an_unknown_order_is_refused(db) -> None:
    with pytest.raises(ValueError, match="Cannot sort"):
        data_entry_page(db, DataEntryQuery(sort_column="version"), 0, 10)
    assert data_entry.MAX_SEARCH_CHARS >= 64  # a whole case ID is always looked for
