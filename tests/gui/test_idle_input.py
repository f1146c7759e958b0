"""The idle lock's timer restarts on a person's keyboard and mouse input in any window, the main
window or a dialog opened later, and on nothing else: it watches where input enters each window
(``ui.window_events``), not every event of the application (issue 28: the Python filter on every
event was about a third of the GUI thread's time while the Dashboard followed a new date)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QVBoxLayout, QWidget

from tests.gui.conftest import settle
from ui.lock import IdleWatcher


class Counted(IdleWatcher):
    def __init__(self) -> None:
        super().__init__(15)
        self.seen = 0
        self.restarts = 0

    def eventFilter(self, watched, event) -> bool:  # type: ignore[no-untyped-def]  # noqa: N802 (Qt's name)
        self.seen += 1
        before = self.timer.remainingTime()
        self.timer.setInterval(60_000 * 15)
        self.timer.start(1)  # nearly run out: an input puts it back to the whole interval
        self.timer.setInterval(60_000 * 15)
        result = super().eventFilter(watched, event)
        self.restarts += self.timer.remainingTime() > 60_000
        self.timer.start(before if before > 0 else 60_000 * 15)
        return result


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
