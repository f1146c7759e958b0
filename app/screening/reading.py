"""Reading a screening list as the file has it: a grid of cells, the header row, the data rows.

CSV files come in whatever the EHR writes: UTF-8 with or without a byte-order mark, or
Windows-1252 (accented names from older systems); delimited by ``,`` ``;`` tab or ``|`` — the
delimiter that splits the first rows into the most equal, widest rows wins, so title rows above
the header do not mislead it. ``.xlsx`` is read with python-calamine when installed, else
openpyxl in read-only mode. A folder is a Synthea export (``app.screening.synthea``).

The header row is the mapping's ``header_row``; without one, the row among the first
``HEADER_SEARCH_ROWS`` with the most recognised headers (at least two), else the first row.
Row numbers are the ones a spreadsheet shows (the first line is row 1), as problems cite them.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.screening import columns
from app.screening.errors import UnreadableFile

DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
HEADER_SEARCH_ROWS = 20
SNIFF_ROWS = 50
PREVIEW_ROWS = 12
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}

Cell = Any  # str, a number, a date or datetime (from .xlsx), or None


@dataclass
class RawTable:
    """A list as read: its headers, data rows with their spreadsheet row numbers, and how it was
    read (``how``: encoding and delimiter, or sheet) for the wizard to show."""

    source: str
    headers: list[str]
    rows: list[tuple[int, list[Cell]]]
    header_row: int
    top: list[list[str]] = field(default_factory=list)
    how: str = ""
    sheets: list[str] = field(default_factory=list)
    #: A mapping that goes with the source itself (a Synthea folder's built-in columns).
    implied_columns: dict[str, str] = field(default_factory=dict)

    def column(self, header: str) -> int:
        return self.headers.index(header)


def decode(data: bytes) -> tuple[str, str]:
    """The text and the name of its encoding: UTF-8 (BOM or not) if it decodes, else Windows-1252."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8"), "UTF-8 with BOM"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "Windows-1252"


def sniff_delimiter(text: str) -> str:
    """The delimiter whose most common row width (above 1) is most frequent, then widest."""
    lines = text.splitlines()[:SNIFF_ROWS]
    best: tuple[int, int, int] = (0, 0, 0)
    chosen = ","
    for rank, delimiter in enumerate(DELIMITERS):
        widths = Counter(len(row) for row in csv.reader(lines, delimiter=delimiter) if len(row) > 1)
        if not widths:
            continue
        width, times = widths.most_common(1)[0]
        score = (times, width, -rank)
        if score > best:
            best, chosen = score, delimiter
    return chosen


def _csv_grid(path: Path) -> tuple[list[list[Cell]], str]:
    text, encoding = decode(path.read_bytes())
    delimiter = sniff_delimiter(text)
    grid = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return grid, f"{encoding}, {DELIMITER_NAMES[delimiter]}-delimited"


def _xlsx_grid(path: Path, sheet: str | None) -> tuple[list[list[Cell]], str, list[str]]:
    try:
        from python_calamine import CalamineWorkbook
    except ImportError:
        return _openpyxl_grid(path, sheet)
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for a damaged file
        raise UnreadableFile(f"{path.name} cannot be read as an Excel workbook ({type(exc).__name__}).") from None
    names = list(book.sheet_names)
    name = _sheet_name(path, names, sheet)
    grid = [list(row) for row in book.get_sheet_by_name(name).to_python(skip_empty_area=False)]
    grid = [[None if c == "" else c for c in row] for row in grid]
    return grid, f"sheet '{name}'", names


def _sheet_name(path: Path, names: list[str], sheet: str | None) -> str:
    if not names:
        raise UnreadableFile(f"{path.name} has no sheets.")
    if sheet is None:
        return names[0]
    if sheet not in names:
        raise UnreadableFile(f"{path.name} has no sheet '{sheet}' (sheets: {', '.join(names)}).")
    return sheet


