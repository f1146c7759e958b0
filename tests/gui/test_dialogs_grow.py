"""Dialogs grow to fit their messages and never shrink their inputs (issue 25): the attendance form
when the substitute's verdict shows, the case form with several messages, Set status when it is
refused, the lock and the sign-in after a wrong password. Each: the inputs keep their height and
place-independent size, the message is read whole, inside the dialog."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QDialog, QLabel, QWidget

from app.storage.database import Database
from tests.gui.conftest import settle
from tests.support import PASSWORD
from ui.as_of import AsOf
from ui.dialog_fit import INPUTS, fixed_height, grows_to_fit


@pytest.fixture(autouse=True)
def _closing_discards(monkeypatch: pytest.MonkeyPatch) -> None:
    """A changed form asks before it closes; at a test's end nobody is there to answer."""
    monkeypatch.setattr("ui.form_guard.confirm_discard", lambda _dialog: True)


def input_heights(dialog: QDialog) -> dict[str, int]:
    """Each visible one-line input's height, by its place in the dialog."""
    found = {}
    for n, widget in enumerate(w for w in dialog.findChildren(QWidget) if isinstance(w, INPUTS)):
        if widget.isVisible():
            found[f"{n} {type(widget).__name__} {widget.objectName()}"] = widget.height()
    return found


def read_whole(dialog: QDialog, label: QLabel) -> None:
    assert label.isVisible() and label.text()
    assert label.heightForWidth(label.width()) <= label.height(), \
        f"{label.text()[:60]!r} needs {label.heightForWidth(label.width())} px, has {label.height()}"
    if label.width() <= label.sizeHint().width():  # narrower than it would like: its sizeHint's height at least
        assert label.sizeHint().height() <= label.height()
    corner = label.mapTo(dialog, QPoint(0, 0))
    assert QRect(QPoint(0, 0), dialog.size()).contains(QRect(corner, label.size())), "the message is outside the dialog"


def opened(qtbot, dialog: QDialog, owned: bool = True) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Show ``dialog`` (``owned``: the test deletes it; else its parent does) and its inputs' heights."""
    if owned:
        qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.wait(20)
    return input_heights(dialog)


def after_the_message(qtbot, dialog: QDialog, before: dict[str, int], *messages: QLabel) -> None:  # type: ignore[no-untyped-def]
    qtbot.wait(50)  # the layout request, then the fit
    assert input_heights(dialog) == before, "an input changed height when the message appeared"
    for label in messages:
        read_whole(dialog, label)


def test_the_attendance_form_grows_for_the_substitute_verdict(qtbot, demo_db: Database) -> None:
    from ui.meetings import MeetingsPage

    page = MeetingsPage(demo_db, AsOf())
    qtbot.addWidget(page)
    settle(qtbot)
    forms = []
    page.attendance.form_hook = forms.append
    page.attendance.open_form(None)
    form = forms[0]
    before = opened(qtbot, form, owned=False)  # the page's child
    person = form.widgets["staff_id"]
    longest = max(range(person.count()), key=lambda i: len(form._advise({**form.values(), "staff_id": person.itemData(i)})))
    person.setCurrentIndex(longest)
    assert form.advice.text()
    after_the_message(qtbot, form, before, form.advice)


def test_the_new_case_form_grows_for_several_messages(qtbot, demo_db: Database) -> None:
    from ui.case_form import CaseForm

    form = CaseForm(demo_db)
    before = opened(qtbot, form)
    form.project.setCurrentIndex(form.project.findData("breast"))
    form.primary_site.setCurrentIndex(form.primary_site.findData("prostate"))  # not a breast case's site
    form.status.setCurrentIndex(form.status.findData("not_enrolled"))
    form.reason.setCurrentIndex(form.reason.findData("measure_criteria"))  # advice: not a reason MROQC takes
    form.enrolled_on.edit.setText("2025-06-01")  # only an enrolled case has one
    form.check()
    shown = [label for label in (form.problems, form.advice, form.quality) if label.isVisible() and label.text()]
    assert form.problems.text().count("•") >= 2 and form.advice.text()
    after_the_message(qtbot, form, before, *shown)


