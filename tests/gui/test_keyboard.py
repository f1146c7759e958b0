"""Keyboard-first: Esc asks when a form has unsaved changes, Delete deletes in lists (asking
first), Ctrl+Z / Ctrl+Shift+Z walk a multi-step history, attendance Edit/Delete need a
selection, and Help → Keyboard shortcuts is the documented sheet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QMessageBox

from app.domain.records import StaffRecord
from app.services import staff
from tests.gui.conftest import settle
from tests.gui.test_coordinator_screens import submit
from ui import form_guard
from ui.record_form import Field, RecordForm
from ui.staff import StaffPage

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


class Asked(list):
    """Each time the discard question was asked; ``answer["discard"]`` is the reply."""

    answer = {"discard": False}


@pytest.fixture
def asked(monkeypatch) -> Asked:  # type: ignore[no-untyped-def]
    seen = Asked()
    seen.answer = {"discard": False}
    monkeypatch.setattr(form_guard, "confirm_discard", lambda parent: seen.append("asked") or seen.answer["discard"])
    return seen


def form(qtbot):  # type: ignore[no-untyped-def]
    f = RecordForm("Letter", [Field("subject", "&Subject"), Field("received_on", "&Received on", "date")],
                   lambda values, _v: None, values={"subject": "Site visit", "received_on": dt.date(2025, 6, 1)})  # type: ignore[arg-type, return-value]
    qtbot.addWidget(f)
    f.show()
    qtbot.waitExposed(f)
    return f


def test_esc_on_an_unchanged_form_closes_without_asking(qtbot, asked) -> None:
    f = form(qtbot)
    qtbot.keyClick(f, Qt.Key.Key_Escape)
    assert not f.isVisible() and asked == []


def test_esc_on_a_changed_form_asks_and_keeps_it_unless_discarded(qtbot, asked) -> None:
    f = form(qtbot)
    f.widgets["subject"].setText("Site visit (moved)")  # type: ignore[attr-defined]
    qtbot.keyClick(f, Qt.Key.Key_Escape)
    assert asked == ["asked"] and f.isVisible() and f.widgets["subject"].text() == "Site visit (moved)"  # type: ignore[attr-defined]
    asked.answer["discard"] = True  # type: ignore[attr-defined]
    qtbot.keyClick(f, Qt.Key.Key_Escape)
    assert asked == ["asked", "asked"] and not f.isVisible()


def test_a_typed_date_counts_as_a_change(qtbot, asked) -> None:
    f = form(qtbot)
    f.widgets["received_on"].set_text("2025-06-02")  # type: ignore[attr-defined]
    qtbot.keyClick(f, Qt.Key.Key_Escape)
    assert asked == ["asked"] and f.isVisible()


def test_the_case_form_asks_too(qtbot, db, asked) -> None:
    from ui.case_form import CaseForm

    f = CaseForm(db)
    qtbot.addWidget(f)
    f.show()
    f.case_id.setText("NEW-1")
    qtbot.keyClick(f, Qt.Key.Key_Escape)
    assert asked == ["asked"] and f.isVisible()


@pytest.fixture
def people(qtbot, db) -> StaffPage:  # type: ignore[no-untyped-def]
    page = StaffPage(db)
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitActive(page):
        page.activateWindow()
    return page


def test_delete_key_in_a_list_asks_then_deletes(qtbot, people, monkeypatch) -> None:
    submit(people.people, staff_id="S1", name="Dr. Ada Synthetic", profession="radiation_oncologist")
    table = people.people.table
    table.selectRow(0)
    table.setFocus()
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    questions: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda _p, _t, text, *a, **k: questions.append(text) or answers.pop(0))
    qtbot.keyClick(table, Qt.Key.Key_Delete)
    assert table.rowCount() == 1 and "Dr. Ada Synthetic" in questions[0]
    qtbot.keyClick(table, Qt.Key.Key_Delete)
    assert table.rowCount() == 0 and len(questions) == 2


def test_undo_and_redo_walk_several_steps(qtbot, people, db) -> None:
    page = people.people
    for sid, name in (("S1", "Ada"), ("S2", "Bea"), ("S3", "Cy")):
        submit(page, staff_id=sid, name=name, profession="nurse")
    names = lambda: sorted(r.name for r in staff.list_staff(db))  # noqa: E731
    assert names() == ["Ada", "Bea", "Cy"]
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Z, CTRL)
    qtbot.keyClick(page.table, Qt.Key.Key_Z, CTRL)
    assert names() == ["Ada"]
    qtbot.keyClick(page.table, Qt.Key.Key_Z, CTRL | SHIFT)
    assert names() == ["Ada", "Bea"]
    page.undo_button.click()
    page.undo_button.click()
    assert names() == []
    assert not page.undo_button.isEnabled()
    for _ in range(3):
        page.redo_next()
    assert names() == ["Ada", "Bea", "Cy"]


def test_undo_of_an_edit_and_a_delete_restores_each(qtbot, people, db, monkeypatch) -> None:
    page = people.people
    submit(page, staff_id="S1", name="Ada", profession="nurse")
    page.table.selectRow(0)

    def rename(form: RecordForm) -> None:
        form.widgets["name"].setText("Ada Lovelace")  # type: ignore[attr-defined]
        form.save()

    page.form_hook = rename
    page.edit()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    page.table.selectRow(0)
    page.delete()
    assert staff.list_staff(db) == []
    page.undo_last()
    assert [r.name for r in staff.list_staff(db)] == ["Ada Lovelace"]
    page.undo_last()
    assert [r.name for r in staff.list_staff(db)] == ["Ada"]


def test_attendance_edit_and_delete_need_a_selection(qtbot, db) -> None:
    from ui.as_of import AsOf
    from ui.meetings import MeetingsPage

    staff.save_staff(db, StaffRecord(staff_id="CC", name="Dr. Champ", profession="radiation_oncologist"))
    page = MeetingsPage(db, AsOf(dt.date(2025, 12, 31)))
    qtbot.addWidget(page)
    submit(page.meeting_list, meeting_id="M-1", date=dt.date(2025, 3, 5), format="in_person")
    page.meeting_list.table.selectRow(0)
    attendance = page.attendance
    assert not attendance.edit_button.isEnabled() and not attendance.delete_button.isEnabled()
    submit(attendance, role="clinical_champion", staff_id="CC")
    assert attendance.table.rowCount() == 1
    attendance.table.clearSelection()
    assert not attendance.edit_button.isEnabled() and not attendance.delete_button.isEnabled()
    attendance.table.selectRow(0)
    assert attendance.edit_button.isEnabled() and attendance.delete_button.isEnabled()


def test_the_register_deletes_with_the_delete_key_and_undoes_several_steps(qtbot, db, monkeypatch) -> None:
    from app.domain.records import CaseRecord
    from app.services.cases import save_case
    from ui.enrollment import EnrollmentPage

    for n in (1, 2):
        save_case(db, CaseRecord(case_id=f"C{n}", project="lung", status="pending", eligible_on=dt.date(2025, 1, n)))
    page = EnrollmentPage(db)
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitActive(page):
        page.activateWindow()
    page.eligible_from.enabled.setChecked(False)
    page.model.refresh()
    assert page.model.rowCount() == 2
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    for left in (1, 0):
        settle(qtbot)  # the register reads its rows in the background: select once they are in
        # (not selectRow: it follows the keyboard modifiers QTest last reported, and toggles under Ctrl)
        page.table.selectionModel().select(page.model.index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                                           | QItemSelectionModel.SelectionFlag.Rows)
        assert page.selected_ids()
        page.table.setFocus()
        qtbot.keyClick(page.table, Qt.Key.Key_Delete)
        qtbot.waitUntil(lambda n=left: page.model.rowCount() == n, timeout=3000)
    page.undo_last()
    page.undo_last()
    assert page.model.rowCount() == 2
    page.redo_next()
    assert page.model.rowCount() == 1


def test_help_keyboard_shortcuts_is_the_documented_sheet(qtbot, settled_window) -> None:
    from ui.shortcuts import SHORTCUTS, ShortcutSheet

    menu = next(a.menu() for a in settled_window.menuBar().actions() if a.text() == "&Help")
    action = next(a for a in menu.actions() if a.text() == "&Keyboard shortcuts")
    action.trigger()
    sheet = next(w for w in settled_window.findChildren(ShortcutSheet))
    assert sheet.isVisible() and "Ctrl+Shift+Z" in sheet.text.text()
    room = settled_window.screen().availableGeometry()
    assert sheet.frameGeometry().height() <= room.height() and sheet.width() <= room.width()  # scrolls, not cut off
    docs = (Path(__file__).resolve().parents[2] / "docs" / "keyboard.md").read_text(encoding="utf-8")
    for where, keys, what in SHORTCUTS:
        assert f"| {where} | {keys} | {what} |" in docs


def test_esc_on_the_bulk_status_change_asks_once_something_was_chosen(qtbot, asked, db) -> None:  # type: ignore[no-untyped-def]
    from ui.bulk_status import BulkStatusDialog

    dialog = BulkStatusDialog(db, ["A1", "A2"])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert asked == [] and not dialog.isVisible()  # nothing chosen: closes at once

    dialog = BulkStatusDialog(db, ["A1", "A2"])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.status.setCurrentIndex(dialog.status.findData("not_enrolled"))
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert asked == ["asked"] and dialog.isVisible()


def test_esc_on_a_half_typed_new_user_asks(qtbot, asked) -> None:  # type: ignore[no-untyped-def]
    from ui.users import UserDialog

    dialog = UserDialog(None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.keyClicks(dialog.name, "cda3")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert asked == ["asked"] and dialog.isVisible() and dialog.name.text() == "cda3"


def test_focus_returns_to_the_list_after_esc_and_discard(qtbot, people, asked) -> None:
    """Issue 25: after Esc → Discard the window could be left with no keyboard focus, and Ctrl+N
    did nothing until a click. Once the form has closed, a focus left nowhere goes back to the
    list the form was opened from, so the next Ctrl+N opens a form again."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    page = people.people
    page.table.setFocus()
    asked.answer["discard"] = True  # type: ignore[attr-defined]
    opened: list[RecordForm] = []

    def type_then_esc() -> None:
        form = QApplication.activeModalWidget()
        assert isinstance(form, RecordForm)
        opened.append(form)
        form.widgets["staff_id"].setText("S9")  # type: ignore[attr-defined]
        qtbot.keyClick(form, Qt.Key.Key_Escape)

    QTimer.singleShot(0, type_then_esc)
    qtbot.keyClick(page.table, Qt.Key.Key_N, CTRL)
    assert len(opened) == 1 and asked == ["asked"] and not opened[0].isVisible()
    page.table.clearFocus()  # what the window manager may leave after the question box: no focus here
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.table, timeout=2000)
    QTimer.singleShot(0, type_then_esc)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_N, CTRL)  # the next Ctrl+N, with no click between
    assert len(opened) == 2
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.table, timeout=2000)


