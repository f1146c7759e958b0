"""The facility workbook: every validation in INTERFACES.md, all-or-nothing, round trips."""

from __future__ import annotations

import csv
import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select, text

from app.storage.models import AuditEntry, Case
from app.workbook.exporter import export_workbook
from app.workbook.importer import import_workbook
from app.workbook.schema import WorkbookError
from tests.support import create

VALID: dict[str, list[list[str]]] = {
    "facility": [["key", "value"], ["name", "Harbor RO"], ["kind", "hospital"], ["radiation_oncologists", "2"],
                 ["joined_on", "2019-01-15"], ["baseline_year", "2019"]],
    "staff": [["staff_id", "name", "profession", "physician_title", "works_on_mroqc", "cmd_id"],
              ["S1", "Dr. Ada Synthetic", "radiation_oncologist", "", "yes", ""],
              ["S2", "Cy Physicist", "physicist", "", "yes", "CMD-1"],
              ["S3", "Dee Abstractor", "cda", "", "yes", ""]],
    "roles": [["staff_id", "role", "start", "end"], ["S1", "clinical_champion", "2019-01-15", ""],
              ["S2", "physics_lead", "2019-01-15", ""], ["S3", "cda", "2019-01-15", "2030-01-01"]],
    "cases": [["case_id", "project", "primary_site", "eligible_on", "status", "enrolled_on", "not_enrolled_reason", "note",
               "payer", "mrn", "name", "birth_date"],
              ["C1", "breast", "", "2025-01-02", "enrolled", "2025-01-06", "", "", "bcbsm", "MRN-771", "Pat Synthetic", "1960-05-05"],
              ["C2", "bone_mets", "melanoma", "2025-02-02", "not_enrolled", "", "other", "moved away", "medicare", "", "", ""],
              ["C3", "lung", "", "2025-03-02", "pending", "", "", "=SUM(A1)", "", "", "", ""]],
    "data_entry": [["date", "case_id", "kind", "staff_id"], ["2025-01-10", "C1", "abstraction", "S3"], ["2025-01-11", "", "other", ""]],
    "dosimetry": [["case_id", "submitted_on", "staff_id", "technique", "total_dose_gy", "fractions", "metrics"],
                  ["C1", "2025-02-01", "S2", "IMRT", "40.05", "15", "mean_heart_dose_gy=1.2"]],
    "meetings": [["meeting_id", "date", "format", "title", "location"], ["M1", "2025-03-05", "in_person", "Spring", "Ann Arbor"]],
    "attendance": [["meeting_id", "role", "staff_id", "ce_credit"], ["M1", "clinical_champion", "S1", ""],
                   ["M1", "physics_lead", "S2", "mdcb"]],
    "correspondence": [["received_on", "subject", "reply_required", "due_on", "replied_on"],
                       ["2025-02-01", "Data request", "yes", "", "2025-02-05"]],
    "absences": [["staff_id", "kind", "start", "end", "approved", "project"], ["S3", "vacation", "2025-07-01", "2025-07-10", "yes", ""],
                 ["", "enrollment_pause", "2025-08-01", "2025-08-15", "yes", "lung"]],
    "program_years": [["year", "performance_targets_met"], ["2024", "yes"]],
}


