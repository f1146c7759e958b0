"""Submission files: typed cells, formula neutralisation, de-identification, empty periods."""

from __future__ import annotations

import csv
import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from app.domain.export_kinds import BY_NAME, EMPTY_WORDS
from app.domain.permissions import Permission
from app.exports.submissions import (
    Period,
    ce_certificates_sheet,
    dosimetry_sheet,
    enrollment_sheet,
    mdcb_roster_sheet,
)
from app.storage.models import Attendance, Case, DosimetrySubmission, Meeting, Staff
from app.storage.tabular import ExportError, Sheet, restore_csv, write_table

AS_OF = dt.date(2025, 6, 30)
PHI = ("MRN-990011", "Alex Synthetic", "1957-04-09")


@pytest.fixture
def facility_db(db):
    with db.transaction(Permission.IMPORT) as s:
        s.add_all([
            Staff(staff_id="P1", name="Dr. Morgan Vale", profession="physicist", works_on_mroqc=True, cmd_id="CMD-1",
                  email="mvale@example.org"),
            Staff(staff_id="D1", name="Casey Dosim", profession="dosimetrist", works_on_mroqc=True),
            Staff(staff_id="T1", name="Rae Therapist", profession="other", arrt_id="ARRT-77"),
        ])
        s.flush()
        s.add_all([
            Case(case_id="C-1", project="breast", eligible_on=dt.date(2025, 1, 3), status="enrolled",
                 enrolled_on=dt.date(2025, 1, 10), mrn=PHI[0], name=PHI[1], birth_date=dt.date(1957, 4, 9)),
            Case(case_id="C-2", project="lung", eligible_on=dt.date(2025, 6, 20), status="enrolled",
                 enrolled_on=dt.date(2025, 7, 2)),  # enrolled after the as-of date: pending then
            Case(case_id="=HYPERLINK(1)", project="prostate", eligible_on=dt.date(2025, 2, 1), status="not_enrolled",
                 not_enrolled_reason="declined", note="-declined at consult"),
            Case(case_id="C-OLD", project="breast", eligible_on=dt.date(2024, 5, 1), status="pending"),
        ])
        s.flush()
        s.add(DosimetrySubmission(case_id="C-1", submitted_on=dt.date(2025, 2, 1), staff_id="D1", technique="IMRT",
                                  total_dose_gy=40.05, fractions=15, metrics={"mean_heart_dose_gy": 1.2}))
        s.add_all([
            Meeting(meeting_id="M1", date=dt.date(2025, 3, 5), format="in_person", title="Spring meeting", location="Ann Arbor"),
            Meeting(meeting_id="M2", date=dt.date(2025, 5, 5), format="virtual", title="Webinar"),
        ])
        s.flush()
        s.add_all([
            Attendance(meeting_id="M1", role="physics_lead", staff_id="P1", ce_credit="mdcb"),
            Attendance(meeting_id="M1", role="attendee", staff_id="D1", ce_credit="mdcb"),  # no CMD ID: left out
            Attendance(meeting_id="M1", role="attendee", staff_id="T1", ce_credit="arrt"),
            Attendance(meeting_id="M2", role="physics_lead", staff_id="P1", ce_credit="mdcb"),  # virtual: no CE
        ])
    return db


def read_xlsx(path: Path) -> list[list]:
    book = openpyxl.load_workbook(path)
    return [[c.value for c in row] for row in book.worksheets[0].iter_rows()]


def test_enrollment_xlsx_is_typed_and_status_is_as_of_the_date(facility_db, tmp_path: Path) -> None:
    out = tmp_path / "enrollment.xlsx"
    assert write_table(out, [enrollment_sheet(facility_db, Period.of(2025, AS_OF))]) == 3
    rows = read_xlsx(out)
    assert rows[0][:5] == ["case_id", "project", "primary_site", "eligible_on", "status"]
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id["C-1"][3] == dt.datetime(2025, 1, 3) and by_id["C-1"][4] == "enrolled"
    assert by_id["C-2"][4] == "pending" and by_id["C-2"][5] is None
    assert "C-OLD" not in by_id  # outside the year
    assert openpyxl.load_workbook(out).worksheets[0].freeze_panes == "A2"


