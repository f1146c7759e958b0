"""Audit log: every change, filterable by date, person, table and record; exportable."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.exports.tabular import Sheet, write_table
from app.services import audit_log
from app.storage.database import Database
from ui.as_of import AsOf
from ui.enrollment import DateFilter, to_qdate

PAGE = 1000


class AuditLogPage(QWidget):
    def __init__(self, db: Database, as_of: AsOf | None = None) -> None:
        """``as_of`` is the window's shared date: the date range offered by default is the month up
        to it, like every other screen that looks at a period."""
        super().__init__()
        self.db = db
        self.as_of = as_of if as_of is not None else AsOf()
        self._shown_once = False
        self.user = QComboBox()
        self.table_filter = QComboBox()
        self.record = QLineEdit()
        self.record.setPlaceholderText("Record (case ID, staff ID, …)")
        day = to_qdate(self.as_of.day)
        self.date_from = DateFilter("From", day.addMonths(-1))
        self.date_to = DateFilter("to", day)
        self.export_button = QPushButton("Export…")
        self.count = QLabel()
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(["When (UTC)", "Who", "Change", "Table", "Record", "Before → after"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for col, width in enumerate((150, 110, 70, 140, 150)):
            self.table.setColumnWidth(col, width)
        filters = QHBoxLayout()
        for w in (self.user, self.table_filter, self.record, self.date_from, self.date_to, self.export_button):
            filters.addWidget(w)
        top = QHBoxLayout()
        top.addWidget(QLabel("<h2>Audit log</h2>"))
        top.addStretch(1)
        top.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        self.load_choices()
        for signal in (self.user.currentIndexChanged, self.table_filter.currentIndexChanged, self.record.textChanged,
                       self.date_from.changed, self.date_to.changed):
            signal.connect(self.refresh)
        self.export_button.clicked.connect(self.export)
        self.as_of.changed.connect(self._as_of_changed)
        self.refresh()

    def _as_of_changed(self, day: dt.date) -> None:
        self.date_from.follow(to_qdate(day).addMonths(-1))
        self.date_to.follow(to_qdate(day))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        """Edits made on other screens since this page was built show up when the user comes back."""
        super().showEvent(event)
        if self._shown_once and not event.spontaneous():  # not on every restore of a minimised window
            self.load_choices()
            self.refresh()
        self._shown_once = True

    def load_choices(self) -> None:
        """Fill the person and table filters, keeping what the user had chosen."""
        users, tables = audit_log.filter_choices(self.db)
        chosen_user, chosen_table = self.user.currentData(), self.table_filter.currentData()
        for box in (self.user, self.table_filter):
            box.blockSignals(True)
        self.user.clear()
        self.user.addItem("Everyone", None)
        for u in users:
            self.user.addItem(u, u)
        self.table_filter.clear()
        self.table_filter.addItem("Every table", None)
        for t in tables:
            self.table_filter.addItem(t, t)
        self.user.setCurrentIndex(max(self.user.findData(chosen_user), 0))
        self.table_filter.setCurrentIndex(max(self.table_filter.findData(chosen_table), 0))
        for box in (self.user, self.table_filter):
            box.blockSignals(False)

    def query(self) -> audit_log.AuditQuery:
        return audit_log.AuditQuery(self.date_from.value(), self.date_to.value(), self.user.currentData(),
                                    self.table_filter.currentData(), self.record.text())

    def refresh(self) -> None:
        query = self.query()
        total = audit_log.count_entries(self.db, query)
        entries = audit_log.fetch_entries(self.db, query, 0, PAGE)
        self.table.setRowCount(len(entries))
        for r, e in enumerate(entries):
            for c, text in enumerate([e["at"].isoformat(sep=" "), e["user"], e["action"], e["table_name"], e["record_key"],
                                      audit_log.describe_change(e)]):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(r, c, item)
        shown = f" (newest {PAGE:,} shown; narrow the filters or export)" if total > PAGE else ""
        self.count.setText(f"{total:,} change(s){shown}")

    def export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export audit log", f"audit-log-{dt.date.today().isoformat()}.xlsx",
                                              "Excel (*.xlsx);;CSV (*.csv)")
        if name:
            self.export_to(Path(name))

    def export_to(self, out: Path) -> int:
        query = self.query()
        total = audit_log.count_entries(self.db, query)
        rows = ([e["at"], e["user"], e["action"], e["table_name"], e["record_key"], audit_log.describe_change(e)]
                for offset in range(0, total, 5000) for e in audit_log.fetch_entries(self.db, query, offset, 5000))
        try:
            return write_table(out, [Sheet("audit log", ["when_utc", "who", "change", "table", "record", "before_after"], rows)])
        except ValueError as exc:
            QMessageBox.warning(self, "Audit log not exported", str(exc))
            return 0
