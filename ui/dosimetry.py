"""Dosimetry: physics leads log submissions and see which enrolled cases still need one.

The missing list is a physics lead's work list: Enter or a double-click there opens "Add
submission" for that case (the register, where a physics lead can do nothing, is one button
away); it is filtered by project and by when the case was enrolled (this year and last by
default, not cases enrolled years ago). A new submission is submitted by the person signed in
when their account is linked to their staff record, else by nobody until chosen: never another
physicist by default."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain import fields
from app.domain.permissions import Permission
from app.domain.records import DosimetryRecord, format_metrics, parse_metrics, validate_dosimetry
from app.domain.vocabulary import label
from app.domain.wording import metric_words, metrics_words
from app.services import dosimetry, staff
from app.services.register import DOSIMETRY_PROJECTS
from app.storage.database import Database
from ui.as_of import AsOf, follow_when_shown
from ui.date_field import DateItem, date_format, shown
from ui.permissions import gate
from ui.record_form import RecordForm, columns_of, fields_of
from ui.record_page import RecordPage, row_of

SHOWN_SUBMISSIONS = 5000  # dosimetry.list_submissions' default limit
#: Submissions changed since the list was read that are read again one by one; more, and the
#: whole list is read again (an import, another workstation's afternoon of entries).
REREAD_AT_MOST = 200


def _record(v: dict) -> DosimetryRecord:
    try:
        metrics = parse_metrics(v.get("metrics") or "")
    except ValueError:
        metrics = {"": -1.0}  # reported as a problem by the validator
    return DosimetryRecord(v["case_id"], v["submitted_on"], v["staff_id"] or "", v["technique"] or "",
                           v["total_dose_gy"] or None, v["fractions"] or None, metrics)


def _problems(v: dict) -> dict[str, str]:
    problems = validate_dosimetry(_record(v))
    try:
        parse_metrics(v.get("metrics") or "")
    except ValueError as exc:
        problems["metrics"] = f"each metric needs a name and a number ({exc})"
    return problems


#: How many of the cases without dosimetry the table lists (the oldest); the export has them all.
MISSING_SHOWN = 2000
#: The missing list's periods: (words, years back from the as-of date's year; None: any time).
MISSING_PERIODS = (("Enrolled this year or last", 1), ("Enrolled this year", 0), ("Enrolled any time", None))
#: What "Submitted by" offers first: nobody, until the person signed in (if linked) or a choice.
NOBODY_CHOSEN = ("(choose who submitted)", "")


class MetricsTable(QTableWidget):
    """A submission's metrics typed as a small table (a metric, its value; a blank row for the
    next), instead of ``name=value;…`` text: it writes that text into the form's own metrics
    field, so the form checks, saves and asks before discarding it as any other field."""

    def __init__(self, field: QLineEdit, parent: QWidget | None = None) -> None:
        super().__init__(0, 3, parent)
        self.field = field
        self.setHorizontalHeaderLabels(["Metric", "Value", "In words"])
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setStretchLastSection(True)
        self.setToolTip("One metric a row: its name (such as mean_heart_dose_gy) and its value; a new row appears "
                        "as you fill the last")
        try:
            metrics = parse_metrics(field.text())
        except ValueError:
            metrics = {}
        self._filling = True
        for name, value in metrics.items():
            self._add_row(name, f"{value:g}")
        self._add_row("", "")
        self._filling = False
        self.setMinimumHeight(self.verticalHeader().defaultSectionSize() * 4 + self.horizontalHeader().height())
        self.itemChanged.connect(self._changed)

    def _add_row(self, name: str, value: str) -> None:
        row = self.rowCount()
        self.insertRow(row)
        self.setItem(row, 0, QTableWidgetItem(name))
        self.setItem(row, 1, QTableWidgetItem(value))
        words = QTableWidgetItem(metric_words(name) if name else "")
        words.setFlags(words.flags() & ~Qt.ItemFlag.ItemIsEditable)
        self.setItem(row, 2, words)

    def pairs(self) -> list[tuple[str, str]]:
        """(name, value) of each row with either typed."""
        rows = []
        for r in range(self.rowCount()):
            name, value = (self.item(r, c).text().strip() if self.item(r, c) else "" for c in (0, 1))
            if name or value:
                rows.append((name, value))
        return rows

    def _changed(self, item: QTableWidgetItem) -> None:
        if self._filling:
            return
        self._filling = True
        if item.column() == 0:
            self.item(item.row(), 2).setText(metric_words(item.text().strip()) if item.text().strip() else "")
        last = self.rowCount() - 1
        if any(self.item(last, c) and self.item(last, c).text().strip() for c in (0, 1)):
            self._add_row("", "")
        self._filling = False
        self.field.setText(";".join(f"{name}={value}" for name, value in self.pairs()))


def metrics_as_table(form: RecordForm, _record: dict | None) -> None:
    """Put a ``MetricsTable`` where the form's metrics text field was (the field stays, hidden:
    the table writes into it)."""
    field = form.widgets.get("metrics")
    layout = form.findChild(QFormLayout)
    if not isinstance(field, QLineEdit) or layout is None:
        return
    row, _role = layout.getWidgetPosition(field)
    if row < 0:
        return
    taken = layout.takeRow(row)
    caption = taken.labelItem.widget() if taken.labelItem is not None else None
    field.hide()
    form.metrics_table = MetricsTable(field, form)  # type: ignore[attr-defined]
    layout.insertRow(row, caption, form.metrics_table)  # type: ignore[attr-defined]
    if isinstance(caption, QLabel):
        caption.setBuddy(form.metrics_table)  # type: ignore[attr-defined]


class DosimetryPage(QWidget):
    show_case = Signal(str)  # open this case in the enrollment register
    def __init__(self, db: Database, as_of: AsOf | None = None) -> None:
        """``as_of`` is the window's shared date: the missing list counts cases enrolled up to it,
        so it agrees with the findings and the self-audit for the same date."""
        super().__init__()
        self.db = db
        self.as_of = as_of if as_of is not None else AsOf()
        self.case_search = ""  # the case-ID search in SQL, used when the list is capped
        self._adding_for: str | None = None  # the case "Add submission" was chosen for in the missing list
        self._recounted_after = -1  # the list's read (``RecordPage.reads``) the missing list last followed
        #: the rows last read, by submission ID (``rows``), and the (cap, search) they were read for
        self._kept: dict[int, dict] = {}
        self._kept_for: tuple[int, str] | None = None
        #: the missing list's rows as filled in, and the date format they were written in
        self._missing_shown: tuple[list, str] | None = None
        def people() -> tuple[tuple[str, object], ...]:
            return (NOBODY_CHOSEN, *((f"{p.name} ({p.staff_id})", p.staff_id) for p in staff.list_staff(db)
                                     if p.profession in ("physicist", "dosimetrist")))

        self.list = RecordPage(
            db, "Submissions",
            columns_of(fields.DOSIMETRY, "case_id", ("project", "Project"), "submitted_on", ("staff_name", "By"),
                       "technique", "total_dose_gy", "fractions", ("per_fraction", "Gy per fraction"),
                       ("metrics_text", "Metrics")),
            self.rows,
            # the metrics are typed in a small table (MetricsTable), not as name=value;... text
            lambda: fields_of(fields.DOSIMETRY, choices={"staff_id": people()}, captions={"metrics": "&Metrics"}),
            lambda v, old, overwrite: dosimetry.save_submission(
                db, dataclasses.replace(_record(v), version=old["version"] if old else None),
                submission_id=old["id"] if old else None, overwrite=overwrite),
            lambda r: dosimetry.delete_submission(db, r["id"], version=r["version"]),
            _problems,
            lambda r: f"the submission for case {r['case_id']} of {r['submitted_on']}",
            advise=self.quality_words,
            sort=(2, Qt.SortOrder.DescendingOrder),  # the service lists the latest ones: show them latest first
            defaults=self.new_submission,
            first_read_aside=True,  # 5,000 submissions: the screen is drawn at once and the list fills in
        ).require(Permission.DOSIMETRY)
        self.list.prepare_form = metrics_as_table
        self.missing_label = QLabel()
        self.missing_label.setWordWrap(True)  # unwrapped, this one line set the side pane's width and clipped the table
        self.missing = QTableWidget(0, 3)
        self.missing.setObjectName("missing-dosimetry")
        self.missing.setHorizontalHeaderLabels(["Case", "Project", "Enrolled"])
        self.missing.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.missing.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.missing.verticalHeader().setVisible(False)
        self.missing.horizontalHeader().setStretchLastSection(True)
        self.missing.setSortingEnabled(True)
        self.missing.setToolTip("Double-click or Enter: add the submission of this case")
        self.missing.doubleClicked.connect(lambda _i: self.add_for_missing())
        enter = QShortcut(QKeySequence(Qt.Key.Key_Return), self.missing)
        enter.setContext(Qt.ShortcutContext.WidgetShortcut)
        enter.activated.connect(self.add_for_missing)
        self.add_missing = QPushButton("Add &submission…")
        self.add_missing.setToolTip("Add the dosimetry submission of the selected case")
        self.add_missing.clicked.connect(self.add_for_missing)
        gate(db, Permission.DOSIMETRY, self.add_missing)
        self.show_missing_case = QPushButton("Show in the re&gister")
        self.show_missing_case.setToolTip("The selected case in the enrollment register")
        self.show_missing_case.clicked.connect(self.open_missing)
        self.missing_project = QComboBox()
        self.missing_project.addItem("Breast and lung", None)
        for project in DOSIMETRY_PROJECTS:
            self.missing_project.addItem(label(project), project)
        self.missing_period = QComboBox()
        for words, years in MISSING_PERIODS:
            self.missing_period.addItem(words, years)
        for box in (self.missing_project, self.missing_period):
            box.currentIndexChanged.connect(self.show_missing)
        self.missing_filter = QLineEdit()
        self.missing_filter.setPlaceholderText("Filter by case ID")
        self.missing_filter.setClearButtonEnabled(True)
        self.missing_filter.textChanged.connect(lambda _t: self._missing_timer.start())
        self._missing_timer = QTimer(self, singleShot=True, interval=250)
        self._missing_timer.timeout.connect(self.show_missing)
        self.missing_export = QPushButton("E&xport…")
        self.missing_export.setToolTip("Save every listed case (not only those shown) as Excel or CSV")
        self.missing_export.clicked.connect(self.export_missing)
        gate(db, Permission.EXPORT, self.missing_export)
        missing_filters = QHBoxLayout()
        missing_filters.addWidget(self.missing_project)
        missing_filters.addWidget(self.missing_period, 1)
        missing_bar = QHBoxLayout()
        missing_bar.addWidget(self.missing_filter, 1)
        missing_bar.addWidget(self.missing_export)
        missing_actions = QHBoxLayout()
        missing_actions.addWidget(self.add_missing)
        missing_actions.addWidget(self.show_missing_case)
        missing_actions.addStretch(1)
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.missing_label)
        side_layout.addLayout(missing_filters)
        side_layout.addLayout(missing_bar)
        side_layout.addWidget(self.missing, 1)
        side_layout.addLayout(missing_actions)
        # wide enough for one whole "case · project · enrolled date" line, and no wider
        side.setMinimumWidth(self.fontMetrics().horizontalAdvance("MRQ-0000000 · breast · enrolled 2000-00-00") + 40)
        self.missing_filter.setMinimumWidth(60)  # the side keeps its width: the filter gives way, the button stays
        splitter = QSplitter()
        splitter.addWidget(self.list)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)  # the submissions table needs its columns; the missing list is one line each
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([900, 300])
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<h2>Dosimetry</h2>"))
        layout.addWidget(splitter, 1)
        self.list.changed.connect(self.recount)
        self.list.filled.connect(self.show_note)  # once the first read is in (the missing list is read below)
        self.show_note()
        follow_when_shown(self, self.as_of, self.show_missing)  # counted at the as-of date
        self._search_timer = QTimer(self, singleShot=True, interval=300)  # search when typing pauses
        self._search_timer.timeout.connect(self.search_cases)
        self.list.filter.textChanged.connect(self._search_timer.start)
        self.show_missing()

    def quality_words(self, values: dict) -> str:
        """The data-quality rules on the submission as typed (a dose outside the range for the
        case's project and the technique): saved either way, shown as the form's advice."""
        from app.services.quality import check_submission, form_words

        if not values.get("total_dose_gy") or not values.get("fractions"):
            return ""
        day = self.as_of.day
        try:
            return form_words(check_submission(self.db, values, day), day)
        except ValueError:
            return ""

    def edit_submission(self, case_id: str, submitted_on: str) -> None:
        """Show one case's submissions and open the form of the one submitted on ``submitted_on``
        (ISO) to correct it (from a data-quality problem)."""
        self.list.filter.setText(case_id)
        self.search_cases()
        table = self.list.table
        for row in range(table.rowCount()):
            record = self.list.record_at(row)
            if record and record["case_id"] == case_id and record["submitted_on"].isoformat() == submitted_on:
                table.selectRow(row)
                table.setFocus()
                self.list.edit()
                return

    def rows(self) -> list[dict]:
        """The submissions listed. The rows read before are kept by ID and version: after a save,
        a delete or an undo here only what changed is read again (the IDs and versions of the
        5,000 listed, then the one saved), not 5,000 rows; ``reload`` (a change elsewhere, which
        may rename a person or move a case) reads them all."""
        limit, search = SHOWN_SUBMISSIONS, self.case_search
        kept = self._kept if self._kept_for == (limit, search) else {}
        if not kept:
            listed = [self._row(s) for s in dosimetry.list_submissions(self.db, limit=limit, case_search=search)]
        else:
            order = dosimetry.listed_versions(self.db, limit=limit, case_search=search)
            changed = [i for i, version in order if i not in kept or kept[i]["version"] != version]
            if len(changed) > REREAD_AT_MOST:
                listed = [self._row(s) for s in dosimetry.list_submissions(self.db, limit=limit, case_search=search)]
            else:
                fresh = {s.id: self._row(s) for s in dosimetry.submissions_by_id(self.db, changed)}
                listed = [fresh.get(i) or kept[i] for i, _version in order if i in fresh or i in kept]
        self._kept, self._kept_for = {row["id"]: row for row in listed}, (limit, search)
        return listed

    @staticmethod
    def _row(s: dosimetry.SubmissionRow) -> dict:
        row = row_of(s)
        row["per_fraction"] = round(s.total_dose_gy / s.fractions, 2) if s.fractions else None
        row["metrics_text"] = metrics_words(s.metrics)  # in words; the form shows them as typed
        row["metrics"] = format_metrics(s.metrics)
        return row

    def reload(self) -> None:
        """A change to submissions, cases or staff (here or elsewhere): the list, its note and the
        missing list read again, unless the list's own save just read them all after the change
        (``RecordPage.read_after_queued``): that save's announcement is the change itself. Every
        row is read anew (a person renamed or a case moved changes rows whose version did not)."""
        if self.list.read_after_queued and self._recounted_after == self.list.reads:
            return
        self._kept = {}
        self.list.refresh()
        self.recount()  # (the missing list with it)

    def recount(self) -> None:
        """After a save, delete or undo: the note on what is listed, and the missing list."""
        self.show_note()
        self.show_missing()
        self._recounted_after = self.list.reads  # the missing list read after that list read

    def show_note(self) -> None:
        """The note on what is listed, for the rows the list holds now."""
        self.list.set_note(self.capped_note(len(self.list.records)))

    def capped_note(self, shown: int) -> str:
        """Say when older submissions are left out, so a missing old case is not taken for unlogged."""
        if self.case_search:
            return (f"Submissions of cases whose ID contains “{self.case_search}”: {shown:,}"
                    + (" (the latest listed)." if shown >= SHOWN_SUBMISSIONS else "."))
        if shown < SHOWN_SUBMISSIONS:
            return ""
        return (f"The latest {shown:,} submissions are listed; type a case ID in the filter to search "
                "all of them.")

    def search_cases(self) -> None:
        """When the list is capped, the filter text searches every submission in the database (in SQL),
        not only the rows on screen; a short list keeps filtering on screen as every list does."""
        text = self.list.filter.text().strip()
        capped = len(self.list.records) >= SHOWN_SUBMISSIONS
        if text == self.case_search or not (capped or self.case_search):
            return
        self.case_search = text
        self.list.refresh()
        self.show_note()

    def show_missing(self, *_changed: object) -> None:
        """Recounted after every change to the submissions and whenever the as-of date moves (out of
        sight in the window, when next shown: ``follow_when_shown``)."""
        day = self.as_of.day
        project = self.missing_project.currentData()
        count, rows = dosimetry.missing_submissions(self.db, day, limit=MISSING_SHOWN, search=self.missing_filter.text(),
                                                    project=project, enrolled_from=self.missing_since())
        when = f" (enrolled by {shown(day)})" if day != getattr(self.as_of, "today", day) else ""
        which = (f"{label(project).lower()} cases" if project else "breast and lung cases")
        since = self.missing_since()
        period = f" (since {shown(since)})" if since else ""
        self.missing_label.setText(f"<b>Enrolled {which}{period} without a submission{when}: {count:,}</b>"
                                   + (f" (the oldest {len(rows):,} listed; Export saves every case without one)"
                                      if count > len(rows) else ""))
        if (rows, date_format()) == self._missing_shown:
            return  # the same cases (a save that filled no gap): the list as it is, its selection kept
        self.missing.setSortingEnabled(False)
        self.missing.setRowCount(len(rows))
        for r, (cid, project, enrolled) in enumerate(rows):
            for c, text in enumerate((cid, label(project))):
                self.missing.setItem(r, c, QTableWidgetItem(text))
            self.missing.setItem(r, 2, DateItem(enrolled))
        self.missing.setSortingEnabled(True)
        self.missing_rows = rows
        self._missing_shown = (rows, date_format())

    def missing_since(self) -> dt.date | None:
        """The first enrollment day the missing list shows (the period chosen; None: any time)."""
        years = self.missing_period.currentData()
        return None if years is None else dt.date(self.as_of.day.year - years, 1, 1)

    def new_submission(self) -> dict:
        """What a new submission's form offers: submitted by the person signed in (if their account
        is linked to their staff record, else nobody until chosen), and the case chosen in the
        missing list if any."""
        offered: dict = {"staff_id": dosimetry.submitter_of(self.db) or ""}
        if self._adding_for is not None:
            offered["case_id"] = self._adding_for
        return offered

    def add_for_missing(self) -> None:
        """"Add submission" for the case selected in the missing list (a physics lead's next step);
        one who may not record dosimetry is shown the case in the register instead."""
        row = self.missing.currentRow()
        if row < 0 or self.missing.item(row, 0) is None:
            return
        if not self.list.may_edit:
            self.open_missing()
            return
        self._adding_for = self.missing.item(row, 0).text()
        try:
            self.list.open_form(None)
        finally:
            self._adding_for = None

    def open_missing(self) -> None:
        """The selected case in the enrollment register."""
        row = self.missing.currentRow()
        if row >= 0 and self.missing.item(row, 0) is not None:
            self.show_case.emit(self.missing.item(row, 0).text())

    def export_missing(self, out: Path | None = None) -> int:
        from PySide6.QtWidgets import QMessageBox

        from app.exports.service import export_kind
        from ui.save_dialog import ask_save_path

        if out is None:  # the rows first, then where to save them
            from ui.export_preview import rows_before_saving

            if not rows_before_saving(self, self.db, "missing-dosimetry", "Cases without dosimetry",
                                      as_of=self.as_of.day):
                return 0
            choice = ask_save_path(self, "missing-dosimetry", "Export the cases without dosimetry",
                                   f"cases-without-dosimetry-{self.as_of.day.isoformat()}.xlsx",
                                   "Excel (*.xlsx);;CSV (*.csv)")
            if choice is None:
                return 0
            out = choice.path
        try:
            return export_kind(self.db, "missing-dosimetry", out, year=None, as_of=self.as_of.day)
        except (ValueError, PermissionError) as exc:
            QMessageBox.warning(self, "Not exported", str(exc))
            return 0
