"""The enrollment register query: filtering, sorting and paging happen in SQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert

from app.domain.fields import CASE, PHI_CASE_FIELDS
from app.domain.permissions import Permission
from app.services.register import COLUMNS, RegisterQuery, count_cases, fetch_page
from app.storage.models import Case

PROJECTS = ("breast", "lung", "prostate", "bone_mets")


@pytest.fixture
def register_db(db):
    rows = []
    for i in range(300):
        project = PROJECTS[i % 4]
        eligible = dt.date(2024, 1, 1) + dt.timedelta(days=i)
        enrolled = i % 3 == 0
        rows.append({"case_id": f"RG-{i:04d}", "project": project, "eligible_on": eligible,
                     "status": "enrolled" if enrolled else "pending",
                     "enrolled_on": eligible + dt.timedelta(days=2) if enrolled else None,
                     "primary_site": "melanoma" if project == "bone_mets" else None, "payer": "bcbsm" if i % 5 == 0 else None,
                     "mrn": f"SECRET-{i}"})
    with db.transaction(Permission.IMPORT) as session:
        session.execute(insert(Case), rows)
    return db


def test_count_and_filters(register_db) -> None:
    assert count_cases(register_db, RegisterQuery()) == 300
    assert count_cases(register_db, RegisterQuery(projects=("lung",))) == 75
    assert count_cases(register_db, RegisterQuery(statuses=("enrolled",))) == 100
    assert count_cases(register_db, RegisterQuery(projects=("lung",), statuses=("enrolled",))) == 25
    window = RegisterQuery(eligible_from=dt.date(2024, 1, 11), eligible_to=dt.date(2024, 1, 20))
    assert count_cases(register_db, window) == 10


def test_search_matches_case_ids_ignoring_case_but_never_phi(register_db) -> None:
    assert count_cases(register_db, RegisterQuery(search="rg-001")) == 10
    assert count_cases(register_db, RegisterQuery(search="SECRET")) == 0
    assert count_cases(register_db, RegisterQuery(search="100%")) == 0  # wildcards are literal


def test_a_pasted_page_of_search_text_is_cut_not_refused_by_sqlite(register_db) -> None:
    """SQLite refuses a LIKE pattern of 50,000 bytes ("pattern too complex"); the service looks for
    the first ``MAX_SEARCH_CHARS`` characters, longer than any case ID, so nothing is missed."""
    from app.services.register import MAX_SEARCH_CHARS

    page = "x" * 50_000
    assert count_cases(register_db, RegisterQuery(search=page)) == 0
    assert fetch_page(register_db, RegisterQuery(search=page), 0, 10, total=0) == []
    assert Case.__table__.c.case_id.type.length <= MAX_SEARCH_CHARS
    # the text is cut, not dropped: a case ID followed by a page of spaces and words still finds it
    assert count_cases(register_db, RegisterQuery(search="RG-0012" + " " * 60_000 + "y" * 60_000)) == 1


@pytest.mark.parametrize("column", ["case_id", "project", "eligible_on", "enrolled_on", "payer", "primary_site"])
@pytest.mark.parametrize("descending", [False, True])
def test_pages_join_up_in_the_same_order_from_both_ends(register_db, column: str, descending: bool) -> None:
    query = RegisterQuery(sort_column=column, descending=descending)
    whole = fetch_page(register_db, query, 0, 1000)
    pages = [row for offset in range(0, 300, 70) for row in fetch_page(register_db, query, offset, 70, total=300)]
    assert pages == whole
    assert len({row[0] for row in pages}) == 300


def test_sorting_orders_by_the_column(register_db) -> None:
    rows = fetch_page(register_db, RegisterQuery(sort_column="eligible_on", descending=False), 0, 5)
    assert [r[0] for r in rows] == ["RG-0000", "RG-0001", "RG-0002", "RG-0003", "RG-0004"]
    rows = fetch_page(register_db, RegisterQuery(sort_column="project", descending=True), 0, 1)
    assert rows[0][1] == "prostate"


def test_unknown_sort_column_is_refused(register_db) -> None:
    with pytest.raises(ValueError):
        fetch_page(register_db, RegisterQuery(sort_column="mrn"), 0, 10)


@pytest.mark.parametrize("descending", [False, True])
def test_blanks_sort_last_in_either_order(register_db, descending: bool) -> None:
    """Issue 25: sorting by a column put its blank cells first; they go last, both ways, and the
    pages read from the far end (``total``) agree."""
    query = RegisterQuery(sort_column="enrolled_on", descending=descending)
    rows = fetch_page(register_db, query, 0, 1000)
    enrolled = [r[5] for r in rows]
    filled = [d for d in enrolled if d is not None]
    assert filled and None in enrolled
    assert enrolled == filled + [None] * (len(enrolled) - len(filled))
    assert filled == sorted(filled, reverse=descending)
    assert [r for offset in range(0, 300, 70) for r in fetch_page(register_db, query, offset, 70, total=300)] == rows


def test_the_register_headings_are_the_case_schema_headings_and_read_as_before() -> None:
    """The register's column headings come from the case fields (``app.domain.fields.CASE``),
    no patient identifier among them; they read as when the register wrote its own."""
    assert all(heading == CASE[key].column_heading for key, heading in COLUMNS)
    assert not {key for key, _ in COLUMNS} & set(PHI_CASE_FIELDS)
    assert COLUMNS == (("case_id", "Case ID"), ("project", "Project"), ("primary_site", "Primary site"),
                       ("eligible_on", "Eligible on"), ("status", "Status"), ("enrolled_on", "Enrolled on"),
                       ("not_enrolled_reason", "Not-enrolled reason"), ("payer", "Payer"))