def write_folder(folder: Path, sheets: dict[str, list[list[str]]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in sheets.items():
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows)
    return folder


def mutate(sheet: str, row: int, column: str, value: str) -> dict[str, list[list[str]]]:
    """A copy of VALID with one cell changed (row as a spreadsheet numbers it)."""
    sheets = {k: [list(r) for r in v] for k, v in VALID.items()}
    header = sheets[sheet][0]
    if column not in header:
        header.append(column)
        for r in sheets[sheet][1:]:
            r.append("")
    sheets[sheet][row - 1][header.index(column)] = value
    return sheets


def snapshot(db) -> tuple[int, int]:
    with db.reader() as s:
        return s.scalar(select(func.count()).select_from(Case)), s.scalar(select(func.count(AuditEntry.id)))


def refused(db, path: Path) -> list[str]:
    """Import ``path`` expecting a refusal that changes nothing; returns the problems said."""
    before = snapshot(db)
    with pytest.raises(WorkbookError) as error:
        import_workbook(db, path)
    assert snapshot(db) == before
    return error.value.problems


CASES = [
    # (sheet, row, column, value, expected message start)
    ("cases", 2, "eligible_on", "2025/01/02", "cases, 2, eligible_on: '2025/01/02' is not a date in the form YYYY-MM-DD"),
    ("cases", 2, "eligible_on", "2025-02-30", "cases, 2, eligible_on: '2025-02-30' is not a real date"),
    ("cases", 2, "project", "skin", "cases, 2, project: unknown value 'skin'"),
    ("cases", 2, "status", "", "cases, 2, status: missing value"),
    ("cases", 2, "enrolled_on", "", "cases, 2, enrolled_on: an enrolled case needs its enrollment date"),
    ("cases", 2, "enrolled_on", "2024-12-31", "cases, 2, enrolled_on: the enrollment date is before the eligible date"),
    ("cases", 3, "primary_site", "colon", "cases, 3, primary_site: 'colon' is not an MROQC-eligible primary"),
    ("cases", 3, "note", "", "cases, 3, note: the reason 'other' needs a note"),
    ("cases", 3, "not_enrolled_reason", "bored", "cases, 3, not_enrolled_reason: unknown value 'bored'"),
    ("cases", 4, "case_id", "C1", "cases, 4, case_id: duplicate ID C1 (first on row 2)"),
    ("cases", 2, "payer", "cash", "cases, 2, payer: unknown value 'cash'"),
    ("cases", 2, "shoe_size", "9", "cases, 1, shoe_size: unknown column"),
    ("staff", 2, "works_on_mroqc", "maybe", "staff, 2, works_on_mroqc: 'maybe' must be yes or no"),
    ("staff", 2, "profession", "wizard", "staff, 2, profession: unknown value 'wizard'"),
    ("roles", 2, "end", "2018-01-01", "roles, 2, end: the end is before the start"),
    ("roles", 2, "staff_id", "NOBODY", "roles, 2, staff_id: unknown staff member 'NOBODY'"),
    ("data_entry", 2, "case_id", "C99", "data_entry, 2, case_id: unknown case 'C99'"),
    ("dosimetry", 2, "total_dose_gy", "-5", "dosimetry, 2, total_dose_gy: a total dose must be above 0"),
    ("dosimetry", 2, "total_dose_gy", "9000", "dosimetry, 2, total_dose_gy: a total dose must be above 0 and at most 200"),
    ("dosimetry", 2, "fractions", "0", "dosimetry, 2, fractions: fractions must be from 1 to 60"),
    ("dosimetry", 2, "fractions", "2.5", "dosimetry, 2, fractions: '2.5' is not a whole number"),
    ("dosimetry", 2, "metrics", "heart", "dosimetry, 2, metrics: metrics must be name=value"),
    ("attendance", 2, "meeting_id", "M9", "attendance, 2, meeting_id: unknown meeting 'M9'"),
    ("attendance", 2, "role", "janitor", "attendance, 2, role: unknown value 'janitor'"),
    ("absences", 2, "end", "2025-06-01", "absences, 2, end: the end is before the start"),
    ("absences", 2, "approved", "", "absences, 2, approved: missing value"),
    ("correspondence", 2, "replied_on", "2025-01-01", "correspondence, 2, replied_on: the reply is dated before"),
    ("meetings", 2, "format", "hybrid", "meetings, 2, format: unknown value 'hybrid'"),
    ("program_years", 2, "year", "twenty", "program_years, 2, year: 'twenty' is not a whole number"),
    ("facility", 2, "value", "", "facility, 2, value: name: missing value"),
    ("facility", 3, "key", "colour", "facility, 3, key: unknown key 'colour'"),
]


@pytest.mark.parametrize(("sheet", "row", "column", "value", "message"), CASES, ids=[c[4][:40] for c in CASES])
def test_each_invalid_cell_is_reported_and_nothing_changes(loaded, tmp_path: Path, sheet, row, column, value, message) -> None:
    problems = refused(loaded, write_folder(tmp_path / "bad", mutate(sheet, row, column, value)))
    assert any(p.startswith(message) for p in problems), problems


def test_missing_required_column_and_unknown_sheet(empty_db, tmp_path: Path) -> None:
    sheets = {k: [list(r) for r in v] for k, v in VALID.items()}
    sheets["meetings"] = [r[:1] + r[2:] for r in sheets["meetings"]]  # no date column
    sheets["extras"] = [["a"], ["b"]]
    with pytest.raises(WorkbookError) as error:
        import_workbook(empty_db, write_folder(tmp_path / "bad", sheets))
    assert any(p.startswith("workbook: unknown sheet 'extras'") for p in error.value.problems)
    del sheets["extras"]
    (tmp_path / "bad" / "extras.csv").unlink()
    with pytest.raises(WorkbookError) as error:
        import_workbook(empty_db, write_folder(tmp_path / "bad", sheets))
    assert "meetings, 1, date: required column is missing" in error.value.problems


def test_every_problem_is_listed_not_just_the_first(loaded, tmp_path: Path) -> None:
    sheets = mutate("cases", 2, "project", "skin")
    sheets["dosimetry"][1][5] = "0"
    with pytest.raises(WorkbookError) as error:
        import_workbook(loaded, write_folder(tmp_path / "bad", sheets))
    assert len(error.value.problems) >= 2


def test_not_a_workbook_is_a_clear_error(empty_db, tmp_path: Path) -> None:
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a spreadsheet")
    with pytest.raises(WorkbookError, match="problem") as error:
        import_workbook(empty_db, junk)
    assert "cannot be read as an .xlsx file" in error.value.problems[0]


TABLES = ("facility", "staff", "role_assignments", "cases", "data_entries", "dosimetry_submissions", "meetings",
          "attendance", "correspondence", "absences", "program_years")


def tables(db) -> dict[str, list]:
    """Every workbook table's rows, without surrogate IDs (they differ between databases)."""
    skip_id = {"role_assignments", "data_entries", "dosimetry_submissions", "attendance", "correspondence", "absences"}
    result = {}
    with db.reader() as s:
        for t in TABLES:
            cols = [r[1] for r in s.execute(text(f"PRAGMA table_info({t})")) if not (t in skip_id and r[1] == "id")]
            result[t] = sorted((tuple(r) for r in s.execute(text(f"SELECT {', '.join(cols)} FROM {t}"))), key=repr)
    return result


@pytest.mark.parametrize("target", ["wb.xlsx", "wb.zip", "wb_folder"])
def test_export_then_import_gives_the_same_data(loaded, tmp_path: Path, target: str) -> None:
    out = tmp_path / target
    export_workbook(loaded, out, identified=True)
    db = create(tmp_path / "copy.sqlite3")
    import_workbook(db, out)
    assert tables(db) == tables(loaded)
    with db.reader() as s:  # the register's text filter finds the imported cases (migration 0016)
        indexed = sorted(r[0] for r in s.execute(text("SELECT case_id FROM case_id_search")))
        assert indexed == sorted(r[0] for r in s.execute(text("SELECT case_id FROM cases"))) and indexed
    db.dispose()


def test_reimport_changes_nothing_and_audits_nothing(loaded, tmp_path: Path) -> None:
    before = snapshot(loaded)
    result = import_workbook(loaded, write_folder(tmp_path / "again", VALID))
    assert sum(result.added.values()) == 0 and sum(result.updated.values()) == 0
    assert snapshot(loaded) == before


def test_reimport_updates_a_changed_row_with_before_and_after(loaded, tmp_path: Path) -> None:
    sheets = mutate("cases", 4, "status", "not_enrolled")
    sheets["cases"][3][6] = "declined"
    result = import_workbook(loaded, write_folder(tmp_path / "edit2", sheets))
    assert result.updated["cases"] == 1
    with loaded.reader() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.record_key == "C3").order_by(AuditEntry.id.desc())).first()
    assert entry.before["status"] == "pending" and entry.after["status"] == "not_enrolled"


