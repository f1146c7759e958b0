"""The rows of a spreadsheet export, read before saving it (as the self-audit PDF is previewed).

One tab per sheet, its first rows as the file holds them (``app.exports.preview``) and how many
rows it holds; Save goes on to the save dialog, Cancel writes nothing. The rows live in this
dialog only: an identified preview never lands in a temporary file.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.exports.preview import SheetPreview, cell_text, preview_export
from app.storage.database import Database
from app.storage.tabular import ExportError


def rows_caption(sheet: SheetPreview) -> str:
    """What the tab holds against what the file will ("the first 200 of 5,321 rows")."""
    if sheet.total == 0:
        return f"No rows. The file says: \u201c{sheet.empty_note}\u201d" if sheet.empty_note else "No rows."
    if sheet.shown < sheet.total:
        return f"The first {sheet.shown:,} of {sheet.total:,} rows."
    return f"All {sheet.total:,} row{'s' if sheet.total != 1 else ''}."


def sheet_model(sheet: SheetPreview, parent: QWidget | None = None) -> QStandardItemModel:
    model = QStandardItemModel(len(sheet.rows), len(sheet.headers), parent)
    model.setHorizontalHeaderLabels(list(sheet.headers))
    # numbered as the spreadsheet numbers them: its header is row 1, the first record row 2
    model.setVerticalHeaderLabels([str(r + 2) for r in range(len(sheet.rows))])
    for r, row in enumerate(sheet.rows):
        for c, value in enumerate(row[: len(sheet.headers)]):
            item = QStandardItem(cell_text(value))
            item.setEditable(False)
            if isinstance(value, int | float) and not isinstance(value, bool):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            model.setItem(r, c, item)
    return model


class ExportPreviewDialog(QDialog):
    """``exec()`` is true when the user chose Save."""

    def __init__(self, title: str, sheets: list[SheetPreview], identified: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Preview: {title}")
        self.sheets = sheets
        total = sum(s.total for s in sheets)
        summary = QLabel(
            f"<b>{title}</b>: {len(sheets)} sheet{'s' if len(sheets) != 1 else ''}, {total:,} rows in all. "
            + ("<b>With patient identifiers</b> (MRN, name, birth date): protected health information."
               if identified else "De-identified: no MRN, name or birth date."))
        summary.setWordWrap(True)
        summary.setObjectName("preview-summary")
        self.tabs = QTabWidget()
        self.tables: list[QTableView] = []
        for sheet in sheets:
            page = QWidget()
            caption = QLabel(rows_caption(sheet))
            caption.setObjectName("rows-caption")
            table = QTableView()
            table.setModel(sheet_model(sheet, table))
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            table.setAlternatingRowColors(True)
            table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
            table.resizeColumnsToContents()
            box = QVBoxLayout(page)
            box.addWidget(caption)
            box.addWidget(table, 1)
            self.tables.append(table)
            self.tabs.addTab(page, f"{sheet.name} ({sheet.total:,})")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText("&Save…")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.buttons)
        room = (parent or self).screen().availableGeometry()
        self.resize(min(1000, room.width() - 40), min(640, room.height() - 60))


def rows_before_saving(parent: QWidget, db: Database, kind: str, title: str, *, as_of: dt.date,
                       rule: str | None = None) -> bool:
    """A screen's own export button (Findings' work list, Dosimetry's missing list): the rows the
    file will hold, before the save dialog, as Reports and Settings show them. True when the person
    chose Save; False on Cancel (nothing written) or when the rows cannot be read (said why)."""
    try:
        sheets = preview_export(db, kind, year=None, as_of=as_of, rule=rule)
    except (ExportError, PermissionError, ValueError) as exc:
        QMessageBox.warning(parent, "Preview", str(exc))
        return False
    return bool(ExportPreviewDialog(title, sheets, False, parent).exec())
