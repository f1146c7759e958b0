"""Meetings: per meeting and required role, who covered it, holder or substitute, and the verdict."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.vocabulary import label
from app.rules.meetings import MeetingVerdict
from app.services.findings import meeting_verdicts
from app.services.meetings import meeting_years
from app.storage.database import Database
from ui.as_of import AsOf
from ui.workers import run_in_background

HEADERS = ["Date", "Format", "Role", "Attended for the role", "Coverage", "Verdict", "Why / notes"]


class MeetingsPage(QWidget):
    def __init__(self, db: Database, as_of: AsOf) -> None:
        super().__init__()
        self.db = db
        self.as_of = as_of
        self.year = QComboBox()
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for col, width in enumerate((95, 120, 170, 220, 90, 170)):
            self.table.setColumnWidth(col, width)
        self.note = QLabel()
        top = QHBoxLayout()
        top.addWidget(QLabel("<h2>Meetings and attendance</h2>"))
        top.addStretch(1)
        top.addWidget(QLabel("Year"))
        top.addWidget(self.year)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        self.load_years()
        self.year.currentIndexChanged.connect(self.refresh)
        as_of.changed.connect(lambda _d: self.refresh())
        self.refresh()

    def load_years(self) -> None:
        self.year.clear()
        years = meeting_years(self.db) or [self.as_of.day.year]
        for y in years:
            self.year.addItem(str(y), y)
        index = self.year.findData(self.as_of.day.year)
        self.year.setCurrentIndex(max(index, 0))

    def refresh(self) -> None:
        year = self.year.currentData()
        if year is None:
            return
        day = self.as_of.day
        run_in_background(lambda: meeting_verdicts(self.db, year, day), self.show)

    def show(self, verdicts: list[MeetingVerdict]) -> None:  # type: ignore[override]
        rows = [(mv, role, rv) for mv in verdicts for role, rv in mv.roles.items()]
        self.table.setRowCount(len(rows))
        bold = QFont()
        bold.setBold(True)
        for r, (mv, role, rv) in enumerate(rows):
            reasons = [f"{a.name}: {a.reason}" for a in rv.attendees if a.reason]
            reasons += [n for a in rv.attendees for n in a.notes]
            if any(a.staff_id in mv.double_roles for a in rv.attendees):
                reasons.append("covering two roles at this meeting")
            verdict = rv.verdict if not reasons or rv.covered else f"VIOLATION: {rv.verdict}"
            if not rv.attendees:
                verdict = "VIOLATION: nobody attended"
            values = [mv.meeting.date.isoformat(), label(mv.meeting.format), label(role),
                      "; ".join(a.name for a in rv.attendees) or "—", rv.coverage, verdict, "; ".join(reasons)]
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if verdict.startswith("VIOLATION"):
                    item.setFont(bold)
                self.table.setItem(r, c, item)
        self.table.resizeRowsToContents()
        self.note.setText(f"{len(verdicts)} meeting(s) up to {self.as_of.day.isoformat()}. "
                          "Entering and editing attendance comes in a coming version; import it with the workbook.")
        self.table.setSortingEnabled(False)
