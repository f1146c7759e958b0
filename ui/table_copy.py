"""Ctrl+C on any table or tree copies the selected rows as a spreadsheet pastes them: tab-separated,
with the header row, the visible columns in the order shown.

One event filter where keys enter each window (``ui.window_events``), so every list of every
screen and dialog copies the same way without each one wiring it. What is copied is what the screen shows (the display text): a masked patient
identifier stays masked. Qt's own Ctrl+C copies only the current cell.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence, QWindow
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QTableView,
    QTreeView,
)

from ui.window_events import watch_every_window


def _clean(value: object) -> str:
    text = "" if value is None else str(value)
    return " ".join(text.split())  # a tab or line break inside a cell would split the pasted row


def _shown_header(view: QAbstractItemView) -> QHeaderView | None:
    if isinstance(view, QTableView):
        return view.horizontalHeader()
    return view.header() if isinstance(view, QTreeView) else None


def _position(index: QModelIndex) -> tuple[int, ...]:
    """Where a row sits, top-level row first (a tree's rows in the order shown)."""
    path = [index.row()]
    parent = index.parent()
    while parent.isValid():
        path.insert(0, parent.row())
        parent = parent.parent()
    return tuple(path)


def shown_columns(view: QAbstractItemView) -> list[int]:
    """The model's columns the view shows, in the order shown (hidden ones left out); printing
    (``ui.printing``) takes the same."""
    model = view.model()
    columns = list(range(model.columnCount(view.rootIndex()))) if model is not None else []
    header = _shown_header(view)
    if header is not None:
        columns = sorted((c for c in columns if not header.isSectionHidden(c)), key=header.visualIndex)
    return columns


def selected_rows_as_text(view: QAbstractItemView) -> str:
    """The selected rows of ``view`` with a header line, tab-separated, one line per row."""
    model, selection = view.model(), view.selectionModel()
    if model is None or selection is None:
        return ""
    columns = shown_columns(view)
    rows = {_position(index): index for index in selection.selectedIndexes()}
    lines = ["\t".join(_clean(model.headerData(c, Qt.Orientation.Horizontal)) for c in columns)]
    for position in sorted(rows):
        index = rows[position]
        lines.append("\t".join(_clean(index.siblingAtColumn(c).data()) for c in columns))
    return "\n".join(lines) + "\n"


class _CopyRows(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.matches(QKeySequence.StandardKey.Copy) and isinstance(watched, QWindow)):
            view = watched.focusObject()  # the widget the key goes to
            if isinstance(view, QAbstractItemView):
                selection = view.selectionModel()
                if selection is not None and selection.hasSelection():
                    QGuiApplication.clipboard().setText(selected_rows_as_text(view))
                    return True
        return False


def install(app: QApplication | None = None) -> None:
    """Once per application (the window calls it; a second call does nothing)."""
    app = app or QApplication.instance()  # type: ignore[assignment]
    if app is None or app.property("mroqc_copy_rows"):
        return
    watch_every_window(_CopyRows(app))
    app.setProperty("mroqc_copy_rows", True)
