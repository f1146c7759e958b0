"""A list of records with Add, Edit, Delete (asks first), a filter and a multi-step undo/redo
history of the edits made here; Ctrl+N adds, Ctrl+F goes to the filter, Delete deletes the
selected row, Ctrl+Z undoes and Ctrl+Shift+Z (or Ctrl+Y) redoes, as on the Enrollment register."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.dates import DATE_FORMATS
from app.domain.permissions import Permission
from app.domain.wording import article
from app.services.editing import Change, Conflict, History, NotFound, ValidationFailed
from app.storage.database import Database
from ui.date_field import date_format
from ui.flow_layout import FlowLayout
from ui.models.record_models import (
    SORT_ROLE,
    ListQuery,
    PagedRecordModel,
    PagedRecords,
    RecordListModel,
    shown,
    sort_key,
)
from ui.permissions import gate
from ui.record_form import Field, RecordForm
from ui.workers import run_in_background

__all__ = ["SORT_ROLE", "ListQuery", "PagedRecords", "RecordPage", "RecordTable", "form_title", "history_step",
           "row_of", "shown", "sort_key"]

#: Rows a list's columns are measured on when sized to their contents (those shown first among them).
RESIZE_SAMPLE_ROWS = 100
#: How long a long list (``paged``) waits after the last key typed in its filter before it asks
#: the database: each ask counts the rows again.
PAGED_FILTER_DELAY_MS = 300


def row_of(record: Any) -> dict[str, Any]:
    """A flat record (a dataclass of dates, text and numbers) as a row's dict: what
    ``dataclasses.asdict`` gives for it without its deep copy of every value, which cost seconds
    over tens of thousands of rows (and its field names looked up once per kind of record)."""
    return {name: getattr(record, name) for name in _field_names(type(record))}


@functools.cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind))


class _Shown:
    """One cell or header as a screen reads it (``RecordTable.item``): its text, its data."""

    def __init__(self, index: QModelIndex | None, text: str = "") -> None:
        self._index = index
        self._text = text

    def text(self) -> str:
        if self._index is None:
            return self._text
        value = self._index.data()
        return "" if value is None else str(value)

    def data(self, role: int) -> Any:
        return self._index.data(role) if self._index is not None else None


class RecordTable(QTableView):
    """A record list's table: a view over the list's model (``ui.models.record_models``), with
    the few calls of a ``QTableWidget`` that screens use to find a row by what it shows
    (``item(row, column).text()``, ``rowCount()``, ``currentRow()``, ``setCurrentCell``) and its
    ``itemSelectionChanged``."""

    itemSelectionChanged = Signal()  # noqa: N815 (QTableWidget's name)

    def setModel(self, model: QAbstractItemModel | None) -> None:  # noqa: N802 (Qt's name)
        super().setModel(model)
        selection = self.selectionModel()
        if selection is not None:
            selection.selectionChanged.connect(lambda *_: self.itemSelectionChanged.emit())

    def rowCount(self) -> int:  # noqa: N802
        model = self.model()
        return model.rowCount() if model is not None else 0

    def columnCount(self) -> int:  # noqa: N802
        model = self.model()
        return model.columnCount() if model is not None else 0

    def item(self, row: int, column: int) -> _Shown | None:
        model = self.model()
        if model is None or not (0 <= row < model.rowCount() and 0 <= column < model.columnCount()):
            return None
        return _Shown(model.index(row, column))

    def horizontalHeaderItem(self, column: int) -> _Shown | None:  # noqa: N802
        model = self.model()
        if model is None or not 0 <= column < model.columnCount():
            return None
        return _Shown(None, str(model.headerData(column, Qt.Orientation.Horizontal) or ""))

    def currentRow(self) -> int:  # noqa: N802
        return self.currentIndex().row()

    def currentColumn(self) -> int:  # noqa: N802
        return self.currentIndex().column()

    def setCurrentCell(self, row: int, column: int) -> None:  # noqa: N802
        model = self.model()
        if model is None or row < 0:
            self.setCurrentIndex(QModelIndex())
            return
        self.setCurrentIndex(model.index(row, max(column, 0)))


def typed_day(text: str) -> dt.date | None:
    """The day a filter's text names when it is a whole date as the facility writes dates (or
    ISO), else None."""
    for style in dict.fromkeys((date_format(), "iso")):
        try:
            return dt.datetime.strptime(text.strip(), DATE_FORMATS.get(style, DATE_FORMATS["iso"])).date()
        except ValueError:
            continue
    return None


def history_step(parent: QWidget, db: Database, action: Callable[[Database], list[Change]], done: str,
                 what: str, where: str, step: str = "") -> str:
    """One undo or redo step of a list's history (``done``: "undone" / "made again"; ``step``: the
    edit in words, ``History.next_undo()``), saying in words why it was refused: someone else's
    later change is never overwritten. Done, it says what it undid or made again (the window's
    status bar) and returns those words ("" if nothing was done)."""
    try:
        changes = action(db)
    except Conflict:
        QMessageBox.warning(parent, f"Not {done}", f"Someone else changed this {what} after you did, so your "
                            f"change can no longer be {done} without losing theirs. The {where} shows it as saved.")
        return ""
    except (ValidationFailed, NotFound) as exc:
        QMessageBox.warning(parent, f"Not {done}", str(exc))
        return ""
    if not changes:
        return ""
    said = f"{done.capitalize()}: {step}." if step else f"{done.capitalize()}."
    window = parent.window()
    if isinstance(window, QMainWindow):
        window.statusBar().showMessage(said, HISTORY_MESSAGE_MS)
    return said


#: How long the status bar says what Undo or Redo did.
HISTORY_MESSAGE_MS = 15000

#: One record of each list, in words, for its dialog's title ("Add a person", not "Add: people").
ONE_RECORD: dict[str, str] = {
    "People": "person", "Role assignments": "role assignment", "Meetings": "meeting", "Letters": "letter",
    "Leave, vacations and enrollment pauses": "leave, vacation or pause", "Program years": "program year",
    "Data-entry sessions": "data-entry session", "Submissions": "dosimetry submission",
}


def form_title(adding: bool, one: str | None, about: str | None) -> str:
    """A record dialog's title: "Add a person", "Edit the meeting", "Add attendance at …" (``about``
    when the list says what the record is about), never a list's name after a colon."""
    if about:
        return f"{'Add' if adding else 'Edit'} {about}"
    return f"Add {article(one)}" if adding else f"Edit the {one}"