def test_formula_text_is_never_a_formula(facility_db, tmp_path: Path) -> None:
    xlsx, csv_path = tmp_path / "e.xlsx", tmp_path / "e.csv"
    write_table(xlsx, [enrollment_sheet(facility_db, Period.of(2025, AS_OF))])
    write_table(csv_path, [enrollment_sheet(facility_db, Period.of(2025, AS_OF))])
    sheet_xml = zipfile.ZipFile(xlsx).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "=HYPERLINK(1)" in sheet_xml
    text = csv_path.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK(1)" in text
    assert restore_csv("'=HYPERLINK(1)") == "=HYPERLINK(1)" and restore_csv("'quoted") == "'quoted"


def test_csv_has_a_bom_for_excel(facility_db, tmp_path: Path) -> None:
    out = tmp_path / "e.csv"
    write_table(out, [enrollment_sheet(facility_db, Period.of(None, AS_OF))])
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert len(rows) == 5


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_default_export_has_no_patient_identifiers(facility_db, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"e{suffix}"
    write_table(out, [enrollment_sheet(facility_db, Period.of(None, AS_OF))])
    raw = out.read_bytes() if suffix == ".csv" else b"".join(
        zipfile.ZipFile(out).read(n) for n in zipfile.ZipFile(out).namelist())
    for value in PHI:
        assert value.encode() not in raw
    identified = tmp_path / f"i{suffix}"
    write_table(identified, [enrollment_sheet(facility_db, Period.of(None, AS_OF), identified=True)])
    raw = identified.read_bytes() if suffix == ".csv" else b"".join(
        zipfile.ZipFile(identified).read(n) for n in zipfile.ZipFile(identified).namelist())
    assert PHI[0].encode() in raw


def test_empty_period_gives_headers_and_a_note(facility_db, tmp_path: Path) -> None:
    out = tmp_path / "d.xlsx"
    assert write_table(out, [dosimetry_sheet(facility_db, Period.of(2019, AS_OF))]) == 0
    rows = read_xlsx(out)
    assert rows[0][0] == "case_id" and "No dosimetry submissions" in rows[1][0]


def test_dosimetry_rows_carry_dose_per_fraction_and_metrics(facility_db, tmp_path: Path) -> None:
    out = tmp_path / "d.csv"
    write_table(out, [dosimetry_sheet(facility_db, Period.of(2025, AS_OF))])
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[1][8] == "2.67" and rows[1][9] == "mean_heart_dose_gy=1.2"


def test_mdcb_roster_lists_in_person_requests_with_a_cmd_id(facility_db, tmp_path: Path) -> None:
    out = tmp_path / "m.xlsx"
    assert write_table(out, [mdcb_roster_sheet(facility_db, Period.of(2025, AS_OF))]) == 1
    rows = read_xlsx(out)
    assert rows[0][:3] == ["CMD ID", "Last Name", "First Name"]
    assert rows[1][:3] == ["CMD-1", "Vale", "Morgan"]


def test_ce_certificate_requests(facility_db, tmp_path: Path) -> None:
    out = tmp_path / "c.csv"
    assert write_table(out, [ce_certificates_sheet(facility_db, Period.of(2025, AS_OF))]) == 1
    assert "ARRT-77" in out.read_text(encoding="utf-8-sig")


def test_failed_export_leaves_no_file(tmp_path: Path) -> None:
    def broken_rows():
        yield ("a",)
        raise RuntimeError("disk full")

    out = tmp_path / "x.xlsx"
    with pytest.raises(RuntimeError):
        write_table(out, [Sheet("x", ["h"], broken_rows())])
    assert list(tmp_path.iterdir()) == []


def test_unknown_ending_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="xlsx or .csv"):
        write_table(tmp_path / "x.pdf", [Sheet("x", ["h"], [])])


def test_attendance_lists_those_who_attended_for_no_role(facility_db, tmp_path: Path) -> None:
    from app.exports.attendance import attendance_sheet

    out = tmp_path / "a.csv"
    write_table(out, [attendance_sheet(facility_db, Period.of(2025, AS_OF))])
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    attendees = [r for r in rows if r["role"] == "Attendee"]
    assert [(r["meeting_id"], r["attended_by"]) for r in attendees] == [("M1", "Casey Dosim; Rae Therapist")]
    assert "Rae Therapist: ARRT credit requested" in attendees[0]["reason"]


