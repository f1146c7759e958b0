"""Enrollment register: every eligible case, searchable and filterable, sorted in SQL."""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.permissions import Permission
from app.domain.vocabulary import CASE_STATUSES, PROJECTS, label
from app.services.cases import delete_case, get_case
from app.services.editing import Change, Conflict, History, NotFound, ValidationFailed
from app.services.register import FLAGS, RegisterQuery, flag_policy
from app.storage.database import Database
from ui.as_of import AsOf, follow_when_shown
from ui.date_field import DateField
from ui.flow_layout import FlowLayout
from ui.models.case_table_model import CaseTableModel
from ui.permissions import gate
from ui.saved_filters import FilterNameError, SavedFilter, delete_filter, save_filter, saved_filters

SEARCH_DELAY_MS = 250


def years_before(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` earlier (28 February for a 29 February that year lacks)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` earlier, or that month's last day."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


class DateFilter(QWidget):
    """A date with an on/off box: unticked means "any date"."""

    changed = Signal()

    def __init__(self, caption: str, initial: dt.date) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.enabled = QCheckBox(caption)
        self.date = DateField(initial, required=True)
        self.date.setEnabled(False)
        self.enabled.toggled.connect(self.date.setEnabled)
        self.enabled.toggled.connect(self.changed)
        self.date.committed.connect(self.changed)
        layout.addWidget(self.enabled)
        layout.addWidget(self.date)

    def value(self) -> dt.date | None:
        return self.date.date() if self.enabled.isChecked() else None

    def follow(self, default: dt.date) -> None:
        """Move an unticked filter to a new default (the as-of date moved); a ticked one is the
        user's choice in use, so it stays put rather than change the list under their eyes."""
        if self.enabled.isChecked():
            return
        self.date.blockSignals(True)  # unticked: the list does not depend on it, no need to re-query
        self.date.setDate(default)
        self.date.blockSignals(False)


class EnrollmentPage(QWidget):
    def __init__(self, db: Database, parent: QWidget | None = None, as_of: AsOf | None = None) -> None:
        """``as_of`` is the window's shared date: the eligibility range offered by default is the
        year up to it, so a coordinator reviewing an earlier period sees that period's cases."""
        super().__init__(parent)
        self.db = db
        self.as_of = as_of if as_of is not None else AsOf()
        self.model = CaseTableModel(db, self)

        self.search = QLineEdit()
        self.search.setMinimumWidth(150)  # typed in, never squeezed to nothing
        self.search.setPlaceholderText("Search case ID  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.project = QComboBox()
        self.project.addItem("All projects", None)
        for code in PROJECTS:
            self.project.addItem(label(code), code)
        self.status = QComboBox()
        self.status.addItem("Any status", None)
        for code in CASE_STATUSES:
            self.status.addItem(label(code), code)
        self.flag = QComboBox()
        self.flag.setObjectName("flag-filter")
        self.flag.addItem("Any flag or none", ())
        self.flag.addItem("Any flag raised", tuple(FLAGS))
        for key, text in FLAGS.items():
            self.flag.addItem(text, (key,))
        self.flag_policy = flag_policy(db, self.as_of.day)
        # the first page is fetched with the flags (no flag filter yet: the count stays as it is)
        self.model.query = dataclasses.replace(self.model.query, flag_policy=self.flag_policy)
        day = self.as_of.day
        self.eligible_from = DateFilter("Eligible from", years_before(day, 1))
        self.eligible_to = DateFilter("to", day)
        self.count_label = QLabel()
        #: the set of cases a finding listed ("show all these cases in the register"), or None
        self.case_set: tuple[str, ...] = ()
        #: the enrollment dates a Dashboard chart bar stands for (its month), or None
        self.enrolled_in: tuple[dt.date, dt.date] | None = None
        self.set_label = QLabel()
        self.set_label.setObjectName("case-set")
        self.set_clear = QPushButton("Show every case")
        self.set_clear.clicked.connect(self.clear_case_set)
        self.set_bar = QWidget()
        bar = QHBoxLayout(self.set_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.set_label, 1)
        bar.addWidget(self.set_clear)
        self.set_bar.hide()

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(3, Qt.SortOrder.DescendingOrder)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        for column, width in enumerate((120, 110, 100, 95, 100, 95, 150, 85, 200)):
            self.table.setColumnWidth(column, width)

        filters = FlowLayout()  # wraps on a narrow window rather than scrolling sideways
        filters.addWidget(self.search, 2)
        filters.addWidget(self.project)
        filters.addWidget(self.status)
        filters.addWidget(self.flag)
        filters.addWidget(self.eligible_from)
        filters.addWidget(self.eligible_to)
        # saved filters ("my pending lung cases"): one button, its menu lists them
        self.saved_button = QToolButton()
        self.saved_button.setObjectName("saved-filters")
        self.saved_button.setText("Sa&ved filters")
        self.saved_button.setToolTip("Pick a filter you saved, save the filters shown under a name, or delete one")
        self.saved_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.saved_menu = QMenu(self.saved_button)
        self.saved_menu.aboutToShow.connect(self._fill_saved_menu)
        self.saved_button.setMenu(self.saved_menu)
        filters.addWidget(self.saved_button)
        heading = QLabel("<h2>Enrollment register</h2>")
        self.new_button = QPushButton("&New case")
        self.edit_button = QPushButton("&Edit…")
        self.status_button = QPushButton("Set &status of selected…")
        self.delete_button = QPushButton("&Delete…")
        self.undo_button = QPushButton("&Undo")
        self.undo_button.setEnabled(False)
        self.redo_button = QPushButton("&Redo")
        self.redo_button.setEnabled(False)
        self.history_words = ""  # what the last Undo or Redo did, as the status bar said it
        self.screen_button = QPushButton("&Import eligible patients…")
        self.screen_button.setToolTip("A screening list from the EHR, the planning system or the tumour registry "
                                      "(CSV or Excel): its patients become pending cases")
        self.may_edit = gate(db, Permission.CASES, self.new_button, self.edit_button, self.status_button,
                             self.delete_button, self.undo_button, self.redo_button)
        gate(db, Permission.IMPORT, self.screen_button)
        self.history = History()
        top = FlowLayout()  # the buttons wrap under the heading on a narrow window
        top.addWidget(heading)
        top.addStretch(1)
        for button in (self.new_button, self.screen_button, self.edit_button, self.status_button, self.delete_button,
                       self.undo_button, self.redo_button):
            top.addWidget(button)
        top.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.set_bar)
        layout.addWidget(self.table, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DELAY_MS)
        self._debounce.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(self._debounce.start)
        self.project.currentIndexChanged.connect(self._project_changed)
        self.status.currentIndexChanged.connect(self.apply_filters)
        self.flag.currentIndexChanged.connect(self.apply_filters)
        self.eligible_from.changed.connect(self.apply_filters)
        self.eligible_to.changed.connect(self.apply_filters)
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self.focus_search)
        QShortcut(QKeySequence.StandardKey.New, self, activated=self.new_case)
        QShortcut(QKeySequence.StandardKey.Undo, self, activated=self.undo_last)
        QShortcut(QKeySequence("Ctrl+Shift+Z"), self, activated=self.redo_next)
        QShortcut(QKeySequence("Ctrl+Y"), self, activated=self.redo_next)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.table, activated=self.delete_selected,
                  context=Qt.ShortcutContext.WidgetShortcut)
        QShortcut(QKeySequence(Qt.Key.Key_Return), self.table, activated=self.edit_case)
        self.new_button.clicked.connect(self.new_case)
        self.screen_button.clicked.connect(self.import_eligible)
        self.edit_button.clicked.connect(self.edit_case)
        self.status_button.clicked.connect(self.bulk_status)
        self.delete_button.clicked.connect(self.delete_selected)
        self.undo_button.clicked.connect(self.undo_last)
        self.redo_button.clicked.connect(self.redo_next)
        self.table.doubleClicked.connect(lambda _index: self.edit_case())
        self.model.modelReset.connect(self._show_count)
        self.as_of.changed.connect(self._as_of_changed)
        follow_when_shown(self, self.as_of, self._read_at_as_of)
        self._show_count()

    def _as_of_changed(self, day: dt.date) -> None:
        """The default date range ends at the as-of date at once; the rows, flagged at that date,
        are read again now when the register is on screen, else when it is next shown."""
        self.eligible_from.follow(years_before(day, 1))
        self.eligible_to.follow(day)

    def _read_at_as_of(self) -> None:
        self.flag_policy = flag_policy(self.db, self.as_of.day)  # the flags are judged at the as-of date
        self.apply_filters()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def current_query(self) -> RegisterQuery:
        project, status = self.project.currentData(), self.status.currentData()
        return RegisterQuery(
            search=self.search.text(),
            projects=(project,) if project else (),
            statuses=(status,) if status else (),
            eligible_from=self.eligible_from.value(),
            eligible_to=self.eligible_to.value(),
            sort_column=self.model.query.sort_column,
            descending=self.model.query.descending,
            case_ids=self.case_set,
            flag_policy=self.flag_policy,
            flags=tuple(self.flag.currentData() or ()),
            enrolled_from=self.enrolled_in[0] if self.enrolled_in else None,
            enrolled_to=self.enrolled_in[1] if self.enrolled_in else None,
        )

    def show_cases(self, case_ids: list[str], caption: str) -> None:
        """Exactly these cases (a finding's list), every other filter cleared; a bar says which
        set is shown and clears it."""
        self._clear_filters()
        self.case_set = tuple(dict.fromkeys(case_ids))
        self.set_label.setText(f"Showing the {len(self.case_set)} case(s) of {caption}.")
        self.set_bar.show()
        self.apply_filters()

    def show_enrolled(self, project: str, first: dt.date, last: dt.date, caption: str) -> None:
        """The cases of ``project`` enrolled from ``first`` to ``last`` (a Dashboard chart bar:
        ``caption`` names its month), every other filter cleared; the same bar clears it."""
        self._clear_filters()
        self.enrolled_in = (first, last)
        self.project.blockSignals(True)
        self.project.setCurrentIndex(max(self.project.findData(project), 0))
        self.project.blockSignals(False)
        self.set_label.setText(f"Showing the {label(project)} cases enrolled in {caption}.")
        self.set_bar.show()
        self.apply_filters()

    def _project_changed(self) -> None:
        """Another project chosen while a chart bar's month is shown: that month was the bar's
        project's, so it goes with it (and its bar), rather than filter another project by it."""
        if self.enrolled_in is not None:
            self.enrolled_in = None
            self.set_bar.hide()
        self.apply_filters()

    def _clear_filters(self) -> None:
        """Every filter back to "any", without a query per widget (the caller applies once)."""
        self.case_set, self.enrolled_in = (), None
        for widget in (self.project, self.status, self.flag):
            widget.blockSignals(True)
            widget.setCurrentIndex(0)
            widget.blockSignals(False)
        for date_filter in (self.eligible_from, self.eligible_to):
            date_filter.enabled.blockSignals(True)
            date_filter.enabled.setChecked(False)
            date_filter.date.setEnabled(False)
            date_filter.enabled.blockSignals(False)
        self.search.blockSignals(True)
        self.search.clear()
        self.search.blockSignals(False)

    def clear_case_set(self) -> None:
        if self.enrolled_in is not None:  # the chart's bar chose the project too: every case means every project
            self.project.blockSignals(True)
            self.project.setCurrentIndex(0)
            self.project.blockSignals(False)
        self.case_set, self.enrolled_in = (), None
        self.set_bar.hide()
        self.apply_filters()

    def apply_filters(self) -> None:
        self.model.set_query(self.current_query())

    # -- saved filters ---------------------------------------------------------------------

    @property
    def user(self) -> str:
        """Whose saved filters these are: the signed-in user's."""
        actor = self.db.actor
        return actor.name if actor is not None else ""

    def current_filter(self, name: str) -> SavedFilter:
        """The filters shown, under ``name``; never the search text (see ``ui.saved_filters``)."""
        return SavedFilter(name, self.project.currentData(), self.status.currentData(),
                           tuple(self.flag.currentData() or ()), self.eligible_from.value(), self.eligible_to.value())

    def apply_saved(self, saved: SavedFilter) -> None:
        """Show the register as ``saved`` filters it (a choice this version lacks falls back to any)."""
        self._clear_filters()
        self.set_bar.hide()
        for widget, value in ((self.project, saved.project), (self.status, saved.status),
                              (self.flag, tuple(saved.flags))):
            index = next((i for i in range(widget.count()) if widget.itemData(i) == value), 0)
            widget.blockSignals(True)
            widget.setCurrentIndex(index)
            widget.blockSignals(False)
        for date_filter, day in ((self.eligible_from, saved.eligible_from), (self.eligible_to, saved.eligible_to)):
            date_filter.enabled.blockSignals(True)
            date_filter.enabled.setChecked(day is not None)
            date_filter.date.setEnabled(day is not None)
            if day is not None:
                date_filter.date.blockSignals(True)
                date_filter.date.setDate(day)
                date_filter.date.blockSignals(False)
            date_filter.enabled.blockSignals(False)
        self.apply_filters()

    def _fill_saved_menu(self) -> None:
        menu = self.saved_menu
        menu.clear()
        mine = saved_filters(self.user)
        for saved in mine:
            action = menu.addAction(saved.name.replace("&", "&&"))
            action.triggered.connect(lambda _checked=False, s=saved: self.apply_saved(s))
        if not mine:
            menu.addAction("No saved filters yet").setEnabled(False)
        menu.addSeparator()
        menu.addAction("&Save these filters…", self.save_current_filter)
        remove = menu.addMenu("&Delete a saved filter")
        remove.setEnabled(bool(mine))
        for saved in mine:
            action = remove.addAction(saved.name.replace("&", "&&"))
            action.triggered.connect(lambda _checked=False, n=saved.name: self.delete_saved(n))

    def save_current_filter(self, name: str | None = None) -> SavedFilter | None:
        """Ask for a name (or take ``name``) and keep the filters shown under it."""
        if name is None:
            name, ok = QInputDialog.getText(self, "Save these filters", "Name (such as “my pending lung cases”):")
            if not ok:
                return None
        try:
            saved = save_filter(self.user, self.current_filter(name))
        except FilterNameError as exc:
            QMessageBox.warning(self, "Filter not saved", str(exc))
            return None
        if self.search.text().strip():
            QMessageBox.information(self, "Saved without the search text",
                                    f"“{saved.name}” keeps the project, status, flag and dates. The search "
                                    "text is not saved: a saved filter never holds what could identify a patient.")
        return saved

    def delete_saved(self, name: str) -> None:
        answer = QMessageBox.question(self, "Delete saved filter?", f"Delete the saved filter “{name}”? "
                                      "The cases are not changed.")
        if answer == QMessageBox.StandardButton.Yes:
            delete_filter(self.user, name)

    def selected_ids(self) -> list[str]:
        return list(self.selected_versions())

    def selected_versions(self) -> dict[str, int | None]:
        """The selected cases and the version each shows: a change based on them is refused if a
        case changed at another workstation since (``app.services.editing.Conflict``)."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return {cid: self.model.version(r) for r in rows if (cid := self.model.case_id(r))}

    @property
    def last_change(self) -> list[Change]:
        """The newest edit (its changes) that Undo would take back."""
        return self.history.done[-1] if self.history.done else []

    def _remember(self, changes: list[Change]) -> None:
        self.history.record(changes)
        self._history_changed()

    def _history_changed(self) -> None:
        self.undo_button.setEnabled(self.may_edit and self.history.can_undo())
        self.redo_button.setEnabled(self.may_edit and self.history.can_redo())
        tip = f"Undo {self.history.next_undo()} (Ctrl+Z)" if self.history.can_undo() else "Nothing to undo"
        if self.history.can_redo():
            tip += f"\nRedo {self.history.next_redo()} (Ctrl+Shift+Z)"
        if self.may_edit:  # else the tooltips say who may (ui.permissions)
            self.undo_button.setToolTip(tip)
            self.redo_button.setToolTip(f"Redo {self.history.next_redo()} (Ctrl+Shift+Z)" if self.history.can_redo()
                                        else "Nothing to redo")
        self.model.refresh()

    def reload(self) -> None:
        """Another screen, an import or another workstation changed cases: the same page, re-read,
        with the selected cases still selected and the list where it was scrolled to."""
        selected = set(self.selected_ids())
        current = self.table.currentIndex()
        current_id = self.model.case_id(current.row()) if current.isValid() else None
        scrolled = self.table.verticalScrollBar().value()
        policy = flag_policy(self.db, self.as_of.day)  # the facility's program year may have changed
        if policy != self.flag_policy:
            self.flag_policy = policy
            self.model.set_query(self.current_query())
        else:
            self.model.refresh()
        if not selected and current_id is None:
            return
        near = current.row() if current.isValid() else scrolled
        rows = self.model.find_rows(selected | ({current_id} if current_id else set()), near)
        chosen = self.table.selectionModel()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for case_id, row in rows.items():
            if case_id in selected:
                chosen.select(self.model.index(row, 0), flags)
        if current_id in rows:
            chosen.setCurrentIndex(self.model.index(rows[current_id], max(current.column(), 0)),
                                   QItemSelectionModel.SelectionFlag.NoUpdate)
        self.table.verticalScrollBar().setValue(scrolled)

    def import_eligible(self) -> None:
        """The screening-list wizard (``ui.screening_wizard``); the register shows what it added."""
        from ui.screening_wizard import open_screening_wizard

        if self.screen_button.isEnabled():
            open_screening_wizard(self, self.db, on_imported=lambda _receipt: self.model.refresh())

    def open_form(self, record=None):  # type: ignore[no-untyped-def]
        from ui.case_form import CaseForm

        return CaseForm(self.db, record, self)

    def new_case(self) -> None:
        if not self.may_edit:  # shortcuts and double-clicks too: the role may only read
            return
        form = self.open_form()
        if form.exec() and form.change:
            self._remember([form.change])

    def edit_case(self) -> None:
        """Open the selected case: its form, or for a role that may only read (shortcuts and
        double-clicks too) the same form read-only, to read and copy from."""
        ids = self.selected_ids()
        if not ids:
            return
        try:
            record = get_case(self.db, ids[0])
        except NotFound as exc:
            QMessageBox.information(self, "Case not found", str(exc))
            return
        form = self.open_form(record)
        if not self.may_edit:
            form.make_read_only(f"Case {record.case_id} (read only)")
            form.exec()
            return
        if form.exec() and form.change:
            self._remember([form.change])
        elif form.reloaded:
            self.model.refresh()

    def bulk_status(self) -> None:
        if not self.may_edit:  # shortcuts and double-clicks too: the role may only read
            return
        from ui.bulk_status import BulkStatusDialog

        ids = self.selected_ids()
        if not ids:
            QMessageBox.information(self, "No cases selected", "Select the cases first (Shift or Ctrl click).")
            return
        dialog = BulkStatusDialog(self.db, ids, self, versions=self.selected_versions())
        if dialog.exec():
            self._remember(dialog.changes)
        elif dialog.reloaded:
            self.model.refresh()

    def delete_selected(self) -> None:
        if not self.may_edit:  # shortcuts and double-clicks too: the role may only read
            return
        ids = self.selected_ids()
        if not ids:
            return
        answer = QMessageBox.question(self, "Delete case?", f"Delete case {ids[0]}? You can undo this right after.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            self._remember([delete_case(self.db, ids[0], version=self.selected_versions().get(ids[0]))])
        except Conflict as exc:
            QMessageBox.warning(self, "Case not deleted", f"{exc} The register now shows it as saved.")
            self.model.refresh()
        except (ValidationFailed, NotFound) as exc:
            QMessageBox.warning(self, "Case not deleted", str(exc))

    def undo_last(self) -> None:
        if not self.may_edit:  # shortcuts and double-clicks too: the role may only read
            return
        self._step(self.history.undo, "undone", self.history.next_undo())

    def redo_next(self) -> None:
        """Make the newest undone edit again (Ctrl+Shift+Z)."""
        if not self.may_edit:
            return
        self._step(self.history.redo, "made again", self.history.next_redo())

    def _step(self, action, done: str, step: str) -> None:  # type: ignore[no-untyped-def]
        from ui.record_page import history_step

        self.history_words = history_step(self, self.db, action, done, "case", "register", step) or self.history_words
        self._history_changed()

    def _show_count(self) -> None:
        n = self.model.rowCount()
        self.count_label.setText(f"{n:,} case{'s' if n != 1 else ''}")
