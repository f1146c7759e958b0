"""Meetings: per meeting and required role, who covered it, holder or substitute, and the verdict."""

from __future__ import annotations

import dataclasses
import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain import fields, records
from app.domain.permissions import Permission
from app.domain.vocabulary import label
from app.domain.wording import counted
from app.rules.meetings import MeetingVerdict
from app.services import meetings as meeting_service
from app.services import staff as staff_service
from app.services.findings import meeting_verdicts, substitute_verdict
from app.services.meetings import meeting_years
from app.storage.database import Database
from ui.as_of import AsOf
from ui.date_field import shown
from ui.flow_layout import FlowLayout
from ui.record_form import RecordForm, columns_of, fields_of
from ui.record_page import RecordPage
from ui.stack_or_tabs import StackOrTabs
from ui.workers import run_in_background

HEADERS = ["Date", "Format", "Role", "Attended for the role", "Coverage", "Verdict", "Why / notes"]
COVERAGE = "Coverage of each required role and the policy verdict"
#: The coverage's tab, when the page is too short to stack it under the lists (``StackOrTabs``).
COVERAGE_TAB = "Coverage and verdicts"
#: Rows the lists of meetings and of attendance show at least, and the coverage below them.
MEETING_ROWS, COVERAGE_ROWS = 8, 5
#: The height, in rows, at which the lists and the coverage stack and each shows its rows: the
#: rows plus about nine more for the lists' button bars, the headings, table headers and scroll bars.
STACKED_LINES = MEETING_ROWS + COVERAGE_ROWS + 9
#: The coverage's columns' widths before the rows are known (the last one takes the rest);
#: a column grows to its longest text up to twice that (a longer one reads in its tooltip).
COLUMN_WIDTHS = (95, 120, 170, 220, 90, 170)
#: Above and below a line of text in a row: the lists' own row height (``ui.record_page``).
ROW_PADDING = 8


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
        # one line a row, as the lists above (a long reason reads in its tooltip): more rows in sight
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + ROW_PADDING)
        for col, width in enumerate(COLUMN_WIDTHS):
            self.table.setColumnWidth(col, width)
        self.note = QLabel()
        top = QHBoxLayout()
        top.addWidget(QLabel("<h2>Meetings and attendance</h2>"))
        top.addStretch(1)
        self.meeting_list = RecordPage(
            db, "Meetings",
            columns_of(fields.MEETING, "date", "meeting_id", "format", "title", "location"),
            lambda: [dataclasses.asdict(m) for m in meeting_service.list_meetings(db)],
            fields_of(fields.MEETING),
            lambda v, old, overwrite: meeting_service.save_meeting(
                db, v["meeting_id"], v["date"], v["format"], v["title"], v["location"],
                original_id=old["meeting_id"] if old else None, version=old["version"] if old else None, overwrite=overwrite),
            lambda r: meeting_service.delete_meeting(db, r["meeting_id"], version=r["version"]),
            lambda v: records.validate_meeting(v["meeting_id"], v["date"], v["format"]),
            lambda r: f"the meeting of {r['date']}",
            sort=(0, Qt.SortOrder.DescendingOrder),  # the latest meeting first
            defaults=lambda: {"meeting_id": meeting_service.next_meeting_id(db, self.as_of.day), "date": self.as_of.day},
        ).require(Permission.MEETINGS)
        self.meeting_list.prepare_form = self.id_follows_date
        self.attendance = RecordPage(
            db, "Attendance",  # short: the two lists share one row of buttons at 1366 px
            columns_of(fields.ATTENDANCE, "role", ("name", "Person"), "ce_credit"),
            self.attendance_rows,
            lambda: fields_of(fields.ATTENDANCE, "role", "staff_id", "ce_credit", choices={"staff_id": tuple(
                (f"{p.name} ({label(p.profession)})", p.staff_id) for p in staff_service.list_staff(db))}),
            lambda v, old, overwrite: meeting_service.save_attendance(
                db, self.current_meeting() or "", v["role"], v["staff_id"], v["ce_credit"],
                attendance_id=old["id"] if old else None, version=old["version"] if old else None, overwrite=overwrite),
            lambda r: meeting_service.delete_attendance(db, r["id"], version=r["version"]),
            lambda v: records.validate_attendance(v["role"], v["staff_id"], v["ce_credit"]),
            lambda r: f"{r['name']}'s attendance",
            advise=self.attendance_advice,
            form_title=lambda: f"attendance at {self.meeting_caption()}",
            filterable=False,  # a meeting's handful of attendees: the buttons need the room more
        ).require(Permission.MEETINGS)
        for page in (self.meeting_list, self.attendance):
            remember = page._remember

            def remember_and_judge(change, remember=remember) -> None:  # type: ignore[no-untyped-def]
                remember(change)
                self.load_years()
                self.refresh()

            page._remember = remember_and_judge  # type: ignore[method-assign]
        self.meeting_list.table.itemSelectionChanged.connect(self.meeting_changed)
        self.meeting_list.table.selectRow(0)
        editing = QSplitter()
        editing.addWidget(self.meeting_list)
        editing.addWidget(self.attendance)
        editing.setStretchFactor(0, 3)
        editing.setStretchFactor(1, 2)
        coverage = QWidget()
        coverage_layout = QVBoxLayout(coverage)
        coverage_layout.setContentsMargins(0, 0, 0, 0)
        heading = FlowLayout()  # the year the coverage is of, beside its heading: one line where it fits
        heading.addWidget(QLabel(f"<b>{COVERAGE}</b>"))
        heading.addWidget(QLabel("Year"))
        heading.addWidget(self.year)
        heading.addWidget(self.note)
        self.table.setAccessibleName(COVERAGE)
        coverage_layout.addLayout(heading)
        coverage_layout.addWidget(self.table, 1)
        # the lists being edited get most of the height; a year's coverage is a dozen rows. Where
        # the height does not give both their rows (a laptop at 150 %), they are two tabs
        line = self.table.verticalHeader().defaultSectionSize()
        self.body = StackOrTabs([(editing, "Meetings and attendance"), (coverage, COVERAGE_TAB)],
                                lambda height: height >= STACKED_LINES * line, margin=line, stretch=(3, 2))
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.body, 1)
        self.load_years()
        self.year.currentIndexChanged.connect(self.refresh)
        self.meeting_changed()
        self.refresh()

    def id_follows_date(self, form: RecordForm, record: dict | None) -> None:
        """A new meeting's offered ID follows the date typed (``M-2026-10-15``), until the person
        types an ID of their own: the ID is offered from the as-of date before the real one is known."""
        if record is not None:
            return
        ident, day = form.widgets["meeting_id"], form.widgets["date"]
        offered = [ident.text()]  # type: ignore[attr-defined]

        def follow(new_day: dt.date | None) -> None:
            if new_day is None or ident.text() != offered[0]:  # type: ignore[attr-defined]
                return
            offered[0] = meeting_service.next_meeting_id(self.db, new_day)
            ident.setText(offered[0])  # type: ignore[attr-defined]

        day.dateChanged.connect(follow)  # type: ignore[attr-defined]

    def attendance_advice(self, values: dict) -> str:
        """What the attendance policy says of the person standing in, and the data-quality rules on
        the attendance (recorded for a meeting not held yet at the as-of date)."""
        from app.services.quality import check_attendance, form_words

        verdict = substitute_verdict(self.db, self.current_meeting(), values["role"], values["staff_id"])
        day = self.as_of.day
        quality = form_words(check_attendance(self.db, self.current_meeting(), values["role"], values["staff_id"], day), day)
        return "\n\n".join(part for part in (verdict, quality) if part)

    def select_meeting(self, date_text: str) -> None:
        """Select the meeting held on ``date_text`` (ISO) and show its year's verdicts."""
        self.body.show_pane(0)  # the list of meetings, when the coverage is a tab of its own
        year_index = self.year.findData(int(date_text[:4]))
        if year_index >= 0:
            self.year.setCurrentIndex(year_index)
        table = self.meeting_list.table
        for row in range(table.rowCount()):
            if table.item(row, 0).text() == date_text:
                table.selectRow(row)
                break

    def meeting_caption(self) -> str:
        record = self.meeting_list.selected() if hasattr(self, "meeting_list") else None
        if not record:
            return "no meeting selected"
        return f"{record['meeting_id']} · {shown(record['date'])} · {label(record['format'])}"

    def reload(self) -> None:
        """Meetings, their attendance and the verdicts, as they now are (and at the as-of date)."""
        self.meeting_list.refresh()
        self.meeting_changed()
        self.refresh()

    def meeting_changed(self) -> None:
        """Show whose attendance is listed; attendance can only be added to a chosen meeting."""
        self.attendance.refresh()
        chosen = self.current_meeting() is not None
        self.attendance.set_note(self.meeting_caption() if chosen else "Select a meeting on the left.")
        self.attendance.add_button.setEnabled(chosen)

    def current_meeting(self) -> str | None:
        record = self.meeting_list.selected() if hasattr(self, "meeting_list") else None
        return record["meeting_id"] if record else None

    def attendance_rows(self) -> list[dict]:
        meeting_id = self.current_meeting()
        return [dataclasses.asdict(a) for a in meeting_service.list_attendance(self.db, meeting_id)] if meeting_id else []

    def load_years(self) -> None:
        """The years that have meetings; kept up to date as meetings are added, so the first
        meeting of a new facility (or of a new year) gets its coverage shown at once."""
        previous = self.year.currentData()
        years = meeting_years(self.db) or [self.as_of.day.year]
        self.year.blockSignals(True)
        self.year.clear()
        for y in years:
            self.year.addItem(str(y), y)
        for wanted in (previous, self.as_of.day.year, years[0]):  # years are newest first
            index = self.year.findData(wanted)
            if wanted is not None and index >= 0:
                self.year.setCurrentIndex(index)
                break
        self.year.blockSignals(False)

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
        violations = 0
        for r, (mv, role, rv) in enumerate(rows):
            verdict, reasons = meeting_service.verdict_words(mv, rv)  # as the attendance export says it
            violations += verdict.startswith("VIOLATION")
            values = [shown(mv.meeting.date), label(mv.meeting.format), label(role),
                      "; ".join(a.name for a in rv.attendees) or "—", rv.coverage, verdict, reasons]
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if verdict.startswith("VIOLATION"):
                    item.setFont(bold)
                self.table.setItem(r, c, item)
        for col, width in enumerate(COLUMN_WIDTHS):  # "Virtual, by webinar" whole, on its one line
            self.table.setColumnWidth(col, min(max(width, self.table.sizeHintForColumn(col)), 2 * width))
        self.note.setText(f"{len(verdicts)} meeting(s) of the year up to {shown(self.as_of.day)}.")
        # a tab says what it holds: the year, and its violations, which are the point of looking
        self.body.set_title(1, f"{COVERAGE_TAB}, {self.year.currentText()}"
                            + (f" · {counted(violations, 'violation')}" if violations else ""))
        self.table.setSortingEnabled(False)