def test_xlsx_cells_are_typed_and_text_never_a_formula(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    rows = [["=1+1", dt.date(2025, 1, 2), dt.datetime(2025, 1, 2, 3, 4), 7, 2.5, True, None, "@x", "-3", "+a"]]
    write_table(out, [Sheet("t", [f"h{i}" for i in range(10)], rows)])
    sheet = openpyxl.load_workbook(out).worksheets[0]
    cells = [c for c in next(sheet.iter_rows(min_row=2))]
    assert [c.value for c in cells] == ["=1+1", dt.datetime(2025, 1, 2), dt.datetime(2025, 1, 2, 3, 4), 7, 2.5, "yes",
                                        None, "@x", "-3", "+a"]
    assert cells[0].data_type == "s" and cells[1].number_format == "yyyy-mm-dd" and cells[3].data_type == "n"
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold


def test_a_text_too_long_for_a_cell_is_refused_not_cut(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="longer than a spreadsheet cell holds"):
        write_table(tmp_path / "x.xlsx", [Sheet("x", ["h"], [["y" * 40_000]])])
    assert list(tmp_path.iterdir()) == []


def test_an_empty_mdcb_roster_is_its_header_row_alone(facility_db, tmp_path: Path) -> None:
    """Issue 25: the empty upload roster had a sentence in row 2, where MDCB reads data; the
    sentence is the window's (and the command line's) instead."""
    for ending in (".xlsx", ".csv"):
        out = tmp_path / f"m{ending}"
        assert write_table(out, [mdcb_roster_sheet(facility_db, Period.of(2019, AS_OF))]) == 0
        rows = read_xlsx(out) if ending == ".xlsx" else list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
        assert len(rows) == 1 and rows[0][:2] == ["CMD ID", "Last Name"]
    assert "header row only" in EMPTY_WORDS["mdcb-roster"]
    assert BY_NAME["mdcb-roster"].empty_words == EMPTY_WORDS["mdcb-roster"]


def test_the_attendance_export_says_what_the_meetings_screen_says(facility_db, tmp_path: Path) -> None:
    """Issue 25: the export said "absent" with an empty reason where the screen said
    "VIOLATION: nobody attended"."""
    from app.exports.attendance import attendance_sheet

    out = tmp_path / "a.csv"
    write_table(out, [attendance_sheet(facility_db, Period.of(2025, AS_OF))])
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    nobody = [r for r in rows if r["meeting_id"] == "M1" and r["role"] == "Clinical champion"]
    assert [(r["coverage"], r["verdict"]) for r in nobody] == [("absent", "VIOLATION: nobody attended")]
    assert not any(r["verdict"] == "absent" for r in rows)


#: Texts xlsxwriter's constant-memory mode would write as its own rich-text markup, unescaped
MARKUP_LOOKING = ["<r>Re: plan</r>", "<r></r>", "<r> a & b <t>x</t> </r>",
                  "<r></r></is></c><c r=\"Z9\" t=\"inlineStr\"><is><t>injected</t></is></c><r></r>"]


@pytest.mark.parametrize("text", MARKUP_LOOKING)
def test_a_text_that_looks_like_rich_text_markup_is_written_as_text(tmp_path: Path, text: str) -> None:
    """Found while timing the export: xlsxwriter writes a text that starts with ``<r>`` and ends
    with ``</r>`` into the sheet's XML as it is, so the cell read back empty (a letter's subject
    lost on export and import) or, crafted, put other cells into the sheet."""
    from python_calamine import CalamineWorkbook

    out = tmp_path / "x.xlsx"
    write_table(out, [Sheet("x", ["subject", "after"], [[text, "next"], ["plain", "<r>"]])])
    assert CalamineWorkbook.from_path(str(out)).get_sheet_by_name("x").to_python() == [
        ["subject", "after"], [text, "next"], ["plain", "<r>"]]
    assert [c.value for c in openpyxl.load_workbook(out)["x"][2]] == [text, "next"]  # a second reader agrees


@pytest.mark.parametrize("text", ["<r>tab\x01</r>", "<r>_x0041_</r>", "<r> </r>\n"])
def test_such_a_text_with_escapes_reads_back_as_written(tmp_path: Path, text: str) -> None:
    from python_calamine import CalamineWorkbook

    write_table(tmp_path / "x.xlsx", [Sheet("x", ["h"], [[text]])])
    assert CalamineWorkbook.from_path(str(tmp_path / "x.xlsx")).get_sheet_by_name("x").to_python() == [["h"], [text]]
