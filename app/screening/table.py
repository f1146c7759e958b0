"""A list as read, whatever its source: the grid of cells split into headers and numbered data rows.

Its own module, below the readers: ``reading`` (CSV and ``.xlsx``) and ``synthea`` (a Synthea
folder) both build a ``RawTable`` from a grid, and ``reading`` hands a folder to ``synthea``.
"""

from __future__ import annotations

import codecs
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.screening import columns
from app.screening.errors import UnreadableFile

HEADER_SEARCH_ROWS = 20
PREVIEW_ROWS = 12

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
