"""What the faster import and export paths must give exactly as the slower ones did (issue 28):
the IDs SQLite would have given the new rows, the cell xlsxwriter writes for a date, and each
cell's value or message as ``parse_cell`` gives it."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from sqlalchemy import delete, func, select
from xlsxwriter.utility import _datetime_to_excel_datetime

from app.storage import audit
from app.storage.models import AuditEntry, DataEntry, RoleAssignment
from app.storage.tabular import Sheet, excel_serial, write_xlsx
from app.workbook.cells import CellError, parse_cell, parser_for
from app.workbook.importer import import_workbook
from app.workbook.schema import FACILITY_KEYS, SHEETS, Column
from tests.unit.test_workbook import VALID, write_folder

DAYS = [dt.date(1900, 1, 1), dt.date(1900, 2, 28), dt.date(1900, 3, 1), dt.date(1999, 12, 31), dt.date(2024, 2, 29),
        dt.date(2025, 6, 30), dt.date(2100, 12, 31)]


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_a_date_is_the_serial_number_write_datetime_gives(day: dt.date) -> None:
    assert excel_serial(day) == _datetime_to_excel_datetime(day, False, False)


def _cells(path: Path) -> bytes:
    """The sheet's cells as written (not its column widths)."""
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    return xml[xml.index(b"<sheetData"):xml.index(b"</sheetData>")]


def test_the_exported_cells_are_those_write_datetime_writes(tmp_path: Path) -> None:
    rows = [[day, "text", 3, 2.5, True, None] for day in DAYS] + [[dt.datetime(2025, 1, 2, 3, 4), "x", 0, 0.0, False, ""]]
    write_xlsx(tmp_path / "ours.xlsx", [Sheet("s", ["a", "b", "c", "d", "e", "f"], rows)])
    book = xlsxwriter.Workbook(str(tmp_path / "plain.xlsx"), {"constant_memory": True})
    sheet = book.add_worksheet("s")
    date, stamp, bold = (book.add_format({"num_format": "yyyy-mm-dd"}), book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
                         book.add_format({"bold": True}))
    for col, header in enumerate("abcdef"):
        sheet.write_string(0, col, header, bold)
    for number, row in enumerate(rows, start=1):
        stamp_or_day, text, whole, real, flag, _empty = row
        sheet.write_datetime(number, 0, stamp_or_day, stamp if isinstance(stamp_or_day, dt.datetime) else date)
        sheet.write_string(number, 1, text)
        sheet.write_number(number, 2, whole)
        sheet.write_number(number, 3, real)
        sheet.write_string(number, 4, "yes" if flag else "no")
        if number == len(rows):
            sheet.write_string(number, 5, "")
    book.close()
    assert _cells(tmp_path / "ours.xlsx") == _cells(tmp_path / "plain.xlsx")


def test_new_rows_get_the_ids_sqlite_gives_and_their_entries_name_them(empty_db, tmp_path: Path) -> None:
    import_workbook(empty_db, write_folder(tmp_path / "first", VALID))
    with empty_db.transaction(None) as session:  # the last role gone: SQLite gives its ID again
        session.info["audited"] = False
        last = session.scalar(select(func.max(RoleAssignment.id)))
        session.execute(delete(RoleAssignment).where(RoleAssignment.id == last))
    sheets = {name: [list(r) for r in rows] for name, rows in VALID.items()}
    sheets["roles"].append(["S1", "cda", "2020-01-01", ""])
    sheets["data_entry"].append(["2025-01-12", "C1", "abstraction", "S3"])
    result = import_workbook(empty_db, write_folder(tmp_path / "again", sheets))
    assert (result.added["roles"], result.added["data_entry"]) == (2, 1)
    with empty_db.reader() as session:
        roles = {r.id: (r.staff_id, r.role, r.start) for r in session.scalars(select(RoleAssignment))}
        assert sorted(roles)[-2:] == [last, last + 1]
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "insert",
                                                           AuditEntry.table_name.in_(["role_assignments", "data_entries"]))
                                  .order_by(AuditEntry.id.desc()).limit(3)).all()
        entries_by_table = {(e.table_name, int(e.record_key)): e.after for e in entries}
        for (table, key), after in entries_by_table.items():
            if table == "role_assignments":
                assert roles[key] == (after["staff_id"], after["role"], dt.date.fromisoformat(after["start"]))
                assert "id" not in after
            else:
                assert session.get(DataEntry, key).date.isoformat() == after["date"] == "2025-01-12"


def _outcome(parse, value):  # type: ignore[no-untyped-def]
    try:
        result = parse(value)
    except CellError as exc:
        return ("problem", str(exc))
    except Exception as exc:  # noqa: BLE001 - a date in a number column raises TypeError in both, as before
        return ("raises", type(exc))
    return ("value", type(result), result)


TODAY = dt.date(2025, 6, 30)
VALUES = [None, "", "  ", "\t", "yes", "No", " yes ", "YES", "nope", True, False, 0, 1, -1, 7, 15.0, 15.5, 2015.0, 1989.0,
          2101, 1e10, -1e10, 10**9, 10**9 + 1, 2**70, float("nan"), float("inf"), "15", " 2015 ", "2025-01-02",
          " 2025-01-02 ", "2025-02-30", "2025/01/02", dt.date(2025, 1, 2), dt.date(1800, 1, 1), dt.date(1905, 1, 1),
          dt.date(2200, 1, 1), dt.date(2026, 7, 1), dt.date(2026, 6, 30), dt.datetime(2025, 1, 2, 3, 4), "abc",
          " abc ", "a\x00b", "a\nb", "a\x7fb", "\xa0", "é", "x" * 5000, "MRQ-0000001", "breast", " breast ", "enrolled",
          "lung,breast", "breast,breast", "01-01", "13-01", "mean_heart_dose_gy=1.2", "heart", "=SUM(A1)"]


@pytest.mark.parametrize("column", [c for spec in SHEETS for c in spec.columns] + list(FACILITY_KEYS),
                         ids=lambda c: f"{c.name}:{c.kind}")
def test_a_column_parser_answers_as_parse_cell_does(column: Column) -> None:
    """Every kind, required or not, bounded or not: the same value or the same message."""
    fast = parser_for(column, TODAY)
    for value in VALUES:
        assert _outcome(fast, value) == _outcome(lambda v: parse_cell(column, v, TODAY), value), repr(value)


@pytest.mark.parametrize("table", ["cases", "users", "data_entries", "staff"])
def test_an_audit_entry_masks_and_writes_dates_as_before(table: str) -> None:
    """The values an import's audit entries carry: ``plain`` for each, hidden where they must be."""
    values = {"mrn": "MRN-1", "name": None, "birth_date": dt.date(1960, 5, 5), "password_hash": "x", "at":
              dt.datetime(2025, 1, 2, 3, 4, 5), "date": dt.date(2025, 1, 2), "count": 3, "flag": True, "note": ""}
    phi, secret = audit.PHI_COLUMNS.get(table, frozenset()), audit.SECRET_COLUMNS.get(table, frozenset())
    expected = {key: (audit.PHI_MASK if key in phi else audit.SECRET_MASK)
                if value is not None and (key in phi or key in secret) else audit.plain(value)
                for key, value in values.items()}
    assert audit._masked(table, values) == expected
    assert [type(v) for v in audit._masked(table, values).values()] == [type(v) for v in expected.values()]
