"""Write tables to ``.xlsx`` or ``.csv`` safely: typed cells, no formulas, no half-written files.

- ``.xlsx``: xlsxwriter in constant-memory mode (one row in memory at a time; its rows written
  in one piece by ``app.storage.xlsx_rows``), dates as dates, numbers as numbers, every text cell written as a
  string (never a formula, whatever it starts with), a frozen header row, widths from the header
  and the first rows. A text longer than a cell holds is refused rather than cut short.
- ``.csv``: UTF-8 with a BOM so Excel opens it; text that a spreadsheet would evaluate
  (``= + - @``) gets a leading apostrophe, which the workbook import removes again.
- Both are written to a temporary file beside the target and renamed into place.

Beside ``files`` in the storage layer: the submission exports, the facility workbook (which also
reads its CSV back with ``restore_csv``) and the audit log's export all write through it.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.storage import files

FORMULA_STARTS = ("=", "+", "-", "@")
CSV_ESCAPE = "'"
WIDTH_SAMPLE_ROWS = 200
#: Characters one spreadsheet cell holds (Excel's limit; xlsxwriter would cut a longer text).
XLSX_CELL_CHARS = 32_767
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


class ExportError(ValueError):
    """An export that cannot be written; the message says what to change."""


@dataclass
class Sheet:
    name: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]]
    #: Shown in the file when the period has no rows, so an empty file explains itself.
    empty_note: str = "No records in the selected period."


def neutralise_csv(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return CSV_ESCAPE + value
    return value


def restore_csv(text: str) -> str:
    """Undo ``neutralise_csv`` (used by the workbook import so round trips are exact)."""
    if text.startswith(CSV_ESCAPE) and text[1:2] in FORMULA_STARTS:
        return text[1:]
    return text


def csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(neutralise_csv(value))


@contextmanager
def atomic_path(out: Path, suffix: str) -> Iterator[Path]:
    """``app.storage.files.atomic_path`` (synced, renamed into place), with a missing folder said
    as the export error it is."""
    out = Path(out)
    try:
        files.check_output(out)
    except files.FolderMissing as exc:
        raise ExportError(str(exc)) from None
    with files.atomic_path(out, suffix) as tmp:
        yield tmp


def _widths(headers: Sequence[str], sample: list[Sequence[Any]]) -> list[float]:
    widths = [len(h) + 2 for h in headers]
    for row in sample:
        for i, value in enumerate(row[: len(widths)]):
            length = 10 if isinstance(value, dt.date) else len(str(value)) if value is not None else 0
            widths[i] = max(widths[i], min(length + 2, 60))
    return widths


#: Excel's day 0 (serial numbers count days from it, in the 1900 date system xlsxwriter writes).
EXCEL_EPOCH = dt.date(1899, 12, 31)
#: Excel counts 1900-02-29, which never was: serial numbers after it are one day more.
EXCEL_LEAP_BUG_AFTER = 59


def excel_serial(day: dt.date) -> float:
    """The number Excel stores for a date: what xlsxwriter's ``write_datetime`` writes for it."""
    serial = (day - EXCEL_EPOCH).days
    return float(serial + 1 if serial > EXCEL_LEAP_BUG_AFTER else serial)


