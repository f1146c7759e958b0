"""Ctrl+K's search (``app.services.register.find_cases``): by case ID for everyone, by MRN or name
only for who may see identifiers, which are shown only when asked for."""

from __future__ import annotations

import datetime as dt

import pytest

from app.domain.records import CaseRecord
from app.services.cases import save_case
from app.services.register import NAME_MIN_CHARS, find_cases
from tests.support import as_role


def add_cases(db):  # type: ignore[no-untyped-def]
    """Three lung cases with identifiers, and a breast case whose ID is the first one's MRN."""
    for n, (mrn, name) in enumerate([("100234", "Jane Doe"), ("100299", "John Smith"), ("200001", "Ada Doerr")]):
        save_case(db, CaseRecord(case_id=f"LUNG-2025-{n:03d}", project="lung", eligible_on=dt.date(2025, 1, 10 + n),
                                 mrn=mrn, name=name))
    save_case(db, CaseRecord(case_id="100234", project="breast", eligible_on=dt.date(2024, 5, 1)))
    return db


@pytest.fixture
def cases(db):  # type: ignore[no-untyped-def]
    return add_cases(db)


def test_the_exact_case_id_comes_first_then_the_newest(cases) -> None:
    hits = find_cases(cases, "100234")
    assert [h.case_id for h in hits] == ["100234", "LUNG-2025-000"]
    assert [h.found_by for h in hits] == ["case_id", "mrn"]
    assert [h.case_id for h in find_cases(cases, "lung-2025")] == ["LUNG-2025-002", "LUNG-2025-001", "LUNG-2025-000"]


def test_identifiers_are_hidden_unless_asked_for(cases) -> None:
    hit = find_cases(cases, "jane doe")[0]
    assert hit.case_id == "LUNG-2025-000" and hit.found_by == "name"
    assert hit.mrn is None and hit.name is None and not hit.revealed
    shown = find_cases(cases, "Doe Jane", reveal=True)[0]
    assert (shown.mrn, shown.name) == ("100234", "Jane Doe") and shown.revealed
    assert {h.case_id for h in find_cases(cases, "doe")} == {"LUNG-2025-000", "LUNG-2025-002"}


@pytest.mark.parametrize("role", ["physics", "reviewer"])
def test_who_may_not_see_identifiers_finds_by_case_id_only(cases, role: str) -> None:
    other = as_role(cases, role)
    assert find_cases(other, "Jane Doe") == []
    assert find_cases(other, "200001") == []
    hits = find_cases(other, "LUNG-2025-001", reveal=True)
    assert [h.case_id for h in hits] == ["LUNG-2025-001"] and not hits[0].revealed


def test_short_names_and_blank_text_find_nothing(cases) -> None:
    assert find_cases(cases, "  ") == []
    assert find_cases(cases, "Ja"[:NAME_MIN_CHARS - 1]) == []


def test_the_search_text_is_not_a_pattern(cases) -> None:
    assert find_cases(cases, "%") == [] and find_cases(cases, "_") == []
