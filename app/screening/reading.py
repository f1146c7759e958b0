"""Reading a screening list as the file has it: a grid of cells, the header row, the data rows.

CSV files come in whatever the EHR writes: UTF-8 with or without a byte-order mark, or
Windows-1252 (accented names from older systems); delimited by ``,`` ``;`` tab or ``|`` — the
delimiter that splits the first rows into the most equal, widest rows wins, so title rows above
the header do not mislead it. ``.xlsx`` is read with python-calamine (a hard dependency).
A folder is a Synthea export (``app.screening.synthea``).

The header row is the mapping's ``header_row``; without one, the row among the first
``table.HEADER_SEARCH_ROWS`` with the most recognised headers (at least two), else the first row.
Row numbers are the ones a spreadsheet shows (the first line is row 1), as problems cite them.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from python_calamine import CalamineWorkbook

from app.screening.errors import UnreadableFile
from app.screening.synthea import read_folder
from app.screening.table import Cell, RawTable, decode, table_from_grid

DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}
SNIFF_ROWS = 50
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}


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


def read_table(path: Path, header_row: int | None = None, sheet: str | None = None) -> RawTable:
    """Read a CSV file, an ``.xlsx`` workbook or a Synthea folder; ``UnreadableFile`` says why not."""
    path = Path(path)
    if path.is_dir():
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
