"""The window and the signed-in user: the idle lock hides every patient value and keeps the form
being typed, another user can take over, controls follow the role, administrators manage users."""

from __future__ import annotations

import pytest
import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QWidget

from app.services import users
from tests.gui.conftest import AS_OF, settle
from tests.support import ADMIN, PASSWORD, as_role, reopen
from ui.lock import Cover, LockDialog
from ui.main_window import MainWindow


def visible_text(widget: QWidget) -> str:
    return " ".join(label.text() for label in widget.findChildren(QLabel) if label.isVisibleTo(widget))


def covered(window: QWidget) -> bool:
    return any(isinstance(child, Cover) and child.isVisible() for child in window.children())


def when_locked(qtbot, act) -> None:  # type: ignore[no-untyped-def]
    """Run ``act(dialog)`` once the lock dialog is showing (it runs its own event loop)."""
    def poll() -> None:
        dialog = next((w for w in QApplication.topLevelWidgets() if isinstance(w, LockDialog) and w.isVisible()), None)
        if dialog is None:
            QTimer.singleShot(20, poll)
        else:
            act(dialog)
    QTimer.singleShot(20, poll)


def test_idle_minutes_lock_every_window_and_the_same_user_finds_the_form_intact(qtbot, settled_window) -> None:
    window: MainWindow = settled_window
    window.show_area("Enrollment")
    form = window.enrollment_page.open_form()
    form.show()
    qtbot.keyClicks(form.case_id, "TYPED-123")
    seen: dict[str, object] = {}

    def while_locked(dialog: LockDialog) -> None:
        seen["main covered"] = covered(window)
        seen["form covered"] = covered(form)
        seen["what the lock shows"] = visible_text(dialog)
        dialog.password.setText("not my password")
        dialog.try_unlock()
        seen["wrong"] = dialog.error.text()
        dialog.password.setText(PASSWORD)
        dialog.try_unlock()

    when_locked(qtbot, while_locked)
    window.idle.set_interval_ms(150)  # the facility's 15 minutes, shortened
    qtbot.waitUntil(lambda: "wrong" in seen, timeout=10000)
    qtbot.waitUntil(lambda: not window.locked, timeout=10000)
    assert seen["main covered"] and seen["form covered"]
    assert ADMIN in seen["what the lock shows"] and "MRQ-" not in seen["what the lock shows"]
    assert seen["wrong"] == "The user name or password is not right."
    assert not covered(window) and not covered(form)
    assert form.isVisible() and form.case_id.text() == "TYPED-123"  # as it was left
    form.close_anyway()
    window.idle.set_minutes(15)


def test_another_user_signs_in_instead_and_the_first_users_form_is_discarded(qtbot, settled_window,
                                                                             monkeypatch) -> None:
    window: MainWindow = settled_window
    users.add_user(window.db, "phil", "physics", "phil's first pw")
    phil = reopen(window.db.path, "phil", "phil's first pw")  # Phil himself changes it (signed by him)
    users.change_own_password(phil, "phil's first pw", "phil's password!")
    phil.dispose()
    notices: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: notices.append(text))
    window.show_area("Enrollment")
    form = window.enrollment_page.open_form()
    form.show()
    qtbot.keyClicks(form.case_id, "HALF-TYPED")

    def sign_in_as_phil(dialog: LockDialog) -> None:
        dialog.someone_else()
        dialog.user.setText("phil")
        dialog.password.setText("phil's password!")
        dialog.try_unlock()

    when_locked(qtbot, sign_in_as_phil)
    window.switch_user()
    settle(qtbot)
    assert window.db.actor.name == "phil" and window.db.actor.role == "physics"
    assert not shiboken6.isValid(form) or not form.isVisible()  # closed (and gone with the rebuilt register)
    assert notices and "discarded" in notices[0] and ADMIN in notices[0]
    assert "Signed in as phil (physics lead)" in window.status_label.text()
    register = window.enrollment_page  # rebuilt for the new role
    assert not register.new_button.isEnabled() and "administrator may change cases" in register.new_button.toolTip()
    window.show_area("Dosimetry")
    dosimetry = window.page("Dosimetry")
    assert dosimetry.list.add_button.isEnabled()  # what a physics lead does


