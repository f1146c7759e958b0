"""Ctrl+C on any table or tree copies the selected rows as a spreadsheet pastes them: tab-separated,
with the header row, the visible columns in the order shown.

One event filter on the application, so every list of every screen copies the same way without
each one wiring it. What is copied is what the screen shows (the display text): a masked patient
identifier stays masked. Qt's own Ctrl+C copies only the current cell.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QApplication, QHeaderView


def _clean(value: object) -> str:
    text = "" if value is None else str(value)
    return " ".join(text.split())  # a tab or line break inside a cell would split the pasted row


def selected_rows_as_text(view: QAbstractItemView) -> str:
    """The selected rows of ``view`` with a header line, tab-separated, one line per row."""
    model = view.model()
    selection = view.selectionModel()
    if model is None or selection is None:
        return ""
    header = getattr(view, "horizontalHeader", None)
    header = header() if callable(header) else getattr(view, "header", lambda: None)()
    columns = list(range(model.columnCount(view.rootIndex())))
    if isinstance(header, QHeaderView):
        columns = sorted((c for c in columns if not header.isSectionHidden(c)), key=header.visualIndex)
    rows: dict[tuple[int, int], object] = {}
    for index in selection.selectedIndexes():
        rows.setdefault((index.row(), id(index.parent().internalPointer())), index)
    lines = ["\t".join(_clean(model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole))
                       for c in columns)]
    for key in sorted(rows, key=lambda k: (rows[k].parent().row(), k[0])):  # type: ignore[attr-defined]
        first = rows[key]
        lines.append("\t".join(_clean(model.index(first.row(), c, first.parent()).data(Qt.ItemDataRole.DisplayRole))  # type: ignore[attr-defined]
                               for c in columns))
    return "\n".join(lines) + "\n"


class _CopyRows(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.matches(QKeySequence.StandardKey.Copy) and isinstance(watched, QAbstractItemView)):
            selection = watched.selectionModel()
            if selection is not None and selection.hasSelection():
                QGuiApplication.clipboard().setText(selected_rows_as_text(watched))
                return True
        return False


def install(app: QApplication | None = None) -> None:
    """Once per application (the window calls it; a second call does nothing)."""
    app = app or QApplication.instance()  # type: ignore[assignment]
    if app is None or app.property("mroqc_copy_rows"):
        return
    copier = _CopyRows(app)
    app.installEventFilter(copier)
    app.setProperty("mroqc_copy_rows", True)
