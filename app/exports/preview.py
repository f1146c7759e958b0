"""The first rows of a spreadsheet export, per sheet, to read before the file is saved.

The rows come from the sheets the export itself writes (``app.exports.sheets``), de-identified
unless identifiers were asked for and allowed, exactly as the file would be. Nothing is written to
the disk and nothing is audited: the file is audited when it is saved (``export_kind``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.domain.export_kinds import export_kind_named
from app.exports.sheets import SHEET_KINDS, export_sheets
from app.services.export_guard import export_permission
from app.storage.database import Database
from app.storage.tabular import ExportError

#: Rows shown per sheet: enough to judge the columns and the first records, cheap at any size.
PREVIEW_ROWS = 200
#: An xlsx sheet name holds at most 31 characters (``app.storage.tabular`` cuts it there too).
SHEET_NAME_CHARS = 31


@dataclass(frozen=True)
class SheetPreview:
    """One sheet: its name and header as the file has them, the first rows (typed values: dates,
    numbers, text), how many data rows the file holds, and the note written in an empty one."""

    name: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    total: int
    empty_note: str

    @property
    def shown(self) -> int:
        return len(self.rows)


def previewable(kind: str) -> bool:
    """Whether ``kind`` is written as a spreadsheet (the others are a PDF, a calendar, a certificate)."""
    return kind in SHEET_KINDS


def preview_export(db: Database, kind: str, *, year: int | None, as_of: dt.date, identified: bool = False,
                   rule: str | None = None, limit: int = PREVIEW_ROWS) -> list[SheetPreview]:
    """The sheets of ``kind`` as the file would hold them, ``limit`` rows each, every row counted.

    Asks for the same permission as the export: a role that may not export may not preview."""
    if not previewable(kind):
        raise ExportError(f"The '{kind}' export is not a spreadsheet; it has no rows to preview.")
    identified = identified and export_kind_named(kind).identifies
    db.require(export_permission(identified))
    return [_preview(sheet.name, sheet.headers, sheet.rows, sheet.empty_note, limit)
            for sheet in export_sheets(db, kind, year=year, as_of=as_of, identified=identified, rule=rule)]


def _preview(name: str, headers: Sequence[str], rows: Any, empty_note: str, limit: int) -> SheetPreview:
    rows = iter(rows)
    first = tuple(tuple(row) for row in itertools.islice(rows, limit))
    rest = sum(1 for _ in rows)  # counted, not kept: a 200,000-row sheet costs its reading only
    return SheetPreview(name[:SHEET_NAME_CHARS], tuple(headers), first, len(first) + rest, empty_note)


def cell_text(value: Any) -> str:
    """A value as the spreadsheet cell shows it: dates as yyyy-mm-dd (the file's format,
    ``app.storage.tabular.DATE_FORMAT``), yes/no for booleans, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