def test_set_status_grows_for_its_refusal(qtbot, demo_db: Database) -> None:
    from ui.bulk_status import BulkStatusDialog

    dialog = BulkStatusDialog(demo_db, ["MRQ-0000001", "MRQ-0000002"])
    before = opened(qtbot, dialog)
    dialog.status.setCurrentIndex(dialog.status.findData("enrolled"))
    dialog.enrolled_on.edit.setText("31 of Smarch")  # not a date
    dialog.apply()
    after_the_message(qtbot, dialog, before, dialog.problems)
    dialog.problems.setText("Nothing was changed. " + "A long reason the service gave, said in full. " * 6)
    after_the_message(qtbot, dialog, before, dialog.problems)


def test_the_lock_grows_for_a_wrong_password_and_the_warning_stays_whole(qtbot, demo_db: Database) -> None:
    from ui.lock import LockDialog

    dialog = LockDialog(demo_db, "Lakeside Regional Cancer Center (demo)", switching=True)
    before = opened(qtbot, dialog)
    qtbot.keyClicks(dialog.user, "nobody")
    qtbot.keyClicks(dialog.password, "wrong password")
    dialog.try_unlock()
    assert dialog.error.isVisible()
    after_the_message(qtbot, dialog, before, dialog.error, dialog.text)
    assert "unsaved forms are discarded" in dialog.text.text()


def test_sign_in_grows_for_a_wrong_password(qtbot, demo_file: Path) -> None:
    from app.storage.database import sqlite_url
    from ui.sign_in import SignInDialog

    dialog = SignInDialog(sqlite_url(demo_file), demo_file.name, user="nobody")
    before = opened(qtbot, dialog)
    qtbot.keyClicks(dialog.password, PASSWORD + " not")
    dialog.try_sign_in()
    assert dialog.error.isVisible()
    after_the_message(qtbot, dialog, before, dialog.error)


def test_a_dialog_fitted_once_is_not_fitted_twice(qtbot) -> None:
    dialog = QDialog()
    qtbot.addWidget(dialog)
    grows_to_fit(dialog)
    grows_to_fit(dialog)
    assert len([c for c in dialog.children() if c.objectName() == "grows_to_fit"]) == 1


def test_fixed_height_keeps_the_horizontal_policy(qtbot) -> None:
    from PySide6.QtWidgets import QComboBox, QSizePolicy

    box = QComboBox()
    qtbot.addWidget(box)
    box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    fixed_height(box)
    assert box.sizePolicy().horizontalPolicy() == QSizePolicy.Policy.Expanding
    assert box.sizePolicy().verticalPolicy() == QSizePolicy.Policy.Fixed


def test_the_welcome_dialog_scrolls_on_a_small_screen_instead_of_squashing_its_words(qtbot, tmp_path: Path) -> None:
    """At 150 % on a 1366×768 laptop the Welcome dialog is taller than the screen: its body
    scrolls, every label keeps the height its words need, Cancel stays in sight."""
    from PySide6.QtWidgets import QDialogButtonBox, QScrollArea

    from ui.first_run import FirstRunDialog

    dialog = FirstRunDialog(tmp_path / "facility.sqlite3")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.resize(dialog.width(), 420)  # what is left of 768 px at 150 %, less the panel
    settle(qtbot)
    assert dialog.height() <= 420, "the dialog cannot be as short as the screen"
    for label in dialog.findChildren(QLabel):
        if label.isVisible() and label.wordWrap() and label.text():
            assert label.heightForWidth(label.width()) <= label.height(), label.text()[:60]
    assert dialog.findChild(QScrollArea).verticalScrollBar().maximum() > 0  # the body scrolls
    cancel = dialog.findChild(QDialogButtonBox)
    assert cancel.isVisible() and dialog.rect().contains(QRect(cancel.mapTo(dialog, QPoint(0, 0)), cancel.size()))


def test_a_dialog_grown_for_a_message_shrinks_back_when_it_goes(qtbot, demo_db: Database) -> None:
    from ui.bulk_status import BulkStatusDialog

    dialog = BulkStatusDialog(demo_db, ["MRQ-0000001", "MRQ-0000002"])
    before = opened(qtbot, dialog)
    height = dialog.height()
    dialog.problems.setText("Nothing was changed. " + "A long reason the service gave, said in full. " * 6)
    qtbot.wait(50)
    assert dialog.height() > height
    dialog.problems.setText("")
    dialog.problems.hide()
    qtbot.wait(50)
    assert dialog.height() <= height + 2, "the dialog kept the room of a message that went away"
    assert input_heights(dialog) == before