def test_deidentified_export_has_no_phi_and_reimport_keeps_stored_phi(loaded, tmp_path: Path) -> None:
    out = tmp_path / "plain.xlsx"
    export_workbook(loaded, out)
    raw = b"".join(zipfile.ZipFile(out).read(n) for n in zipfile.ZipFile(out).namelist())
    for value in (b"MRN-771", b"Pat Synthetic", b"1960-05-05"):
        assert value not in raw
    import_workbook(loaded, out)
    with loaded.reader() as s:
        assert s.get(Case, "C1").mrn == "MRN-771"


def test_formula_text_round_trips_exactly(loaded, tmp_path: Path) -> None:
    for target in ("f.xlsx", "f.zip"):
        out = tmp_path / target
        export_workbook(loaded, out)
        if target.endswith("xlsx"):
            sheet = openpyxl.load_workbook(out)["cases"]
            cell = next(c for row in sheet.iter_rows() for c in row if c.value == "=SUM(A1)")
            assert cell.data_type == "s"
        else:
            assert "'=SUM(A1)" in zipfile.ZipFile(out).read("cases.csv").decode("utf-8-sig")
        db = create(tmp_path / f"{target}.sqlite3")
        import_workbook(db, out)
        with db.reader() as s:
            assert s.get(Case, "C3").note == "=SUM(A1)"
        db.dispose()


