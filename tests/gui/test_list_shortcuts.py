"""Ctrl+N and Ctrl+F on every list screen, as on the Enrollment register: Staff & roles, and
Meetings, where two lists share the screen and the keys go to the one being worked in."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ui.main_window import MainWindow

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def window(qtbot, demo_db) -> MainWindow:
    w = MainWindow(demo_db)
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitActive(w):  # window-wide shortcuts only fire in the active window
        w.activateWindow()
    return w


def test_staff_ctrl_n_adds_to_the_open_tab_and_ctrl_f_goes_to_its_filter(qtbot, window: MainWindow) -> None:
    window.show_area("Staff & roles")
    page = window.pages["Staff & roles"]
    opened: list[str] = []
    for lst in (page.people, page.roles, page.leave):
        lst.form_hook = lambda form, title=lst.title: opened.append(title)
    qtbot.keyClick(window.nav, Qt.Key.Key_N, CTRL)  # straight after choosing the screen, focus still in the list of areas
    assert opened == ["People"]
    qtbot.keyClick(window.nav, Qt.Key.Key_F, CTRL)
    assert QApplication.focusWidget() is page.people.filter
    qtbot.keyClicks(page.people.filter, "physicist")
    shown = [r for r in range(page.people.table.rowCount()) if not page.people.table.isRowHidden(r)]
    assert shown and all(page.people.table.item(r, 2).text() == "Physicist" for r in shown)
    assert len(shown) < page.people.table.rowCount()
    page.tabs.setCurrentIndex(1)
    qtbot.keyClick(window.nav, Qt.Key.Key_N, CTRL)
    assert opened == ["People", "Role assignments"]


def test_meetings_keys_go_to_the_list_being_worked_in(qtbot, window: MainWindow) -> None:
    window.show_area("Meetings")
    page = window.pages["Meetings"]
    opened: list[str] = []
    page.meeting_list.form_hook = lambda form: opened.append("meeting")
    page.attendance.form_hook = lambda form: opened.append("attendance")
    qtbot.keyClick(window.nav, Qt.Key.Key_N, CTRL)
    assert opened == ["meeting"]  # nothing focused on the screen: the first list
    page.attendance.table.setFocus()
    qtbot.keyClick(page.attendance.table, Qt.Key.Key_N, CTRL)
    qtbot.keyClick(page.attendance.table, Qt.Key.Key_N, CTRL)  # Qt cycles ambiguous keys: still the same list
    assert opened == ["meeting", "attendance", "attendance"]
    qtbot.keyClick(page.attendance.table, Qt.Key.Key_F, CTRL)  # attendance has no filter: the meetings' one
    assert QApplication.focusWidget() is page.meeting_list.filter
