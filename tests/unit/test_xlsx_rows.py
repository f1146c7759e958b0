"""``app.storage.xlsx_rows.RowWriter`` writes a sheet byte for byte as xlsxwriter does (the rows it
writes in one piece, the cells of rows it leaves to xlsxwriter), except a text shaped like
xlsxwriter's rich-text markup, which it writes as text."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any

import xlsxwriter
import xlsxwriter.xmlwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.storage.xlsx_rows import _CONTROL_ESCAPED, RowWriter

#: Texts with what needs escaping: XML's three, control characters, ``_xHHHH_``, spaces at the ends
PIECES = st.sampled_from([*"ab <>&\"'_x0F9", "\t", "\n", "\r", "\x00", "\x01", "\x1f", "\x7f", "\u00a0", "\u2028",
                          "\ufffe", "\uffff", "é", "😀", "_x0041_", "_x00aF_", "<r>", "</r>"])
TEXT = st.lists(PIECES, max_size=8).map("".join).filter(lambda t: not (t.startswith("<r>") and t.endswith("</r>")))
NUMBER = st.one_of(st.integers(min_value=-(10**15), max_value=10**15),
                   st.floats(allow_nan=False, allow_infinity=False))
CELL = st.one_of(st.none(), TEXT, NUMBER, st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
                 st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
                 st.booleans())
ROWS = st.lists(st.lists(CELL, max_size=6), max_size=8)


def _sheet_xml(path: Path, worksheet_class: Any, rows: list[list[Any]], column_format: bool) -> bytes:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("x", worksheet_class=worksheet_class)
    bold, date = book.add_format({"bold": True}), book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.set_column(0, 0, 12, book.add_format({"italic": True}) if column_format else None)
    sheet.set_column(1, 1, 30)
    sheet.freeze_panes(1, 0)
    for number, row in enumerate(rows):
        for col, value in enumerate(row):
            if value is None:
                continue
            style = bold if number == 0 else None
            if isinstance(value, str):
                sheet.write_string(number, col, value, style)
            elif isinstance(value, bool):
                sheet.write_boolean(number, col, value)  # a kind RowWriter leaves to xlsxwriter
            elif isinstance(value, dt.datetime):
                sheet.write_datetime(number, col, value, date)  # another
            elif isinstance(value, dt.date):
                sheet.write_number(number, col, (value - dt.date(1899, 12, 30)).days, date)
            else:
                sheet.write_number(number, col, value, style)
    book.close()
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS, column_format=st.booleans())
def test_the_sheet_is_what_xlsxwriter_writes(tmp_path: Path, rows: list[list[Any]], column_format: bool) -> None:
    ours = _sheet_xml(tmp_path / "ours.xlsx", RowWriter, rows, column_format)
    theirs = _sheet_xml(tmp_path / "theirs.xlsx", None, rows, column_format)
    assert ours == theirs


def test_a_text_shaped_like_rich_text_markup_is_escaped_not_let_in(tmp_path: Path) -> None:
    text = '<r></r></is></c><c r="Z9" t="inlineStr"><is><t>injected</t></is></c><r></r>'
    ours = _sheet_xml(tmp_path / "ours.xlsx", RowWriter, [["h"], [text]], False)
    theirs = _sheet_xml(tmp_path / "theirs.xlsx", None, [["h"], [text]], False)
    assert b'<c r="Z9"' in theirs and b'<c r="Z9"' not in ours  # the stock writer lets the cell in
    assert b"&lt;r&gt;&lt;/r&gt;&lt;/is&gt;" in ours


def test_the_escapes_it_checks_for_are_xlsxwriters() -> None:
    """The shortcut ``_CONTROL_ESCAPED`` (skip xlsxwriter's escaping when nothing matches) covers
    every pattern xlsxwriter's own escaping changes."""
    patterns = [xlsxwriter.xmlwriter.re_control_chars_1.pattern, xlsxwriter.xmlwriter.re_control_chars_2.pattern]
    for char in map(chr, [*range(0, 0x80), 0xFFFE, 0xFFFF]):
        changed = xlsxwriter.worksheet.Worksheet._escape_control_characters(f"a{char}b") != f"a{char}b"
        assert changed == bool(_CONTROL_ESCAPED.search(f"a{char}b")), (repr(char), patterns)
    assert _CONTROL_ESCAPED.search("_x00aF_") and re.search(patterns[0], "_x00aF_")
