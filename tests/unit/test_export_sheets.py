"""Every spreadsheet export declares its sheets once (``app.exports.sheets``): the writer writes
them and the preview shows them, so a new spreadsheet kind cannot lack its preview."""

from __future__ import annotations

import inspect

from app.domain.export_kinds import KIND_INFO
from app.exports import writers
from app.exports.preview import previewable
from app.exports.sheets import SHEET_KINDS


def test_every_spreadsheet_kind_has_its_sheets() -> None:
    spreadsheets = {k.name for k in KIND_INFO if k.writer is not None and "*.xlsx" in k.files}
    assert spreadsheets == set(SHEET_KINDS)
    assert all(previewable(name) for name in spreadsheets)


def test_the_table_writers_write_those_sheets() -> None:
    for kind in KIND_INFO:
        if kind.name in SHEET_KINDS and kind.name != "workbook":  # the workbook also writes .zip and folders
            module, _, name = (kind.writer or "").partition(":")
            assert module == writers.__name__
            source = inspect.getsource(getattr(writers, name))
            assert f'_sheets("{kind.name}"' in source, kind.name