def _openpyxl_grid(path: Path, sheet: str | None) -> tuple[list[list[Cell]], str, list[str]]:
    from zipfile import BadZipFile

    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, OSError, KeyError, ValueError) as exc:
        raise UnreadableFile(f"{path.name} cannot be read as an Excel workbook ({type(exc).__name__}).") from None
    try:
        names = list(book.sheetnames)
        name = _sheet_name(path, names, sheet)
        grid = [list(row) for row in book[name].iter_rows(values_only=True)]
    finally:
        book.close()
    return grid, f"sheet '{name}'", names


def text_of(cell: Cell) -> str:
    """A cell as text: numbers without a spurious ``.0`` (an MRN read by Excel as a number)."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat() if cell.time() == dt.time() else cell.isoformat(sep=" ")
    if isinstance(cell, dt.date):
        return cell.isoformat()
    return str(cell).strip()


def find_header_row(grid: Sequence[Sequence[Cell]]) -> int:
    """The 1-based row holding the headers: the most recognised ones among the first rows."""
    best_row, best = 1, 1
    for index, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        found = columns.recognised([text_of(c) for c in row])
        if found > best:
            best_row, best = index + 1, found
    return best_row


def _headers(row: Sequence[Cell], width: int) -> list[str]:
    headers, seen = [], Counter()
    for i in range(width):
        text = text_of(row[i]) if i < len(row) else ""
        text = text or f"Column {i + 1}"
        seen[text] += 1
        headers.append(text if seen[text] == 1 else f"{text} ({seen[text]})")
    return headers


def table_from_grid(grid: list[list[Cell]], source: str, header_row: int | None, how: str,
                    sheets: Iterable[str] = ()) -> RawTable:
    """Split a grid into headers and non-blank data rows, each with its spreadsheet row number."""
    if not any(any(text_of(c) for c in row) for row in grid):
        raise UnreadableFile(f"{source} is empty.")
    row_number = header_row or find_header_row(grid)
    if row_number > len(grid):
        raise UnreadableFile(f"{source} has no row {row_number} (header_row); it has {len(grid)} rows.")
    width = max(len(r) for r in grid[row_number - 1:]) if grid[row_number - 1:] else 0
    headers = _headers(grid[row_number - 1], width)
    rows = []
    for number, row in enumerate(grid[row_number:], start=row_number + 1):
        if any(c is not None and (not isinstance(c, str) or c.strip()) for c in row):
            rows.append((number, list(row) + [None] * (width - len(row))))
    top = [[text_of(c) for c in row] for row in grid[:row_number + PREVIEW_ROWS]]
    return RawTable(source=source, headers=headers, rows=rows, header_row=row_number, top=top, how=how,
                    sheets=list(sheets))


def read_table(path: Path, header_row: int | None = None, sheet: str | None = None) -> RawTable:
    """Read a CSV file, an ``.xlsx`` workbook or a Synthea folder; ``UnreadableFile`` says why not."""
    path = Path(path)
    if path.is_dir():
        from app.screening.synthea import read_folder

        return read_folder(path, header_row)
    if not path.exists():
        raise UnreadableFile(f"No file at {path}.")
    suffix = path.suffix.lower()
    try:
        if suffix in XLSX_SUFFIXES:
            grid, how, sheets = _xlsx_grid(path, sheet)
            return table_from_grid(grid, path.name, header_row, how, sheets)
        if suffix in CSV_SUFFIXES:
            grid, how = _csv_grid(path)
            return table_from_grid(grid, path.name, header_row, how)
    except csv.Error as exc:
        raise UnreadableFile(f"{path.name} is not a readable CSV file ({exc}).") from None
    except OSError as exc:
        raise UnreadableFile(f"{path.name} cannot be read ({exc.strerror or type(exc).__name__}).") from None
    raise UnreadableFile(f"{path.name}: a screening list is a .csv or .xlsx file, or a Synthea folder.")