class _XlsxSheet:
    """Writes typed cells into one worksheet: text always as text, dates and numbers typed.

    Dates are written as the serial number Excel stores, with the date format (the same cell
    ``write_datetime`` writes), each distinct date converted once: a workbook repeats its dates
    by the hundred thousand, and converting them was a third of an export's time."""

    def __init__(self, book: Any, spec: Sheet) -> None:
        from app.storage.xlsx_rows import (
            RowWriter,  # xlsxwriter (~70 ms) when a workbook is written, not before
        )

        self.name = spec.name[:31]
        self.sheet = book.add_worksheet(self.name, worksheet_class=RowWriter)
        self.date = book.add_format({"num_format": DATE_FORMAT})
        self.datetime = book.add_format({"num_format": DATETIME_FORMAT})
        self.bold = book.add_format({"bold": True})
        self._serials: dict[dt.date, float] = {}

    def row(self, number: int, values: Sequence[Any], style: Any = None) -> None:
        sheet = self.sheet
        for col, value in enumerate(values):
            if value is None:
                continue
            kind = type(value)
            if kind is bool:
                value, kind = ("yes" if value else "no"), str
            if kind is str:
                if len(value) > XLSX_CELL_CHARS:
                    self._text(number, col, value, style)
                else:
                    sheet.write_string(number, col, value, style)
            elif kind is dt.date:
                serial = self._serials.get(value)
                if serial is None:
                    serial = self._serials[value] = excel_serial(value)
                sheet.write_number(number, col, serial, self.date)
            elif kind is int or kind is float:
                sheet.write_number(number, col, value)
            else:
                self._other(number, col, value, style)

    def _text(self, number: int, col: int, value: str, style: Any) -> None:
        """A text longer than a cell holds is refused, not cut short as xlsxwriter would."""
        if len(value) > XLSX_CELL_CHARS:
            raise ExportError(f"{self.name}, row {number + 1}: a text of {len(value):,} characters is longer than a "
                              f"spreadsheet cell holds ({XLSX_CELL_CHARS:,}); save as CSV instead.")
        self.sheet.write_string(number, col, value, style)

    def _other(self, number: int, col: int, value: Any, style: Any) -> None:
        """Subclasses of the common types, datetimes and anything else, as before."""
        sheet = self.sheet
        if isinstance(value, bool):
            value = "yes" if value else "no"
        if isinstance(value, str):
            self._text(number, col, str(value), style)
        elif isinstance(value, dt.datetime):
            sheet.write_datetime(number, col, value, self.datetime)
        elif isinstance(value, dt.date):
            sheet.write_datetime(number, col, value, self.date)
        elif isinstance(value, int | float | Decimal):
            sheet.write_number(number, col, float(value) if isinstance(value, Decimal) else value)
        else:
            sheet.write_string(number, col, str(value), style)


def write_xlsx(out: Path, sheets: Sequence[Sheet]) -> int:
    import xlsxwriter

    written = 0
    with atomic_path(out, ".xlsx") as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"constant_memory": True})
        try:
            for spec in sheets:
                sheet = _XlsxSheet(book, spec)
                rows = iter(spec.rows)
                sample = []
                for row in rows:
                    sample.append(row)
                    if len(sample) >= WIDTH_SAMPLE_ROWS:
                        break
                for i, width in enumerate(_widths(spec.headers, sample)):
                    sheet.sheet.set_column(i, i, width)
                sheet.sheet.freeze_panes(1, 0)
                sheet.row(0, list(spec.headers), sheet.bold)
                count = 0
                for row in _chain(sample, rows):
                    count += 1
                    sheet.row(count, row)
                if count == 0 and spec.empty_note:
                    sheet.row(1, [spec.empty_note])
                written += count
        finally:
            book.close()
    return written


def _chain(first: list[Sequence[Any]], rest: Iterator[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    yield from first
    yield from rest


def write_csv(out: Path, sheet: Sheet) -> int:
    count = 0
    with atomic_path(out, ".csv") as tmp, tmp.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([csv_text(h) for h in sheet.headers])
        for row in sheet.rows:
            writer.writerow([csv_text(v) for v in row])
            count += 1
        if count == 0 and sheet.empty_note:
            writer.writerow([f"# {sheet.empty_note}"])
    return count


def write_table(out: Path, sheets: Sequence[Sheet]) -> int:
    """Write by the file's ending: ``.xlsx`` (all sheets) or ``.csv`` (one sheet only)."""
    suffix = Path(out).suffix.lower()
    if suffix == ".xlsx":
        return write_xlsx(out, sheets)
    if suffix == ".csv":
        if len(sheets) != 1:
            raise ExportError("This export has several sheets; save it as .xlsx.")
        return write_csv(out, sheets[0])
    raise ExportError(f"Save as .xlsx or .csv (got '{suffix or 'no ending'}').")