@pytest.mark.parametrize(("role", "may_edit_cases", "may_dosimetry", "may_identify"), [
    ("admin", True, True, True), ("coordinator", True, False, True), ("physics", False, True, False),
    ("reviewer", False, False, False),
])
def test_controls_follow_the_role_and_say_who_may(qtbot, demo_db, role: str, may_edit_cases: bool,
                                                  may_dosimetry: bool, may_identify: bool) -> None:
    window = MainWindow(as_role(demo_db, role))
    qtbot.addWidget(window)
    window.as_of.set(AS_OF)
    window.show()
    settle(qtbot)
    register = window.enrollment_page
    assert register.new_button.isEnabled() is may_edit_cases
    register.undo_button.setEnabled(True)  # what the page does after a change: the role still decides
    assert register.undo_button.isEnabled() is may_edit_cases
    if not may_edit_cases:
        assert register.new_button.toolTip() == "Only a coordinator (CDA) or an administrator may change cases and data-entry sessions."
    dosimetry = window.page("Dosimetry")
    assert dosimetry.list.add_button.isEnabled() is may_dosimetry
    assert window.page("Reports").identified.isEnabled() is may_identify
    settings = window.page("Settings")
    assert settings.save_button.isEnabled() is (role == "admin")
    assert settings.users.table.isVisibleTo(settings) is (role == "admin")
    settle(qtbot)
    window.close()


def test_an_administrator_adds_a_user_who_must_change_the_first_password(qtbot, settled_window, monkeypatch) -> None:
    window: MainWindow = settled_window
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
    panel = window.page("Settings").users

    def fill(dialog) -> bool:  # type: ignore[no-untyped-def]
        dialog.name.setText("rosa")
        dialog.role.setCurrentIndex(dialog.role.findData("reviewer"))
        dialog.staff.setCurrentIndex(1)  # the first person of Staff & roles: a reviewer is someone of the facility
        dialog.password.first.setText("rosa's first pw")
        dialog.password.second.setText("rosa's first pw")
        return True

    panel.form_hook = fill
    panel.add()
    rows = {r.name: r for r in users.list_users(window.db)}
    assert rows["rosa"].role == "reviewer" and rows["rosa"].status == "must change password"
    assert any(panel.table.item(r, 0).text() == "rosa" for r in range(panel.table.rowCount()))


def test_audit_log_screen_says_the_chain_is_intact(qtbot, settled_window) -> None:
    window: MainWindow = settled_window
    window.show_area("Audit log")
    page = window.page("Audit log")
    settle(qtbot)
    assert page.integrity.text().startswith("✓ The audit log is intact")
    assert "signed by the people who made them" in page.integrity.text()


def test_audit_log_screen_names_an_entry_written_in_anothers_name(qtbot, tmp_path) -> None:
    from tests.gui.conftest import open_window
    from tests.support import ADMIN, create, raw_connection, reopen
    from tests.unit.test_insider_attacks import forge_entry

    path = tmp_path / "facility.sqlite3"
    create(path).dispose()
    conn = raw_connection(path)
    forge_entry(conn, ADMIN, "-", "-", "nothing happened")  # hashes and head recomputed, as the insider would
    conn.close()
    db = reopen(path)
    window = open_window(qtbot, db)
    window.show_area("Audit log")
    page = window.page("Audit log")
    settle(qtbot)
    assert page.integrity.text().startswith("⚠ The audit log was altered outside the app")
    window.close()
    db.dispose()


