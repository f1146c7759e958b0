"""An .xlsx export is previewed before it is saved: the first rows of each sheet as the file holds
them (de-identified as the export is), the row counts, Save / Cancel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog, QLabel, QMessageBox

from app.domain.permissions import NotAllowed
from app.exports.preview import PREVIEW_ROWS, cell_text, preview_export, previewable
from tests.gui.conftest import AS_OF, settle
from tests.support import as_role
from ui.as_of import AsOf
from ui.data_transfer import DataTransferPanel
from ui.export_preview import ExportPreviewDialog, rows_caption
from ui.reports import ReportsPage


def file_rows(path: Path, sheet: str | None = None) -> list[tuple[Any, ...]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        rows = book[sheet] if sheet else book.worksheets[0]
        return [tuple(r) for r in rows.iter_rows(values_only=True)]
    finally:
        book.close()


def save_to(monkeypatch: pytest.MonkeyPatch, path: Path) -> list[tuple[Any, ...]]:
    asked: list[tuple[Any, ...]] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda *a, **k: asked.append(a) or (str(path), "Excel (*.xlsx)"))
    return asked


def test_the_preview_holds_what_the_file_holds(demo_db, tmp_path) -> None:
    from app.exports.service import export_kind

    sheets = preview_export(demo_db, "enrollment", year=2025, as_of=AS_OF, limit=5)
    out = tmp_path / "enrollment.xlsx"
    written = export_kind(demo_db, "enrollment", out, year=2025, as_of=AS_OF)
    in_file = file_rows(out)
    assert len(sheets) == 1 and sheets[0].total == written > 5 and sheets[0].shown == 5
    assert tuple(in_file[0]) == sheets[0].headers
    for shown, kept in zip(sheets[0].rows, in_file[1:6], strict=True):
        assert [cell_text(v) for v in shown] == [cell_text(v.date() if hasattr(v, "date") else v) for v in kept]


def test_the_preview_is_de_identified_as_the_export(demo_db) -> None:
    plain = preview_export(demo_db, "workbook", year=None, as_of=AS_OF, limit=3)
    cases = next(s for s in plain if s.name == "cases")
    assert not {"mrn", "name", "birth_date"} & set(cases.headers)
    full = next(s for s in preview_export(demo_db, "workbook", year=None, as_of=AS_OF, identified=True, limit=3)
                if s.name == "cases")
    assert {"mrn", "name", "birth_date"} <= set(full.headers)
    # a reviewer may export de-identified only: the preview asks as the export does
    with pytest.raises(NotAllowed):
        preview_export(as_role(demo_db, "reviewer"), "workbook", year=None, as_of=AS_OF, identified=True)


def test_only_spreadsheets_are_previewed_as_rows() -> None:
    assert previewable("enrollment") and previewable("workbook") and previewable("finding-cases")
    assert not previewable("calendar") and not previewable("audit-pdf") and not previewable("facility-certificate")


def test_captions_say_how_much_is_shown(demo_db) -> None:
    sheet = preview_export(demo_db, "enrollment", year=2025, as_of=AS_OF, limit=3)[0]
    assert rows_caption(sheet) == f"The first 3 of {sheet.total:,} rows."
    empty = preview_export(demo_db, "enrollment", year=2001, as_of=AS_OF.replace(year=2001))[0]
    assert empty.total == 0 and empty.empty_note in rows_caption(empty)


def test_reports_previews_a_spreadsheet_then_saves_it(qtbot, demo_db, tmp_path, monkeypatch) -> None:
    page = ReportsPage(demo_db, AsOf(AS_OF))
    qtbot.addWidget(page)
    page.kind.setCurrentIndex(page.kind.findData("enrollment"))
    page.year.setValue(2025)
    assert page.preview_button.isEnabled()
    page.preview_button.click()
    settle(qtbot)
    qtbot.waitUntil(lambda: page.sheet_preview is not None, timeout=30000)
    dialog = page.sheet_preview
    assert isinstance(dialog, ExportPreviewDialog) and dialog.isVisible()
    sheet = dialog.sheets[0]
    assert dialog.tables[0].model().rowCount() == min(sheet.total, PREVIEW_ROWS)
    assert dialog.tables[0].model().headerData(0, Qt.Orientation.Horizontal) == sheet.headers[0]
    assert dialog.tables[0].model().headerData(0, Qt.Orientation.Vertical) == "2"  # the spreadsheet's row
    assert "De-identified" in dialog.findChild(QLabel, "preview-summary").text()
    out = tmp_path / "enrollment-2025.xlsx"
    asked = save_to(monkeypatch, out)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    settle(qtbot)
    assert asked and out.exists() and len(file_rows(out)) == sheet.total + 1
    assert page.sheet_preview is None


def test_cancel_writes_nothing(qtbot, demo_db, monkeypatch) -> None:
    page = ReportsPage(demo_db, AsOf(AS_OF))
    qtbot.addWidget(page)
    page.kind.setCurrentIndex(page.kind.findData("dosimetry"))
    page.make_preview()
    settle(qtbot)
    qtbot.waitUntil(lambda: page.sheet_preview is not None, timeout=30000)
    asked = save_to(monkeypatch, Path("/nonexistent/x.xlsx"))
    page.sheet_preview.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    assert asked == [] and page.sheet_preview is None


def test_the_workbook_is_previewed_in_settings(qtbot, demo_db, tmp_path, monkeypatch) -> None:
    panel = DataTransferPanel(demo_db)
    qtbot.addWidget(panel)
    panel.preview_button.click()
    settle(qtbot)
    qtbot.waitUntil(lambda: panel.sheet_preview is not None, timeout=60000)
    dialog = panel.sheet_preview
    names = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert names[0].startswith("facility") and any(n.startswith("cases (") for n in names)
    out = tmp_path / "book.xlsx"
    save_to(monkeypatch, out)
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
    dialog.accept()
    settle(qtbot)
    qtbot.waitUntil(out.exists, timeout=60000)
