"""Write tables to ``.xlsx`` or ``.csv`` safely: typed cells, no formulas, no half-written files.

- ``.xlsx``: openpyxl write-only mode (constant memory at 200,000 rows), dates as dates, numbers
  as numbers, every text cell stored as a string (never a formula), a frozen header row, widths
  from the header and the first rows.
- ``.csv``: UTF-8 with a BOM so Excel opens it; text that a spreadsheet would evaluate
  (``= + - @``) gets a leading apostrophe, which the workbook import removes again.
- Both are written to a temporary file beside the target and renamed into place.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@")
CSV_ESCAPE = "'"
WIDTH_SAMPLE_ROWS = 200


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
    """A temporary path beside ``out`` that replaces ``out`` only if the block succeeds."""
    out = Path(out)
    if not out.parent.is_dir():
        raise ExportError(f"The folder {out.parent} does not exist.")
    fd, name = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=suffix, dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def _xlsx_cell(sheet: Any, value: Any, date_format: str = "yyyy-mm-dd") -> Any:
    if isinstance(value, bool):
        value = "yes" if value else "no"
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # a string, even if it looks like a formula
    else:
        if isinstance(value, dt.datetime):
            cell.number_format = "yyyy-mm-dd hh:mm"
        elif isinstance(value, dt.date):
            cell.number_format = date_format
    return cell


def _xlsx_value(sheet: Any, value: Any) -> Any:
    """Plain values go in as they are (openpyxl types them, dates included); only text that
    openpyxl would store as a formula needs a cell marked as a string."""
    if isinstance(value, str):
        return _xlsx_cell(sheet, value) if value.startswith("=") else value
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _widths(headers: Sequence[str], sample: list[Sequence[Any]]) -> list[float]:
    widths = [len(h) + 2 for h in headers]
    for row in sample:
        for i, value in enumerate(row[: len(widths)]):
            length = 10 if isinstance(value, dt.date) else len(str(value)) if value is not None else 0
            widths[i] = max(widths[i], min(length + 2, 60))
    return widths


def write_xlsx(out: Path, sheets: Sequence[Sheet]) -> int:
    written = 0
    with atomic_path(out, ".xlsx") as tmp:
        book = Workbook(write_only=True)
        for spec in sheets:
            sheet = book.create_sheet(spec.name[:31])
            rows = iter(spec.rows)
            sample = []
            for row in rows:
                sample.append(row)
                if len(sample) >= WIDTH_SAMPLE_ROWS:
                    break
            for i, width in enumerate(_widths(spec.headers, sample), start=1):
                sheet.column_dimensions[get_column_letter(i)].width = width
            sheet.freeze_panes = "A2"
            header = []
            for h in spec.headers:
                cell = _xlsx_cell(sheet, h)
                cell.font = Font(bold=True)
                header.append(cell)
            sheet.append(header)
            count = 0
            for row in _chain(sample, rows):
                sheet.append([_xlsx_value(sheet, v) for v in row])
                count += 1
            if count == 0 and spec.empty_note:
                sheet.append([_xlsx_cell(sheet, spec.empty_note)])
            written += count
        book.save(tmp)
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