def test_a_stray_space_on_the_recovery_link_can_be_taken_back_by_keyboard(qtbot, demo_file) -> None:
    """The user name is filled in, so the password has the focus: Tab then Space reaches the
    recovery key by mistake. The same link then says "Back to the user name and password", and the
    password signs in as before."""
    from PySide6.QtCore import Qt

    from app.storage.database import sqlite_url
    from ui.sign_in import SignInDialog

    dialog = SignInDialog(sqlite_url(demo_file), "demo", user=ADMIN)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.use_recovery.setFocus()
    qtbot.keyClick(dialog.use_recovery, Qt.Key.Key_Space)
    assert dialog.recovery.isVisible() and not dialog.password.isEnabled()
    assert "Back" in dialog.use_recovery.text()
    qtbot.keyClicks(dialog.recovery, "pass 12345!")  # the password, typed where the recovery key goes
    dialog.try_sign_in()
    assert dialog.db is None and dialog.error.text().startswith("That recovery key is not right")
    qtbot.keyClick(dialog.use_recovery, Qt.Key.Key_Space)
    assert not dialog.recovery.isVisible() and dialog.password.isEnabled() and dialog.user.text() == ADMIN
    assert dialog.focusWidget() is dialog.password
    qtbot.keyClicks(dialog.password, PASSWORD)
    dialog.try_sign_in()
    assert dialog.db is not None and dialog.db.actor.name == ADMIN
    dialog.db.dispose()


def test_alt_b_takes_the_recovery_key_back_and_each_alt_letter_is_one_place(qtbot, demo_file) -> None:
    """The link back had Alt+U, the user name's own letter: with two places on one letter Qt only
    moves the focus between them, so Alt+U never went back (found driving the window by keyboard)."""
    import re

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QAbstractButton, QLabel

    from app.storage.database import sqlite_url
    from ui.sign_in import SignInDialog

    dialog = SignInDialog(sqlite_url(demo_file), "demo", user=ADMIN)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    dialog.show_recovery()
    qtbot.waitUntil(dialog.recovery.hasFocus)
    letters = [m.group(1).lower() for kind in (QAbstractButton, QLabel) for w in dialog.findChildren(kind) if w.isVisible()
               for m in [re.search(r"&([^&])", w.text())] if m]
    assert len(letters) == len(set(letters)), letters
    qtbot.keyClick(dialog, Qt.Key.Key_B, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: not dialog.recovery.isVisible(), timeout=2000)
    assert dialog.password.isEnabled() and dialog.password.hasFocus()


def test_declining_the_first_password_change_goes_back_to_signing_in_not_out(qtbot, db, db_path, monkeypatch) -> None:
    """Cancel on the forced change: the window stays, covered, asking who signs in; the same
    person signing in again is asked again, and may then work."""
    from app.services import users as user_service
    from tests.support import reopen
    from ui.sign_in import ChangePasswordDialog

    user_service.add_user(db, "rosa", "coordinator", "rosa's first pw")
    rosa = reopen(db_path, "rosa", "rosa's first pw")
    assert rosa.actor.must_change_password
    asked: list[bool] = []

    def answer(dialog) -> int:  # type: ignore[no-untyped-def]
        asked.append(True)
        return 0 if len(asked) == 1 else 1  # declined, then (after signing in again) changed

    monkeypatch.setattr(ChangePasswordDialog, "exec", answer)
    signed_in_again: list[bool] = []

    def sign_in_again(dialog: LockDialog) -> None:
        signed_in_again.append(True)
        dialog.password.setText("rosa's first pw")
        dialog.try_unlock()

    when_locked(qtbot, sign_in_again)
    window = MainWindow(rosa)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: len(asked) == 2, timeout=10000)
    assert signed_in_again and window.isVisible() and window.db is rosa
    from sqlalchemy import select

    from app.storage.models import AuditEntry

    with rosa.reader() as session:  # the audit log says why the window locked
        notes = list(session.scalars(select(AuditEntry.summary).where(AuditEntry.action == "note")))
    assert "window locked (first password not changed)" in notes
    rosa.dispose()
