"""A finding's evidence as the coordinator reads it: its sentence, what to do next, the facts, and
the cases behind it as a real table (sortable; Enter or double-click opens the case).

Drawn from ``app.reports.evidence.present``, the presentation the self-audit PDF draws too.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.reports.evidence import EvidenceTable, EvidenceView, present

SORT = Qt.ItemDataRole.UserRole + 1
CASE = Qt.ItemDataRole.UserRole + 2


def view_html(view: EvidenceView) -> str:
    facts = "".join(f"<tr><td valign='top'><b>{html.escape(name)}</b>&nbsp;&nbsp;</td>"
                    f"<td>{html.escape(text).replace(chr(10), '<br/>')}</td></tr>" for name, text in view.facts)
    step = f"<p><b>What to do next:</b> {html.escape(view.next_step)}</p>" if view.next_step else ""
    return (f"<h3>{html.escape(view.heading)}</h3><p>{html.escape(view.message)}</p>{step}"
            + (f"<table>{facts}</table>" if facts else ""))


def table_model(table: EvidenceTable, parent: QWidget | None = None) -> QStandardItemModel:
    """The records as rows; sorted by their raw values (ISO dates and numbers sort as such)."""
    model = QStandardItemModel(len(table.records), len(table.columns), parent)
    model.setHorizontalHeaderLabels(list(table.headers))
    model.setSortRole(SORT)
    for r, (record, texts) in enumerate(zip(table.records, table.texts(), strict=True)):
        for c, column in enumerate(table.columns):
            raw = record.get(column)
            item = QStandardItem(texts[c])
            item.setEditable(False)
            item.setData(raw if isinstance(raw, int | float) and not isinstance(raw, bool) else str(raw or ""), SORT)
            item.setData(str(record.get("case_id") or ""), CASE)
            model.setItem(r, c, item)
    return model


class CaseTable(QTableView):
    """The evidence table: Enter (or Return) opens the current row, as a double-click does."""

    activated_row = Signal(int)

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 (Qt's name)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.activated_row.emit(self.currentIndex().row())
            return
        super().keyPressEvent(event)


class EvidencePanel(QWidget):
    """The selected finding's evidence; ``open_case`` when a case row is opened."""

    open_case = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view: EvidenceView | None = None
        self.text = QTextBrowser()
        self.caption = QLabel()
        self.table = CaseTable()
        self.table.setObjectName("evidence-table")
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.doubleClicked.connect(lambda index: self._open(index.row()))
        self.table.activated_row.connect(self._open)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text, 2)
        layout.addWidget(self.caption)
        layout.addWidget(self.table, 3)
        self.show_finding(None)

    def show_finding(self, finding: dict[str, Any] | None) -> None:
        self.view = present(finding) if finding else None
        if self.view is None:
            self.text.setHtml("<i>Select a finding to see why it fired.</i>")
        else:
            self.text.setHtml(view_html(self.view))
        table = self.shown_table
        self.table.setModel(table_model(table, self.table) if table else QStandardItemModel(self.table))
        self.table.setVisible(table is not None)
        self.caption.setVisible(table is not None)
        self.caption.setText(f"<b>{html.escape(table.caption)}</b>"
                             + (" — Enter or double-click opens a case" if table and table.case_ids else "")
                             if table else "")
        if table:
            self.table.resizeColumnsToContents()

    @property
    def shown_table(self) -> EvidenceTable | None:
        """The table shown: the cases to work through, else the first table the evidence has."""
        if self.view is None:
            return None
        return self.view.case_table or (self.view.tables[0] if self.view.tables else None)

    @property
    def case_ids(self) -> list[str]:
        table = self.shown_table
        return table.case_ids if table else []

    def _open(self, row: int) -> None:
        model = self.table.model()
        case_id = model.index(row, 0).data(CASE) if model is not None else None
        if case_id:
            self.open_case.emit(str(case_id))
