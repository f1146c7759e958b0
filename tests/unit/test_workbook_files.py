"""Issue 13: damaged and hostile files get one clear line (a WorkbookError), never a crash, and
nothing is read past the limits of ``app.workbook.limits``."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

import app.workbook.archive as archive
import app.workbook.reader as reader
from app.workbook import importer
from app.workbook.importer import import_workbook
from tests.fuzz import corpus
from tests.unit.test_workbook import refused


@pytest.mark.parametrize("newline", ["\r", "\n", "\r\n"])
def test_any_line_ending_imports(empty_db, tmp_path: Path, newline: str) -> None:
    result = import_workbook(empty_db, corpus.write_folder(tmp_path / "wb", corpus.copy_sheets(), newline=newline))
    assert result.added["cases"] == 3


def test_a_cell_over_the_csv_limit_is_one_line_with_its_row(loaded, tmp_path: Path) -> None:
    sheets = corpus.copy_sheets()
    sheets["cases"][3][7] = "n" * 131_073
    (problem,) = refused(loaded, corpus.write_folder(tmp_path / "wb", sheets))
    assert problem.startswith("workbook: cases.csv, row 4: ")


def test_a_byte_flipped_or_cut_xlsx_is_refused(loaded, tmp_path: Path) -> None:
    import random

    data = corpus.xlsx(tmp_path / "base.xlsx", corpus.copy_sheets()).read_bytes()
    rng = random.Random(5)
    for i in range(8):
        bad = tmp_path / f"flip{i}.xlsx"
        bad.write_bytes(corpus.flip_in_members(data, rng, 1 + i))
        (problem,) = refused(loaded, bad)
        assert problem.startswith(f"workbook: flip{i}.xlsx")
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(data[: len(data) // 2])
    assert refused(loaded, cut)[0].startswith("workbook: cut.xlsx cannot be read as an .xlsx file")


def test_a_member_that_inflates_beyond_its_declared_size_is_refused(loaded, tmp_path: Path) -> None:
    body = "".join(corpus.inline_row(r, [str(2000 + r % 50), "yes"]) for r in range(1, 2000))
    data = corpus.raw_xlsx(tmp_path / "x.xlsx", {"program_years": body}).read_bytes()
    lying = tmp_path / "lying.xlsx"
    lying.write_bytes(corpus.patch_sizes(data, "xl/worksheets/sheet1.xml", file_size=100))
    assert "expands beyond its declared size" in refused(loaded, lying)[0]


def test_a_zip_bomb_is_refused_by_its_ratio_at_once(loaded, tmp_path: Path) -> None:
    bomb = corpus.write_zip(tmp_path / "bomb.zip", {"cases.csv": b"case_id\r\n" + b"a" * 20_000_000})
    started = time.monotonic()
    (problem,) = refused(loaded, bomb)
    assert "expands" in problem and "at most 100" in problem and time.monotonic() - started < 2


def test_names_that_leave_the_archive_are_refused(loaded, tmp_path: Path) -> None:
    for i, name in enumerate(("../cases.csv", "/abs/cases.csv", "C:/cases.csv", "a\\cases.csv")):
        path = corpus.write_zip(tmp_path / f"n{i}.zip", {name: b"case_id\r\n"})
        assert "unsafe name" in refused(loaded, path)[0]


def test_cells_in_far_corners_are_refused_before_the_reader_allocates_them(loaded, tmp_path: Path) -> None:
    header = corpus.inline_row(1, ["year", "performance_targets_met"])
    corner = corpus.raw_xlsx(tmp_path / "corner.xlsx", {"program_years": header + (
        '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>')})
    assert "a sheet has at most 64 columns" in refused(loaded, corner)[0]
    tall = corpus.raw_xlsx(tmp_path / "tall.xlsx", {"program_years": header + (
        '<row r="1048576"><c r="Z1048576" t="inlineStr"><is><t>x</t></is></c></row>')})
    assert "spans 27,262,976 cells" in refused(loaded, tall)[0]
    loose = corpus.raw_xlsx(tmp_path / "loose.xlsx", {"program_years": header + '<row><c><v>1</v></c></row>'})
    assert "cells without a cell reference" in refused(loaded, loose)[0]


def test_a_shared_string_used_by_many_cells_is_counted_at_every_use(loaded, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(archive, "MAX_SHEET_TEXT", 1_000_000)
    shared = f'<sst {corpus._NS}><si><t>year</t></si><si><t>{"y" * 20_000}</t></si></sst>'
    body = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>' + "".join(
        f'<row r="{r}"><c r="A{r}" t="s"><v>1</v></c></row>' for r in range(2, 102))
    path = corpus.raw_xlsx(tmp_path / "shared.xlsx", {"program_years": body}, shared=shared)
    assert "holds more than 1,000,000 characters of text" in refused(loaded, path)[0]


def test_an_empty_sheet_and_a_damaged_sheet_get_clear_lines(loaded, tmp_path: Path) -> None:
    empty = corpus.raw_xlsx(tmp_path / "empty.xlsx", {"program_years": ""})
    assert refused(loaded, empty) == ["program_years, 1, year: required column is missing",
                                      "program_years, 1, performance_targets_met: required column is missing"]
    shared = f'<sst {corpus._NS}><si><t>x</t></si></sst>'
    bad = corpus.raw_xlsx(tmp_path / "bad.xlsx", {"program_years": '<row r="1"><c r="A1" t="s"><v>7</v></c></row>'},
                          shared=shared)
    assert refused(loaded, bad)[0].startswith("workbook: sheet 'program_years' of bad.xlsx cannot be read")


def test_a_reader_panic_is_a_clear_line(loaded, tmp_path: Path, monkeypatch) -> None:
    class PanicException(BaseException):  # what pyo3 raises when the Rust reader panics
        pass

    def panic(path: str):  # noqa: ANN202
        raise PanicException("index out of bounds")

    import python_calamine

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", panic)
    path = corpus.xlsx(tmp_path / "ok.xlsx", corpus.copy_sheets())
    assert refused(loaded, path) == ["workbook: ok.xlsx cannot be read: the file is damaged (PanicException)"]


def test_size_and_row_limits(loaded, tmp_path: Path, monkeypatch) -> None:
    folder = corpus.write_folder(tmp_path / "wb", corpus.copy_sheets())
    monkeypatch.setattr(reader, "MAX_ROWS", 10)
    assert refused(loaded, folder) == ["workbook: more than 10 rows; import the sheets one CSV file at a time"]
    monkeypatch.setattr(archive, "MAX_SOURCE_BYTES", 1000)
    assert "an import takes at most 0 MB" in refused(loaded, folder)[0]


def test_encodings_other_than_utf8_are_refused_with_the_fix(loaded, tmp_path: Path) -> None:
    for encoding in ("utf-16", "cp1252"):
        sheets = corpus.copy_sheets()
        sheets["staff"][1][1] = "Dr. Ada Synthétique"
        problem = refused(loaded, corpus.write_folder(tmp_path / encoding, sheets, encoding=encoding))[0]
        assert problem.endswith("save it as 'CSV UTF-8'")


def test_a_database_error_while_writing_changes_nothing_and_is_one_line(loaded, tmp_path: Path, monkeypatch) -> None:
    def refuse(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise IntegrityError("INSERT ...", {}, Exception("UNIQUE constraint failed: cases.case_id"))

    monkeypatch.setattr(importer, "_upsert", refuse)
    sheets = corpus.copy_sheets()
    sheets["cases"][1][0] = "C-NEW"
    problems = refused(loaded, corpus.write_folder(tmp_path / "wb", sheets))
    assert problems == ["workbook: the database refused the import, nothing was changed (IntegrityError: "
                        "UNIQUE constraint failed: cases.case_id)"]


def test_a_zip_of_csv_with_a_damaged_member_is_refused(loaded, tmp_path: Path) -> None:
    data = corpus.csv_zip(tmp_path / "base.zip", corpus.copy_sheets()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo("cases.csv")
    bad = bytearray(data)
    bad[info.header_offset + 30 + len("cases.csv") + 5] ^= 0xFF
    path = tmp_path / "bad.zip"
    path.write_bytes(bytes(bad))
    assert refused(loaded, path)[0].startswith("workbook: cases.csv in bad.zip cannot be read: the file is damaged")


def test_a_zip_version_this_reader_lacks_is_one_line(loaded, tmp_path: Path) -> None:
    data = bytearray(corpus.csv_zip(tmp_path / "base.zip", corpus.copy_sheets()).read_bytes())
    at = data.find(b"PK\x01\x02")
    data[at + 6] = 99  # "version needed to extract" of the first member: 9.9
    path = tmp_path / "v.zip"
    path.write_bytes(bytes(data))
    assert refused(loaded, path) == ["workbook: v.zip uses a zip feature this app does not read (zip file version 9.9)"]
