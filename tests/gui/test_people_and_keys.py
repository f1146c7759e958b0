"""Settings → Users: an account belongs to a person of Staff & roles; a waiting certificate is
issued only with the code the person's own window shows; the database key is changed from the
window, which then asks to sign in again; what a sign-in found wrong is said at once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtWidgets import QInputDialog

from app.domain.records import StaffRecord
from app.services import staff, users
from tests.gui.conftest import recorded_messages, settle
from tests.support import ADMIN, PASSWORD, create, reopen
from ui.users import UsersPanel


@pytest.fixture
def facility(tmp_path: Path) -> Path:
    path = tmp_path / "facility.sqlite3"
    db = create(path)
    from app.services.facility import FacilityDetails, save_facility

    save_facility(db, FacilityDetails(name="Lakeside"), today=dt.date(2026, 12, 7))
    staff.save_staff(db, StaffRecord(staff_id="S-002", name="Cy Physicist", profession="physicist"))
    db.dispose()
    return path


@pytest.fixture
def said(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return recorded_messages(monkeypatch)


def test_a_new_account_is_linked_to_its_person(qtbot, facility: Path, said: list[str]) -> None:
    db = reopen(facility)
    panel = UsersPanel(db)
    qtbot.addWidget(panel)
    answers = iter([("cy", "physics", None), ("cy", "physics", "S-002")])

    def fill(dialog) -> bool:  # type: ignore[no-untyped-def]
        try:
            name, role, person = next(answers)
        except StopIteration:
            return False
        dialog.name.setText(name)
        dialog.role.setCurrentIndex(dialog.role.findData(role))
        dialog.staff.setCurrentIndex(dialog.staff.findData(person))
        dialog.password.first.setText("cy's first password")
        dialog.password.second.setText("cy's first password")
        return True

    panel.form_hook = fill
    panel.add()
    assert any("Choose the person" in s for s in said)  # a physics lead must be someone of Staff & roles
    row = next(r for r in panel.rows if r.name == "cy")
    assert row.staff_id == "S-002" and row.certificate == "issued"
    column = [panel.table.horizontalHeaderItem(c).text() for c in range(panel.table.columnCount())]
    line = [panel.table.item(panel.rows.index(row), c).text() for c in range(panel.table.columnCount())]
    assert line[column.index("Person in Staff & roles")] == "Cy Physicist (S-002)"
    assert "fingerprint" in panel.mine.text()  # the administrator's own certificate
    db.dispose()


def test_a_waiting_certificate_is_issued_only_with_the_persons_code(qtbot, facility: Path, said: list[str],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # an account from before keys: its slot has no keys, so its first sign-in asks for a certificate
    from app.security.keyfile import KeyFile, key_file_for, user_slot
    from tests.support import database_key

    db = reopen(facility)
    users.add_user(db, "old", "coordinator", "old's first password 1", staff_id="S-002")
    db.dispose()
    keys = KeyFile.load(key_file_for(facility))
    keys.wrap(user_slot("old"), "old's first password 1", database_key(facility))  # a slot without boxes
    keys.save()
    old = reopen(facility, "old", "old's first password 1")
    state, code = users.my_certificate(old)
    assert state == "waiting" and code
    old.dispose()
    admin = reopen(facility)
    panel = UsersPanel(admin)
    qtbot.addWidget(panel)
    panel.table.selectRow(next(i for i, r in enumerate(panel.rows) if r.name == "old"))
    assert panel.issue_button.isEnabled()
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("0000-0000-0000-0000", True))
    panel.issue()
    assert any("does not match" in s for s in said)  # a wrong code: not issued
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (code.lower(), True))
    panel.issue()
    assert next(r for r in panel.rows if r.name == "old").certificate == "issued"
    admin.dispose()


def test_the_window_changes_the_database_key_and_asks_to_sign_in_again(qtbot, facility: Path, said: list[str],
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import ui.rekey as rekey
    from app.security.keyfile import KeyFile, key_file_for
    from app.security.signin import sign_in
    from app.storage.database import sqlite_url
    from ui.application import Session
    from ui.sign_in import RecoveryKeyDialog

    shown: list[str] = []
    monkeypatch.setattr(RecoveryKeyDialog, "exec", lambda dialog: shown.append(dialog.key.text()) or 1)
    monkeypatch.setattr(rekey, "ask_sign_in", lambda _w, url, _n, user=None: sign_in(url, ADMIN, PASSWORD))
    old_keys = KeyFile.load(key_file_for(facility))
    session = Session()
    window = session.show(reopen(facility))
    qtbot.addWidget(window)
    settle(qtbot)
    window.rekey()
    qtbot.waitUntil(lambda: session.window is not window and session.window.db is not None, timeout=20000)
    qtbot.addWidget(session.window)
    assert shown and any("database key was changed" in s for s in said)
    assert old_keys.unwrap("user:" + ADMIN, PASSWORD) != session.window.db.key  # the old slot's key is no more
    session.close()
    assert sign_in(sqlite_url(facility), ADMIN, PASSWORD).dispose() is None


def test_an_alarm_found_at_sign_in_is_said_at_once(qtbot, facility: Path, said: list[str]) -> None:
    from tests.gui.conftest import open_window

    db = reopen(facility)
    db.alarms.append("the audit log no longer holds entry 12, which dana saw last")
    window = open_window(qtbot, db)
    qtbot.waitUntil(lambda: any("changed outside the app" in s for s in said), timeout=3000)
    assert any("entry 12" in s for s in said)
    window.close()
    db.dispose()


@pytest.mark.pg
def test_on_a_shared_database_the_administrator_gives_logins_through_the_server(qtbot, pg_url, said) -> None:
    """Settings → Users on a shared database: a first password makes the person's own server login;
    a hospital account attaches the directory's login instead (no first password)."""
    import psycopg

    from app.security.server_signin import sign_in_directory
    from app.storage.server_names import ServerNames

    db = create(pg_url)
    staff.save_staff(db, StaffRecord(staff_id="S-002", name="Cy Physicist", profession="physicist"))
    staff.save_staff(db, StaffRecord(staff_id="S-003", name="Dee Reviewer", profession="physician"))
    names = ServerNames.of_url(pg_url)
    directory_login = f"{names.prefix}.dir-dee"  # (made for the test; a directory's account in real life)
    panel = UsersPanel(db)
    qtbot.addWidget(panel)
    answers = iter([("cy", "physics", "S-002", ""), ("dee", "reviewer", "S-003", directory_login)])

    def fill(dialog) -> bool:  # type: ignore[no-untyped-def]
        try:
            name, role, person, login = next(answers)
        except StopIteration:
            return False
        assert dialog.directory.isVisibleTo(dialog)  # offered on a shared database
        dialog.name.setText(name)
        dialog.role.setCurrentIndex(dialog.role.findData(role))
        dialog.staff.setCurrentIndex(dialog.staff.findData(person))
        dialog.directory.setText(login)
        if not login:
            dialog.password.first.setText("cy's first password")
            dialog.password.second.setText("cy's first password")
        return True

    panel.form_hook = fill
    panel.add()
    panel.add()
    try:
        assert {r.name for r in panel.rows} >= {"cy", "dee"}
        with psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True) as conn:
            groups = dict(conn.execute(
                "SELECT r.rolname, g.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
                "JOIN pg_roles g ON g.oid = m.roleid WHERE r.rolname IN (%s, %s)",
                (names.login("cy"), directory_login)).fetchall())
        assert groups == {names.login("cy"): names.group("physics"), directory_login: names.group("reviewer")}
        url = pg_url.replace("postgres@", f"{directory_login}@")
        dee = sign_in_directory(url)
        try:
            assert dee.actor.name == "dee" and dee.actor.role == "reviewer"
        finally:
            dee.dispose()
        from PySide6.QtCore import Qt

        from ui.sign_in import SignInDialog

        dialog = SignInDialog(url, "the shared database")  # the sign-in dialog's own way in
        qtbot.addWidget(dialog)
        assert dialog.use_directory.isVisibleTo(dialog)
        qtbot.mouseClick(dialog.use_directory, Qt.MouseButton.LeftButton)
        assert dialog.db is not None and dialog.db.actor.name == "dee"
        dialog.db.dispose()
    finally:
        db.dispose()
