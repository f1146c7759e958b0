"""Issue 13: every value is checked against a documented range, and two rules are no stricter
than the spec (a not-enrolled case without a reason; two letters of one day and subject)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from app.services.cases import delete_case
from app.storage.models import AuditEntry, Case, Correspondence, DataEntry
from app.workbook.exporter import export_workbook
from app.workbook.importer import import_workbook
from app.workbook.schema import WorkbookError
from tests.unit.test_workbook import VALID, mutate, refused, write_folder

NONSENSE = [
    # (sheet, row, column, value, expected message start)
    ("facility", 4, "value", "-3", "facility, 4, value: radiation_oncologists: -3 is out of range (0 to 500)"),
    ("facility", 6, "value", "0", "facility, 6, value: baseline_year: 0 is out of range (1990 to 2100)"),
    ("facility", 6, "value", "99999", "facility, 6, value: baseline_year: 99999 is out of range"),
    ("facility", 5, "value", "2099-01-01", "facility, 5, value: joined_on: 2099-01-01 is in the future"),
    ("facility", 6, "value", "9223372036854775808", "facility, 6, value: baseline_year: '9223372036854775808' is not a whole number"),
    ("cases", 2, "case_id", "C" * 1000, "cases, 2, case_id: 1,000 characters; at most 64"),
    ("cases", 2, "case_id", "C" * 100_000, "workbook: cases.csv, row 2: the row is longer than 98,303 characters"),
    ("cases", 2, "case_id", "C\x001", "cases, 2, case_id: contains a NUL character"),
    ("cases", 2, "note", "a\x00b", "cases, 2, note: contains a NUL character"),
    ("cases", 2, "note", "n" * 4001, "cases, 2, note: 4,001 characters; at most 4,000"),
    ("cases", 2, "birth_date", "1800-01-01", "cases, 2, birth_date: 1800-01-01 is not a plausible date (from 1900-01-01"),
    ("cases", 2, "primary_site", "liver", "cases, 2, primary_site: a breast case's primary site is breast (or blank), not 'liver'"),
    ("cases", 2, "eligible_on", "1900-01-01", "cases, 2, eligible_on: 1900-01-01 is not a plausible date"),
    ("program_years", 2, "year", "-5", "program_years, 2, year: -5 is out of range (1990 to 2100)"),
    ("dosimetry", 2, "submitted_on", "1900-01-01", "dosimetry, 2, submitted_on: 1900-01-01 is not a plausible date"),
    ("dosimetry", 2, "metrics", "a=1;a=2", "dosimetry, 2, metrics: metrics must be name=value;name=value: 'a' is given twice"),
    ("dosimetry", 2, "metrics", "a=nan", "dosimetry, 2, metrics: metrics must be name=value;name=value: 'nan' in 'a' is not a number"),
    ("dosimetry", 2, "technique", "T" * 10_000, "dosimetry, 2, technique: 10,000 characters; at most 40"),
    ("dosimetry", 2, "total_dose_gy", "1e400", "dosimetry, 2, total_dose_gy: '1e400' is not a number"),
    ("dosimetry", 2, "fractions", "1" * 5000, "dosimetry, 2, fractions: '1111111111111111111111111111111111111...' is not a whole number"),
    ("staff", 2, "staff_id", "S\n1", "staff, 2, staff_id: an ID cannot hold line breaks"),
    ("staff", 2, "name", "x" * 201, "staff, 2, name: 201 characters; at most 200"),
    ("meetings", 2, "title", "t" * 201, "meetings, 2, title: 201 characters; at most 200"),
    ("correspondence", 2, "subject", "s" * 301, "correspondence, 2, subject: 301 characters; at most 300"),
    ("correspondence", 2, "received_on", "2099-01-01", "correspondence, 2, received_on: 2099-01-01 is in the future"),
    ("data_entry", 2, "date", "0001-01-01", "data_entry, 2, date: 0001-01-01 is not a plausible date"),
    ("roles", 2, "start", "2101-01-01", "roles, 2, start: 2101-01-01 is not a plausible date"),
]


@pytest.mark.parametrize(("sheet", "row", "column", "value", "message"), NONSENSE, ids=[c[4][:50] for c in NONSENSE])
def test_nonsense_values_are_refused(loaded, tmp_path: Path, sheet, row, column, value, message) -> None:
    problems = refused(loaded, write_folder(tmp_path / "bad", mutate(sheet, row, column, value)))
    assert any(p.startswith(message) for p in problems), problems
    assert all(len(p) < 400 for p in problems)


def test_policy_year_must_have_a_policy(empty_db, tmp_path: Path) -> None:
    sheets = {k: [list(r) for r in v] for k, v in VALID.items()}
    sheets["facility"].append(["policy_year", "1999"])
    with pytest.raises(WorkbookError) as error:
        import_workbook(empty_db, write_folder(tmp_path / "bad", sheets))
    assert error.value.problems[0].startswith("facility, 7, value: policy_year: there is no policy for 1999")


def test_an_unquoted_comma_list_is_refused_not_truncated(empty_db, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "bad", VALID)
    with (folder / "facility.csv").open("a", encoding="utf-8") as handle:
        handle.write("active_projects,breast,kidney\r\n")
    with pytest.raises(WorkbookError) as error:
        import_workbook(empty_db, folder)
    assert error.value.problems[0].startswith("facility, 7, value: active_projects: the value runs into a third column")


def test_a_not_enrolled_case_without_a_reason_is_accepted(loaded, tmp_path: Path) -> None:
    sheets = mutate("cases", 4, "status", "not_enrolled")
    import_workbook(loaded, write_folder(tmp_path / "edit", sheets))
    with loaded.reader() as s:
        case = s.get(Case, "C3")
    assert case.status == "not_enrolled" and case.not_enrolled_reason is None


def letters(db) -> list[tuple]:
    with db.reader() as s:
        return sorted(s.execute(select(Correspondence.letter_id, Correspondence.received_on, Correspondence.subject,
                                       Correspondence.sender)).all())


def test_two_letters_of_one_day_and_subject_are_told_apart_by_letter_id(loaded, tmp_path: Path) -> None:
    sheets = {k: [list(r) for r in v] for k, v in VALID.items()}
    sheets["correspondence"] = [["letter_id", "received_on", "subject", "sender", "reply_required"],
                                ["L-A", "2025-03-01", "Data request", "Coordinating center", "yes"],
                                ["L-B", "2025-03-01", "Data request", "", "no"]]
    import_workbook(loaded, write_folder(tmp_path / "two", sheets))
    stored = letters(loaded)
    assert ("L-A", dt.date(2025, 3, 1), "Data request", "Coordinating center") in stored
    assert ("L-B", dt.date(2025, 3, 1), "Data request", None) in stored


def test_a_letter_without_an_id_keeps_its_natural_key_and_gets_one(loaded, tmp_path: Path) -> None:
    (first,) = letters(loaded)
    assert first[0].startswith("L-") and len(first[0]) == 10
    import_workbook(loaded, write_folder(tmp_path / "again", VALID))  # same (received_on, subject): same letter
    assert letters(loaded) == [first]
    duplicate = {k: [list(r) for r in v] for k, v in VALID.items()}
    duplicate["correspondence"].append(list(duplicate["correspondence"][1]))
    with pytest.raises(WorkbookError) as error:
        import_workbook(loaded, write_folder(tmp_path / "dup", duplicate))
    assert error.value.problems[0].startswith("correspondence, 3, subject: duplicate row (received_on, subject)")


def test_letter_ids_round_trip_through_the_workbook(loaded, tmp_path: Path) -> None:
    from tests.support import create

    out = tmp_path / "wb.xlsx"
    export_workbook(loaded, out)
    copy = create(tmp_path / "copy.sqlite3")
    import_workbook(copy, out)
    assert letters(copy) == letters(loaded)
    import_workbook(copy, out)
    assert letters(copy) == letters(loaded)
    copy.dispose()


def test_deleting_a_case_audits_its_data_entry_rows(loaded, tmp_path: Path) -> None:
    sheets = {k: [list(r) for r in v] for k, v in VALID.items()}
    sheets["data_entry"][1][1] = "C3"  # C3 has no dosimetry submission
    import_workbook(loaded, write_folder(tmp_path / "c3", sheets))
    delete_case(loaded, "C3")
    with loaded.reader() as s:
        entries = s.scalars(select(DataEntry).where(DataEntry.case_id.is_(None), DataEntry.kind == "abstraction")).all()
        audited = s.scalars(select(AuditEntry).where(AuditEntry.table_name == "data_entries",
                                                     AuditEntry.action == "update")).all()
    assert [e.case_id for e in entries] == [None]
    assert [(a.before, a.after) for a in audited] == [({"case_id": "C3"}, {"case_id": None})]
