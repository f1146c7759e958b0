"""The rows of an ``.xlsx`` sheet written in one piece: xlsxwriter's own cells, half the work.

In constant-memory mode xlsxwriter keeps one row of cells and, when the next row starts, writes
each cell's XML with several calls and regular expressions per cell: two thirds of a workbook
export's time. ``RowWriter`` (a ``Worksheet`` subclass, the extension point xlsxwriter documents
through ``add_worksheet(worksheet_class=...)``) writes a row of text and number cells as one
string instead, byte for byte what xlsxwriter writes (a test compares the two on random rows),
and leaves every other row and cell kind to xlsxwriter.

One difference, on purpose: a text that begins with ``<r>`` and ends with ``</r>`` is written as
the text it is. xlsxwriter takes such a text for its own rich-text markup and puts it into the
sheet unescaped (the cell reads back empty, or a crafted text adds cells).
"""

from __future__ import annotations

import re
from typing import Any

from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

#: What xlsxwriter escapes in a text cell of constant-memory mode: control characters become
#: ``_xHHHH_``, a literal ``_xHHHH_`` gets its underscore escaped, two non-characters (the
#: patterns of ``xlsxwriter.xmlwriter``; the test holds them equal)
_CONTROL_ESCAPED = re.compile(r"_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_XML_ESCAPED = re.compile("[&<>]")
_TEXT, _NUMBER = "String", "Number"


def _text_xml(text: str) -> str:
    """The ``<is>`` element's content of a text cell, as xlsxwriter writes a plain text."""
    if _CONTROL_ESCAPED.search(text):
        text = Worksheet._escape_control_characters(text)
    if _XML_ESCAPED.search(text):
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if text[:1].isspace() or text[-1:].isspace():
        return f'<t xml:space="preserve">{text}</t>'
    return f"<t>{text}</t>"


class RowWriter(Worksheet):
    """A worksheet whose constant-memory rows of text and number cells are written in one piece."""

    def __init__(self) -> None:
        super().__init__()
        self._styles: dict[int, str] = {}  # a format's id → its ` s="N"` attribute
        self._columns: dict[int, str] = {}  # column number → its letters

    def _style(self, cell_format: Any, col: int) -> str:
        if not cell_format:  # a column's own format applies to its unformatted cells
            info = self.col_info.get(col)
            cell_format = info.column_format if info is not None else None
            if cell_format is None:
                return ""
        attr = self._styles.get(id(cell_format))
        if attr is None:  # formats live as long as their workbook: their ids are theirs
            attr = self._styles[id(cell_format)] = f' s="{cell_format._get_xf_index()}"'
        return attr

    def _cell_xml(self, ref: str, cell: Any, col: int) -> str | None:
        kind = cell.__class__.__name__
        if kind == _TEXT:
            return f'<c r="{ref}"{self._style(cell.format, col)} t="inlineStr"><is>{_text_xml(cell.string)}</is></c>'
        if kind == _NUMBER:
            return f'<c r="{ref}"{self._style(cell.format, col)}><v>{cell.number:.16G}</v></c>'
        return None

    def _letters(self, col: int) -> str:
        letters = self._columns.get(col)
        if letters is None:
            letters = self._columns[col] = xl_col_to_name(col)
        return letters

    def _write_single_row(self, current_row_num: int = 0) -> None:
        row_num = self.previous_row
        cells = self.table.get(row_num)
        if (not self.constant_memory or not cells or row_num in self.row_info or row_num in self.comments
                or self.excel_version != 2007 or self.default_row_height != self.original_row_height):
            super()._write_single_row(current_row_num)
            return
        number = str(row_num + 1)
        parts = [f'<row r="{number}">']
        for col in sorted(cells):
            xml = self._cell_xml(self._letters(col) + number, cells[col], col)
            if xml is None:  # another kind of cell: the row as xlsxwriter writes it
                super()._write_single_row(current_row_num)
                return
            parts.append(xml)
        parts.append("</row>")
        self.fh.write("".join(parts))
        self.previous_row = current_row_num
        self.table.clear()

    def _write_cell(self, row: int, col: int, cell: Any) -> None:
        """One cell of a row xlsxwriter writes itself (a row with other kinds of cells)."""
        xml = self._cell_xml(self._letters(col) + str(row + 1), cell, col) if self.constant_memory else None
        if xml is None:
            super()._write_cell(row, col, cell)
        else:
            self.fh.write(xml)