def test_excel_dates_and_numbers_are_accepted(empty_db, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in VALID.items():
        sheet = book.create_sheet(name)
        for r in rows:
            sheet.append([dt.datetime.fromisoformat(v) if len(v) == 10 and v[4:5] == "-" and v[:4].isdigit() else
                          (float(v) if v.replace(".", "", 1).isdigit() and name == "dosimetry" else v) for v in r])
    out = tmp_path / "excel.xlsx"
    book.save(out)
    result = import_workbook(empty_db, out)
    assert result.added["cases"] == 3


def test_a_workbook_for_a_new_database_is_judged_as_the_new_empty_database_would(tmp_path: Path) -> None:
    """``import --db NEW`` checks the workbook before it builds the database (no key derivation, no
    file for a refused one): the same answer, word for word, as a freshly built empty database."""
    from app.workbook.importer import validate_for_a_new_database, validate_workbook
    from tests.fuzz.corpus import NONSENSE

    fresh = create(tmp_path / "fresh.sqlite3")
    try:
        for i, (sheet, row, column, value) in enumerate(NONSENSE):
            folder = write_folder(tmp_path / f"n{i}", mutate(sheet, row, column, value))
            with pytest.raises(WorkbookError) as built:
                validate_workbook(fresh, folder)
            with pytest.raises(WorkbookError) as before_building:
                validate_for_a_new_database(folder)
            assert before_building.value.problems == built.value.problems, (sheet, row, column, value)
        valid = write_folder(tmp_path / "valid", VALID)
        assert validate_for_a_new_database(valid).sheets.keys() == validate_workbook(fresh, valid).sheets.keys()
    finally:
        fresh.dispose()


def test_a_workbook_checked_for_a_new_database_is_read_again_for_one_that_holds_records(
        empty_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``import --db NEW`` hands the workbook it checked to the import, read once; given to a
    database that holds records after all, it is read and checked again against them (as new, its
    cases would be inserted a second time and the database would refuse the whole import)."""
    import app.workbook.importer as importer

    valid = write_folder(tmp_path / "valid", VALID)
    reads = []
    parse = importer.parse_workbook
    monkeypatch.setattr(importer, "parse_workbook", lambda *a, **k: reads.append(1) or parse(*a, **k))
    first = import_workbook(empty_db, valid, checked=importer.validate_for_a_new_database(valid))
    assert len(reads) == 1 and first.added["cases"] == 3
    again = import_workbook(empty_db, valid, checked=importer.validate_for_a_new_database(valid))
    assert len(reads) == 3 and again.added["cases"] == 0 and again.unchanged > 0


def test_an_import_says_how_far_it_has_come(empty_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each sheet being checked (rows so far; the whole is not known while reading), then the rows
    written of all there are, then the data-quality check: what the window's progress bar shows."""
    import app.workbook.importer as importer
    import app.workbook.validate as validate

    monkeypatch.setattr(validate, "EVERY_ROWS", 1)  # the workbook is small: a report for every row
    monkeypatch.setattr(importer, "WRITE_CHUNK", 2)
    heard: list[tuple[str, int, int]] = []
    result = import_workbook(empty_db, write_folder(tmp_path / "wb", VALID), as_of=dt.date(2025, 6, 30),
                             progress=lambda what, done, in_all: heard.append((what, done, in_all)))
    rows = sum(len(rows) - 1 for name, rows in VALID.items() if name != "facility")
    checking = [h for h in heard if h[0].startswith("Checking ") and h[0] != importer.QUALITY_WORDS]
    writing = [h for h in heard if h[0].startswith("Writing ")]
    assert ("Checking cases", 2, 0) in checking and ("Checking data entry", 2, 0) in checking
    assert [done for _what, done, _all in writing] == sorted(done for _what, done, _all in writing)
    assert {in_all for _what, _done, in_all in writing} == {rows} and writing[-1][1] == rows
    assert {"Writing staff", "Writing cases", "Writing dosimetry", "Writing program years"} <= {w[0] for w in writing}
    assert heard.index(checking[-1]) < heard.index(writing[0]) < heard.index((importer.QUALITY_WORDS, 0, 0),
                                                                             heard.index(writing[-1]))
    assert sum(result.added.values()) + sum(result.updated.values()) + result.unchanged == rows + 1  # + the facility


def test_the_rows_go_in_straight_to_sqlite_as_sqlalchemy_would_store_them(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The import hands its new rows to SQLite's driver (``app.storage.bulk.BulkWriter``, dates,
    booleans and the metrics converted as SQLAlchemy's types store them): every stored value is
    what SQLAlchemy's own insert stores, table by table, several rows to a statement; and the
    direct path is the one taken."""
    from app.storage import bulk
    from tests.support import raw_connection

    source = write_folder(tmp_path / "wb", {**VALID, "correspondence": [
        ["letter_id", "received_on", "subject", "reply_required", "due_on", "replied_on"],
        ["L1", "2025-02-01", "Data request", "yes", "", "2025-02-05"], ["L2", "2025-03-01", "Notice", "no", "", ""]]})
    stored = {}
    direct: list[str] = []
    real_plan = bulk.BulkWriter._plan

    def plan(self, table, keys):  # type: ignore[no-untyped-def]
        found = real_plan(self, table, keys)
        if found is not None:
            direct.append(table.name)
        return found

    for way in ("driver", "sqlalchemy"):
        with monkeypatch.context() as patch:
            if way == "sqlalchemy":
                patch.setattr(bulk.BulkWriter, "_plan", lambda self, table, keys: None)
            else:
                patch.setattr(bulk.BulkWriter, "_plan", plan)
                patch.setattr(bulk, "ROWS_PER_STATEMENT", 2)  # statements of two rows and one of the rest
            db = create(tmp_path / f"{way}.sqlite3")
            import_workbook(db, source)
            db.dispose()
        conn = raw_connection(tmp_path / f"{way}.sqlite3")
        tables = ["staff", "role_assignments", "cases", "data_entries", "dosimetry_submissions", "meetings", "attendance",
                  "correspondence", "absences", "program_years"]
        stored[way] = {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY 1, 2').fetchall() for t in tables}
        conn.close()
    assert stored["driver"] == stored["sqlalchemy"]
    assert all(stored["driver"][t] for t in stored["driver"]), "every table has rows to compare"
    assert {"cases", "dosimetry_submissions", "correspondence", "role_assignments"} <= set(direct)