class RecordPage(QWidget):
    """``rows()`` gives dicts; ``columns`` names which keys to show; the callables do the work.

    ``changed`` is emitted after a save, a delete or an undo, once the list shows it: screens that
    derive something from the records (warnings, a missing list) recompute on it."""

    changed = Signal()
    #: the first read, made on the worker thread (``first_read_aside``), is shown
    filled = Signal()
    _read_mark = Signal()  # queued to itself as each read starts: see ``read_after_queued``

    def __init__(self, db: Database, title: str, columns: list[tuple[str, str]], rows: Callable[[], list[dict]] | None,
                 fields: list[Field] | Callable[[], list[Field]], save: Callable[[dict, dict | None, bool], Change],
                 delete: Callable[[dict], Change] | None = None, validate: Callable[[dict], dict[str, str]] | None = None,
                 describe: Callable[[dict], str] = lambda r: "this record",
                 advise: Callable[[dict], str] | None = None, form_title: Callable[[], str] | None = None,
                 sort: tuple[int, Qt.SortOrder] = (0, Qt.SortOrder.AscendingOrder), filterable: bool = True,
                 defaults: Callable[[], dict] | None = None, fill_when_shown: bool = False,
                 paged: PagedRecords | None = None, first_read_aside: bool = False) -> None:
        """``form_title`` names what the Add/Edit dialog is about when the title alone does not
        (which meeting an attendance belongs to); ``sort`` is the order a user expects first
        (newest letters, latest submissions); ``filterable=False`` leaves out the filter box for a
        short list sharing the screen with a longer one (one meeting's attendance), where the
        room is better spent on the buttons. ``fill_when_shown``: a long list on a tab of its own
        (tens of thousands of data-entry sessions) reads its rows when it is first shown, and a
        change made elsewhere while it is hidden re-reads them when it is next shown, so opening
        its screen does not wait for a table nobody is looking at. ``paged``: a list too long to
        read whole (half a million data-entry sessions), read a page at a time from its service,
        which sorts and filters it (``rows`` is then None; ``records`` stays empty): opening it
        reads a count and the page shown. ``require(permission)`` says what adding, editing and
        deleting need: without it the buttons are disabled, saying who may (``ui.permissions``).
        ``first_read_aside``: the first read runs on the worker thread and the list fills in when it
        is done (``filled``), so a screen whose list takes a noticeable time to read (5,000 dosimetry
        submissions) is drawn at once; later reads keep the selection and the place, on this thread."""
        super().__init__()
        self.db = db
        self.title = title
        self.columns = columns
        self._rows = rows
        self.fields = fields
        self._save = save
        self._delete = delete
        self._validate = validate
        self._describe = describe
        self._advise = advise
        self._form_title = form_title
        self._defaults = defaults  # what a new record's form offers (a generated ID)
        self.history = History()
        self.form_hook: Callable[[RecordForm], None] | None = None  # tests drive the dialog through this
        #: called with each new Add/Edit form before it shows (a screen wiring one field to another)
        self.prepare_form: Callable[[RecordForm, dict | None], None] | None = None
        #: the rows: held whole (``RecordListModel``) or read a page at a time (``PagedRecordModel``)
        self.model: RecordListModel | PagedRecordModel = (
            PagedRecordModel(columns, paged, self) if paged is not None else RecordListModel(columns, self))
        self.table = RecordTable()
        self.table.setModel(self.model)
        self.table.setAccessibleName(title)  # what a screen reader says, and the printout's heading
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        # the register's row height: without it the style's taller default shows a third fewer rows at 1366x768
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        # columns as wide as their widest text among the first rows, not all of them (each cell
        # measured is a call into Python for each of its roles)
        self.table.horizontalHeader().setResizeContentsPrecision(RESIZE_SAMPLE_ROWS)
        self.table.horizontalHeader().setSortIndicator(*sort)
        self.table.setSortingEnabled(True)  # the model sorts: in Python, or the service for a long list
        self._sorted_by = sort
        self.table.horizontalHeader().sortIndicatorChanged.connect(self._sort_chosen)
        self.add_button = QPushButton("&Add…")
        self.edit_button = QPushButton("&Edit…")
        self.delete_button = QPushButton("&Delete…")
        self.undo_button = QPushButton("&Undo")
        self.undo_button.setEnabled(False)
        self.redo_button = QPushButton("&Redo")
        self.redo_button.setEnabled(False)
        self.history_words = ""  # what the last Undo or Redo did, as the status bar said it
        self.delete_button.setVisible(delete is not None)
        self.may_edit = True
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter  (Ctrl+F)")
        self.filter.setToolTip("Show only the rows containing this text")
        self.filter.setClearButtonEnabled(True)
        self.filter.setMinimumWidth(self.fontMetrics().horizontalAdvance("Filter  (Ctrl+F)") + 24)
        self.filter.setMaximumWidth(220)  # two lists share a row of buttons at 1366 px (Meetings)
        self.filter.setVisible(filterable)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.hide()  # an empty label would leave a blank band above the table
        bar = FlowLayout()  # the buttons wrap under the title when two lists share a narrow screen
        bar.addWidget(QLabel(f"<b>{title}</b>"))
        bar.addWidget(self.filter, 1)
        bar.addStretch(1)
        for b in (self.add_button, self.edit_button, self.delete_button, self.undo_button, self.redo_button):
            bar.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        self.add_button.clicked.connect(lambda: self.open_form(None))
        self.edit_button.clicked.connect(self.edit)
        self.delete_button.clicked.connect(self.delete)
        self.undo_button.clicked.connect(self.undo_last)
        self.redo_button.clicked.connect(self.redo_next)
        self.table.doubleClicked.connect(lambda _i: self.edit())
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self._filter_timer = QTimer(self, singleShot=True, interval=PAGED_FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self.apply_filter)
        # a list held whole filters as each key is typed; a long one asks the database when typing pauses
        self.filter.textChanged.connect(self._filter_timer.start if paged is not None else self.apply_filter)
        self._shortcut(QKeySequence.StandardKey.New, lambda page: page.add_button.click())
        self._shortcut(QKeySequence.StandardKey.Find, RecordPage.focus_filter)
        self._shortcut(QKeySequence.StandardKey.Undo, RecordPage.undo_last)
        self._shortcut(QKeySequence("Ctrl+Shift+Z"), RecordPage.redo_next)
        self._shortcut(QKeySequence("Ctrl+Y"), RecordPage.redo_next)
        open_key = QShortcut(QKeySequence(Qt.Key.Key_Return), self.table)
        open_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        open_key.activated.connect(self.edit)
        delete_key = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.table)
        delete_key.setContext(Qt.ShortcutContext.WidgetShortcut)  # in the list only: Delete in a text field edits text
        delete_key.activated.connect(self.delete)
        #: True from the start of a read (``refresh``) until the events queued before it are handled:
        #: a change announced meanwhile was committed before the read, so the list already shows it
        #: (the window's change hub delivers the list's own save, queued, right after it). ``reads``
        #: counts the reads, so a screen can tell which one it followed.
        self.read_after_queued = False
        self.reads = 0
        self._read_mark.connect(self._queued_caught_up, Qt.ConnectionType.QueuedConnection)
        self._fill_when_shown = fill_when_shown
        self._first_read_aside = first_read_aside and paged is None
        self._unread = False  # (fill_when_shown) rows not read yet, or changed since: read them on the next show
        self.refresh_when_shown()

    def refresh_when_shown(self) -> None:
        """``refresh()`` now, or, for a ``fill_when_shown`` list out of sight, when it is next shown."""
        if self._fill_when_shown and not self.isVisible():
            self._unread = True
            return
        self.refresh()

    def _queued_caught_up(self) -> None:
        self.read_after_queued = False

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if self._unread:
            self.refresh()

    def require(self, permission: Permission) -> RecordPage:
        """Changes here need ``permission``: without it the list is read-only, its buttons saying who may."""
        self.may_edit = gate(self.db, permission, self.add_button, self.edit_button, self.delete_button,
                             self.undo_button, self.redo_button)
        return self

    def _shortcut(self, keys: QKeySequence.StandardKey | QKeySequence, action: Callable[[RecordPage], None]) -> None:
        """A window-wide shortcut, like the register's, so it works straight after opening the screen.

        Where one screen shows two lists at once (Meetings), their shortcuts clash and Qt reports
        the press as ambiguous to one of them: it then goes to the list the user is working in.
        """
        shortcut = QShortcut(QKeySequence(keys), self)
        shortcut.activated.connect(lambda: action(self))
        shortcut.activatedAmbiguously.connect(lambda: action(self.working_list()))

    def working_list(self) -> RecordPage:
        """Of the lists visible in this window: the one holding the keyboard focus, else the first
        on screen (top, then left: the meetings, not their attendance)."""
        visible = self._visible_lists()
        focus = QApplication.focusWidget()
        for page in visible:
            if focus is not None and page.isAncestorOf(focus):
                return page
        return visible[0] if visible else self

    def _visible_lists(self) -> list[RecordPage]:
        """The lists shown in this window, in reading order (top, then left)."""
        window = self.window()

        def place(page: RecordPage) -> tuple[int, int]:
            corner = page.mapTo(window, QPoint(0, 0))
            return corner.y(), corner.x()

        return sorted((p for p in window.findChildren(RecordPage) if p.isVisible()), key=place)

    def focus_filter(self) -> None:
        """Into this list's filter, or, if it has none, the filter of the first list on screen that has one."""
        target = self
        if self.filter.isHidden():
            lists = [p for p in self._visible_lists() if not p.filter.isHidden()]
            if not lists:
                return
            target = lists[0]
        target.filter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        target.filter.selectAll()

    @property
    def paged(self) -> bool:
        """Whether the list is read a page at a time (``PagedRecordModel``)."""
        return isinstance(self.model, PagedRecordModel)

    @property
    def records(self) -> list[dict]:
        """Every record of a list held whole, as read (the order of its service, not of the
        screen); empty for a long list read a page at a time."""
        return self.model.records if isinstance(self.model, RecordListModel) else []

    def record_at(self, row: int) -> dict | None:
        """The record row ``row`` of the table shows (its page read if need be)."""
        return self.model.record(row)

    def _sort_chosen(self, column: int, order: Qt.SortOrder) -> None:
        """A long list sorts by what its service can sort by: another column's header puts the
        indicator back where the rows are sorted."""
        if isinstance(self.model, PagedRecordModel) and self.columns[column][0] not in self.model.source.sortable:
            header = self.table.horizontalHeader()
            header.blockSignals(True)
            header.setSortIndicator(*self._sorted_by)
            header.blockSignals(False)
            return
        self._sorted_by = (column, order)

    def apply_filter(self) -> None:
        """Show only the rows containing the filter text (any column, any case); a row no longer
        shown is also unselected, so Edit and Delete never act on a record the user cannot see.
        A list held whole hides the other rows; a long one asks its service for those rows."""
        self._filter_timer.stop()
        text = self.filter.text().strip().casefold()
        if isinstance(self.model, PagedRecordModel):
            self._read_paged(replace_query=self._paged_query())
            return
        model, table = self.model, self.table
        if text or table.verticalHeader().hiddenSectionCount():
            for r in range(model.rowCount()):
                hidden = bool(text) and not model.matches(r, text)
                if table.isRowHidden(r) != hidden:
                    table.setRowHidden(r, hidden)
        current = table.currentRow()
        if current >= 0 and table.isRowHidden(current):
            table.clearSelection()
            table.setCurrentCell(-1, -1)
        self._selection_changed()

    def _paged_query(self) -> ListQuery:
        assert isinstance(self.model, PagedRecordModel)
        text = self.filter.text().strip()
        return dataclasses.replace(self.model.query, search=text, on=typed_day(text) if text else None)

    def refresh(self) -> None:
        """Read the rows again, keeping the selected record selected and the list where it was
        scrolled to (a change from another workstation must not move the user's place)."""
        self._unread = False
        self.reads += 1
        self.read_after_queued = True
        self._read_mark.emit()  # queued after every change announced so far, before this read
        if isinstance(self.model, PagedRecordModel):
            self._read_paged()
            return
        if self._first_read_aside:  # nothing shown yet: nothing selected or scrolled to keep
            self._first_read_aside = False
            read, rows = self.reads, self._rows
            assert rows is not None
            run_in_background(rows, lambda records: self._show_first(records, read), owner=self)
            return
        kept = self._identity(self.selected())
        column = max(self.table.currentColumn(), 0)
        scrolled = self.table.verticalScrollBar().value()
        assert self._rows is not None
        was_empty = not self.model.records
        self.model.set_records(self._rows())
        if was_empty:  # sized to the rows once: a re-read keeps the widths (the user's too)
            self.table.resizeColumnsToContents()
        self.apply_filter()
        if kept is not None:
            row = self.model.row_where(lambda record: self._identity(record) == kept)
            if row >= 0 and not self.table.isRowHidden(row):
                self.table.setCurrentCell(row, column)
        if self.selected() is None and kept is not None:
            self.table.itemSelectionChanged.emit()  # the read cleared it (a reset says nothing)
        self.table.verticalScrollBar().setValue(scrolled)
        self._selection_changed()

    def _show_first(self, records: list[dict], read: int) -> None:
        """The first read's rows, read on the worker thread, unless the list was read again since."""
        if read != self.reads:
            return
        self.model.set_records(records)
        self.table.resizeColumnsToContents()
        self.apply_filter()
        self._selection_changed()
        self.filled.emit()

    def _read_paged(self, replace_query: ListQuery | None = None) -> None:
        """A long list counted again from its service (a new filter, a change saved), the pages
        shown read as the view draws them, the selected record selected again where it now is."""
        model = self.model
        assert isinstance(model, PagedRecordModel)
        record = self.selected()
        column = max(self.table.currentColumn(), 0)
        near = max(self.table.currentRow(), 0)
        scrolled = self.table.verticalScrollBar().value()
        first = not model.loaded
        if replace_query is not None and model.loaded:
            model.set_query(replace_query)
        else:
            if replace_query is not None:
                model.set_query(replace_query)
            model.reload()
        if first:
            self.table.resizeColumnsToContents()  # from the first page's rows (the view reads no more)
        row = model.position(record, near, self._identity) if record is not None else None
        if row is not None and row < model.rowCount():
            self.table.setCurrentIndex(model.index(row, column))
            self.table.selectionModel().select(model.index(row, column), QItemSelectionModel.SelectionFlag.ClearAndSelect
                                               | QItemSelectionModel.SelectionFlag.Rows)
        elif record is not None:
            self.table.itemSelectionChanged.emit()  # no longer listed: nothing selected (a reset says nothing)
        if replace_query is None:
            self.table.verticalScrollBar().setValue(scrolled)
        self._selection_changed()

    def _selection_changed(self) -> None:
        """Edit and Delete act on the selected row: with none selected they are disabled."""
        chosen = self.selected() is not None and bool(self.table.selectionModel().selectedRows())
        self.edit_button.setEnabled(chosen)
        self.delete_button.setEnabled(chosen)

    def _identity(self, record: dict | None) -> object:
        """What names a record across reloads: its key if it has one, else what the row shows."""
        if record is None:
            return None
        for key in ("id", "staff_id", "case_id"):
            if record.get(key) is not None:
                return (key, record[key])
        return tuple(shown(record.get(key)) for key, _ in self.columns)

    def set_note(self, text: str) -> None:
        """A line of context under the title (what is listed, for which meeting); hidden when empty."""
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def selected(self) -> dict | None:
        row = self.table.currentRow()
        if row < 0 or self.table.isRowHidden(row) or not self.table.selectionModel().isRowSelected(row, QModelIndex()):
            return None
        return self.model.record(row)

    def current_fields(self) -> list[Field]:
        """The form's fields as of now: a callable gives the choices and captions of the moment
        (new people appear, the reply days follow the policy in force)."""
        return self.fields() if callable(self.fields) else self.fields

    def open_form(self, record: dict | None) -> None:
        if not self.may_edit:
            return
        fields = self.current_fields()
        about = self._form_title() if self._form_title else None
        one = ONE_RECORD.get(self.title, self.title.lower())
        def save(values: dict, overwrite: int | None) -> Change:
            # after a conflict the person chose to save over the newer version: the record as it now is
            old = record if overwrite is None or record is None else {**record, "version": overwrite}
            return self._save(values, old, overwrite is not None)

        form = RecordForm(form_title(record is None, one, about), fields, save, record, self._validate, self,
                          self._advise, defaults=self._defaults() if self._defaults and record is None else None)
        form.return_focus_to(self.table)  # closed any way (Esc → Discard too): Ctrl+N works again at once
        if self.prepare_form is not None:
            self.prepare_form(form, record)
        if self.form_hook:
            self.form_hook(form)
        elif not form.exec():
            if form.reloaded:
                self.refresh()
            return
        if form.change:
            self._remember(form.change)

    def edit(self) -> None:
        record = self.selected()
        if record:
            self.open_form(record)

    def delete(self) -> None:
        record = self.selected()
        if not record or self._delete is None:
            return
        if QMessageBox.question(self, "Delete?", f"Delete {self._describe(record)}? You can undo this right after.") \
                != QMessageBox.StandardButton.Yes:
            return
        try:
            self._remember(self._delete(record))
        except Conflict as exc:
            QMessageBox.warning(self, "Not deleted", f"{exc} The list now shows it as it is saved.")
            self.refresh()
        except ValidationFailed as exc:
            reasons = "; ".join(exc.problems.values())
            QMessageBox.warning(self, "Not deleted", f"{self._describe(record)[0].upper()}{self._describe(record)[1:]} "
                                f"was not deleted: {reasons}.")
        except NotFound as exc:
            QMessageBox.warning(self, "Not deleted", str(exc))

    @property
    def last_change(self) -> Change | None:
        """The newest edit that Undo would take back."""
        return self.history.done[-1][0] if self.history.done else None

    def _remember(self, change: Change | None) -> None:
        self.history.record(change)
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
        self.refresh()
        self.changed.emit()

    def undo_last(self) -> None:
        """Take back the newest edit made in this list (Ctrl+Z again: the one before)."""
        self._step(self.history.undo, "undone", self.history.next_undo())

    def redo_next(self) -> None:
        """Make the newest undone edit again."""
        self._step(self.history.redo, "made again", self.history.next_redo())

    def _step(self, action: Callable[[Database], list[Change]], done: str, step: str) -> None:
        if not self.may_edit:
            return
        self.history_words = history_step(self, self.db, action, done, "record", "list", step) or self.history_words
        self._history_changed()
