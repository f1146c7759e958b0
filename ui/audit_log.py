"""Audit log: every change, filterable by date, person, table and record (a case ID, a user or
staff name finds every entry about it); times in the facility's zone; exportable."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
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

from app.domain.wording import table_words
from app.services import audit_log
from app.services.facility import facility_zone
from app.storage.database import Database
from ui.as_of import AsOf
from ui.enrollment import DateFilter, months_before
from ui.flow_layout import FlowLayout
from ui.save_dialog import ask_save_path
from ui.workers import run_in_background

PAGE = 1000


class AuditLogPage(QWidget):
    def __init__(self, db: Database, as_of: AsOf | None = None) -> None:
        """``as_of`` is the window's shared date: the date range offered by default is the month up
        to it, like every other screen that looks at a period."""
        super().__init__()
        self.db = db
        self.as_of = as_of if as_of is not None else AsOf()
        self.user = QComboBox()
        self.table_filter = QComboBox()
        self.record = QLineEdit()
        self.record.setMinimumWidth(150)  # typed in, never squeezed to nothing
        self.record.setPlaceholderText("Record (case ID, user, staff ID or name, …)")
        day = self.as_of.day
        self.date_from = DateFilter("From", months_before(day, 1))
        self.date_to = DateFilter("to", day)
        self.export_button = QPushButton("Export…")
        self.count = QLabel()
        self.zone = facility_zone(db)
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels([audit_log.when_heading(self.zone), *audit_log.EXPORT_HEADERS])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for col, width in enumerate((170, 110, 70, 140, 220)):
            self.table.setColumnWidth(col, width)
        filters = FlowLayout()  # wraps on a narrow window
        for w in (self.user, self.table_filter, self.record, self.date_from, self.date_to, self.export_button):
            filters.addWidget(w)
        top = QHBoxLayout()
        top.addWidget(QLabel("<h2>Audit log</h2>"))
        top.addStretch(1)
        top.addWidget(self.count)
        self.integrity = QLabel("Checking that no entry was changed…")
        self.integrity.setObjectName("audit_integrity")
        self.integrity.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.integrity)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        self.load_choices()
        for signal in (self.user.currentIndexChanged, self.table_filter.currentIndexChanged, self.record.textChanged,
                       self.date_from.changed, self.date_to.changed):
            signal.connect(self.refresh)
        self.export_button.clicked.connect(self.export)
        self.as_of.changed.connect(self._as_of_changed)
        self.refresh()
        self.check_integrity()

    def check_integrity(self) -> None:
        """Walk the hash chain and check every signature in the background (``log_integrity``)."""
        from app.services.audit_log import log_integrity

        run_in_background(lambda: log_integrity(self.db), self._integrity_known, self._integrity_unknown, owner=self)

    def _integrity_known(self, report) -> None:  # type: ignore[no-untyped-def]
        self.integrity.setToolTip("\n".join(report.warnings))
        if report.intact:
            self.integrity.setText(f"✓ The audit log is intact: each of its {report.entries:,} entries is linked to "
                                   f"the one before it, and {report.signed:,} changes are signed by the people who "
                                   "made them, so none was changed, removed or written in another's name.")
            self.integrity.setStyleSheet("color: #2e7d32;")
        else:
            more = f" (and {len(report.problems) - 1} more)" if len(report.problems) > 1 else ""
            self.integrity.setText(f"⚠ The audit log was altered outside the app: {report.problems[0]}{more}. Tell "
                                   "your administrator (mroqc-desk verify names every problem).")
            self.integrity.setStyleSheet("color: #b22222; font-weight: bold;")

    def _integrity_unknown(self, exc: Exception) -> None:
        self.integrity.setText(f"The audit log could not be checked: {exc}")

    def _as_of_changed(self, day: dt.date) -> None:
        self.date_from.follow(months_before(day, 1))
        self.date_to.follow(day)

    def reload(self) -> None:
        zone = facility_zone(self.db)  # Settings may have changed it
        if zone != self.zone:
            self.zone = zone
            self.table.setHorizontalHeaderItem(0, QTableWidgetItem(audit_log.when_heading(zone)))
        self.load_choices()
        self.refresh()
        self.check_integrity()

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
        self.table_filter.addItem("Every kind of record", None)
        for t in tables:
            self.table_filter.addItem(table_words(t).capitalize(), t)
        self.user.setCurrentIndex(max(self.user.findData(chosen_user), 0))
        self.table_filter.setCurrentIndex(max(self.table_filter.findData(chosen_table), 0))
        for box in (self.user, self.table_filter):
            box.blockSignals(False)

    def query(self) -> audit_log.AuditQuery:
        return audit_log.AuditQuery(self.date_from.value(), self.date_to.value(), self.user.currentData(),
                                    self.table_filter.currentData(), self.record.text(), self.zone)

    def refresh(self) -> None:
        query = self.query()
        total = audit_log.count_entries(self.db, query)
        entries = audit_log.fetch_entries(self.db, query, 0, PAGE)
        self.table.setRowCount(len(entries))
        for r, e in enumerate(entries):
            for c, text in enumerate(audit_log.entry_row(e, self.zone)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(r, c, item)
        shown = f" (newest {PAGE:,} shown; narrow the filters or export)" if total > PAGE else ""
        self.count.setText(f"{total:,} change(s){shown}")

    def export(self) -> None:
        suggested = f"audit-log-{self.as_of.current_day().isoformat()}.xlsx"
        choice = ask_save_path(self, "audit-log", "Export audit log", suggested,
                               "Excel (*.xlsx);;CSV (*.csv);;JSON (*.json)")
        if choice is not None:
            self.export_to(choice.path)

    def export_to(self, out: Path) -> int:
        try:
            return audit_log.export_entries(self.db, self.query(), out)
        except ValueError as exc:
            QMessageBox.warning(self, "Audit log not exported", str(exc))
            return 0