def test_blanks_sort_last_and_dates_by_day(qtbot, people) -> None:
    """Issue 25: sorting by a column put the blanks first; they go last in either order."""
    from ui.record_page import sort_key

    page = people.people
    for sid, name, email in (("S1", "Ada", "ada@example.org"), ("S2", "Bea", None), ("S3", "Cy", "cy@example.org")):
        submit(page, staff_id=sid, name=name, profession="nurse", **({"email": email} if email else {}))
    column = [key for key, _ in page.columns].index("email")
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        page.table.sortByColumn(column, order)
        cells = [page.table.item(r, column).text() for r in range(page.table.rowCount())]
        expected = ["ada@example.org", "cy@example.org"]
        assert cells == (expected if order == Qt.SortOrder.AscendingOrder else expected[::-1]) + [""]
    assert sort_key(dt.date(2025, 3, 5)) < sort_key(dt.date(2025, 12, 1))  # by day, whatever the format shown
    assert sort_key("") is None and sort_key(None) is None


def test_undo_says_what_it_undid_and_redo_sits_beside_it(qtbot, db) -> None:
    """Issue 25: Undo said nothing of what it undid, and Redo had only a shortcut."""
    from PySide6.QtWidgets import QMainWindow

    host = QMainWindow()
    qtbot.addWidget(host)
    people = StaffPage(db)
    host.setCentralWidget(people)
    page = people.people
    submit(page, staff_id="S1", name="Ada", profession="nurse")
    assert page.undo_button.isEnabled() and not page.redo_button.isEnabled()
    assert page.redo_button.parent() is page.undo_button.parent()
    page.undo_button.click()
    assert page.history_words == "Undone: Added Ada." and host.statusBar().currentMessage() == "Undone: Added Ada."
    assert page.redo_button.isEnabled() and "Redo Added Ada" in page.redo_button.toolTip()
    page.redo_button.click()
    assert page.history_words == "Made again: Added Ada." and [p.name for p in staff.list_staff(db)] == ["Ada"]
    assert not page.redo_button.isEnabled()
