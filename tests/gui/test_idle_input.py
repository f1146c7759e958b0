"""The idle lock's timer restarts on a person's keyboard and mouse input in any window, the main
window or a dialog opened later, and on nothing else: it watches where input enters each window
(``ui.window_events``), not every event of the application (issue 28: the Python filter on every
event was about a third of the GUI thread's time while the Dashboard followed a new date)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QVBoxLayout, QWidget

from tests.gui.conftest import settle
from ui.lock import IdleWatcher


class _CountingTimer(QTimer):
    """The idle timer, counting each time it is started again."""

    def __init__(self, parent) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.starts = 0

    def start(self, *args) -> None:  # type: ignore[no-untyped-def]
        self.starts += 1
        super().start(*args)


class Counted(IdleWatcher):
    """An idle watcher counting the events its filter sees and the restarts of its timer."""

    def __init__(self) -> None:
        super().__init__(15)
        self.timer = _CountingTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(15 * 60_000)
        self.timer.start()
        self.timer.starts = 0
        self.seen = 0

    @property
    def restarts(self) -> int:
        return self.timer.starts

    def eventFilter(self, watched, event) -> bool:  # type: ignore[no-untyped-def]  # noqa: N802 (Qt's name)
        self.seen += 1
        return super().eventFilter(watched, event)


def _shown(qtbot, widget: QWidget) -> None:  # type: ignore[no-untyped-def]
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is widget.windowHandle(), timeout=5000)


def test_typing_and_clicking_in_any_window_restarts_the_idle_timer(qtbot) -> None:  # type: ignore[no-untyped-def]
    window = QWidget()
    qtbot.addWidget(window)
    field = QLineEdit(window)
    _shown(qtbot, window)
    watcher = Counted()
    try:
        field.setFocus()
        qtbot.keyClick(window.windowHandle(), Qt.Key.Key_A)
        assert field.text() == "a" and watcher.restarts >= 1  # the key went on to the field, and counted
        dialog = QDialog()  # a window made after the watcher: it takes the keyboard and is watched too
        qtbot.addWidget(dialog)
        line = QLineEdit()
        QVBoxLayout(dialog).addWidget(line)
        _shown(qtbot, dialog)
        before = watcher.restarts
        line.setFocus()
        qtbot.keyClick(dialog.windowHandle(), Qt.Key.Key_B)
        assert line.text() == "b" and watcher.restarts > before
        before = watcher.restarts
        qtbot.mouseClick(dialog.windowHandle(), Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
        assert watcher.restarts > before
    finally:
        watcher.stop()


def test_what_the_screens_do_by_themselves_does_not_reach_the_watcher(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Labels set, laid out and painted (what a new as-of date does) pass no event through Python."""
    window = QWidget()
    qtbot.addWidget(window)
    layout = QVBoxLayout(window)
    labels = [QLabel() for _ in range(40)]
    for label in labels:
        label.setWordWrap(True)
        layout.addWidget(label)
    _shown(qtbot, window)
    watcher = Counted()
    try:
        settle(qtbot)
        watcher.seen = 0
        for round_ in range(5):
            for i, label in enumerate(labels):
                label.setText(f"<b>tile {i}</b> day {round_} of a long sentence that wraps " * 3)
            settle(qtbot)
            window.repaint()
        assert watcher.seen < 20  # the window's own few (an update request a frame), not ~thousands
    finally:
        watcher.stop()
    watcher.seen = 0
    qtbot.keyClick(window.windowHandle(), Qt.Key.Key_A)
    assert watcher.seen == 0  # stopped: no window's input reaches it
