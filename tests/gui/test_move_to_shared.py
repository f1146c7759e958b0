"""Settings → Data → "Move to a shared database…": the administrator types the server's address and
their password, watches the copy, reads the verification table by table, keeps the shared
database's recovery key and opens it; a wrong password or a coordinator copies nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from app.domain.records import CaseRecord
from app.security.signin import sign_in, sign_in_with_recovery_key
from app.services import cases
from app.services.facility import FacilityDetails, save_facility
from app.services.moving import workstation_address
from tests.gui.conftest import AS_OF
from tests.support import ADMIN, PASSWORD, as_role, create, tables_at
from ui import moving
from ui.data_transfer import DataTransferPanel

pytestmark = pytest.mark.pg


@pytest.fixture
def facility(tmp_path):  # type: ignore[no-untyped-def]
    db = create(tmp_path / "here.sqlite3")
    save_facility(db, FacilityDetails(name="Moving RO", joined_on=dt.date(2019, 1, 1)), today=AS_OF)
    for n in range(30):
        cases.save_case(db, CaseRecord(case_id=f"M{n:02d}", project="lung", status="pending",
                                       eligible_on=AS_OF - dt.timedelta(days=n)))
    yield db
    db.dispose()



@pytest.fixture
def shown_keys(monkeypatch):  # type: ignore[no-untyped-def]
    keys: list[str] = []

    def exec_(dialog) -> int:  # type: ignore[no-untyped-def]
        keys.append(dialog.key.text())
        return 1

    monkeypatch.setattr(moving.RecoveryKeyDialog, "exec", exec_)
    shown_passwords.clear()

    def passwords_exec(dialog) -> int:  # type: ignore[no-untyped-def]
        table = dialog.table
        shown_passwords.append({table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())})
        return 1

    monkeypatch.setattr(moving.FirstPasswordsDialog, "exec", passwords_exec)
    return keys


shown_passwords: list[dict[str, str]] = []


def _dialog(qtbot, db):  # type: ignore[no-untyped-def]
    panel = DataTransferPanel(db)
    qtbot.addWidget(panel)
    assert panel.move_button.isEnabled()
    dialog = panel.move_to_shared()
    return panel, dialog


def test_the_administrator_moves_the_facility_and_opens_it(qtbot, facility, pg_url, shown_keys) -> None:
    panel, dialog = _dialog(qtbot, facility)
    qtbot.keyClicks(dialog.url, pg_url)
    qtbot.keyClicks(dialog.password, PASSWORD)
    seen: list[int] = []
    dialog._progress.moved.connect(lambda table, done, everything: seen.append(done))
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=30000)

    assert seen and seen[-1] == dialog.report.rows  # the progress bar reached the end
    assert dialog.table.rowCount() == len(dialog.report.tables) > 10
    verdicts = {dialog.table.item(r, 3).text() for r in range(dialog.table.rowCount())}
    assert verdicts == {"✓ matches"}
    assert "every table was verified" in dialog.status.text()
    assert dialog.password.text() == ""  # not kept in the dialog
    assert shown_keys and shown_keys[0]  # the shared database's recovery key, shown once
    assert shown_passwords == []  # (nobody else to hand a first password to)
    sign_in_with_recovery_key(pg_url, shown_keys[0]).dispose()
    people = workstation_address(pg_url)  # the address without the owner role in it
    shared = sign_in(people, ADMIN, PASSWORD)  # as herself, with the password she used here
    try:
        assert cases.get_case(shared, "M29").project == "lung"
    finally:
        shared.dispose()
    assert moving.remembered_shared_url() == people  # this workstation opens it from now on

    with qtbot.waitSignal(panel.open_requested, timeout=2000) as opened:
        assert dialog.open_button.isVisible()
        qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert opened.args == [people]


def test_the_others_get_a_first_password_each_shown_once(qtbot, facility, pg_url, shown_keys) -> None:
    from app.services import users

    users.add_user(facility, "cy", "coordinator", "cy's first password")
    _, dialog = _dialog(qtbot, facility)
    qtbot.keyClicks(dialog.url, pg_url)
    qtbot.keyClicks(dialog.password, PASSWORD)
    assert dialog.first_passwords.isChecked()  # the default: a first password each
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=30000)
    assert list(shown_passwords[-1]) == ["cy"] and "first password" in dialog.status.text()
    cy = sign_in(workstation_address(pg_url), "cy", shown_passwords[-1]["cy"])
    try:
        assert cy.actor.must_change_password  # she chooses her own at once
    finally:
        cy.dispose()


def test_a_wrong_password_copies_nothing(qtbot, facility, pg_url, shown_keys) -> None:
    _, dialog = _dialog(qtbot, facility)
    qtbot.keyClicks(dialog.url, pg_url)
    qtbot.keyClicks(dialog.password, "not my password at all")
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Nothing was copied" in dialog.status.text(), timeout=10000)
    assert dialog.copy_button.isEnabled() and dialog.report is None and not shown_keys
    assert tables_at(pg_url) == []


def test_an_address_that_is_not_a_server_is_refused_before_anything_runs(qtbot, facility, tmp_path) -> None:
    _, dialog = _dialog(qtbot, facility)
    qtbot.keyClicks(dialog.url, f"sqlite:///{tmp_path / 'other.sqlite3'}")
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert "PostgreSQL" in dialog.status.text() and not dialog.progress.isVisible()
    assert not (tmp_path / "other.sqlite3").exists()


def test_a_remembered_address_keeps_no_password(qtbot) -> None:
    moving.remember_shared_url("postgresql+psycopg://desk:secret@db.example.org/mroqc")
    assert moving.remembered_shared_url() == "postgresql+psycopg://desk@db.example.org/mroqc"


def test_only_an_administrator_sees_the_button_enabled(qtbot, facility) -> None:
    panel = DataTransferPanel(as_role(facility, "coordinator"))
    qtbot.addWidget(panel)
    assert not panel.move_button.isEnabled()
    assert "admin" in panel.move_button.toolTip().lower()


def test_the_workstation_opens_the_shared_database_from_then_on(qtbot, monkeypatch, tmp_path) -> None:
    from ui.application import choose_database

    monkeypatch.delenv("MROQC_DESK_DB_URL", raising=False)
    monkeypatch.setattr("ui.application.default_db_path", lambda: tmp_path / "none.sqlite3")
    moving.remember_shared_url("postgresql+psycopg://desk@db.example.org/mroqc")
    assert choose_database(None) == "postgresql+psycopg://desk@db.example.org/mroqc"
    monkeypatch.setenv("MROQC_DESK_DB_URL", "postgresql+psycopg://desk@other.example.org/mroqc")
    assert choose_database(None) == "postgresql+psycopg://desk@other.example.org/mroqc"
    assert choose_database("sqlite:///chosen.sqlite3") == "sqlite:///chosen.sqlite3"  # --db / --db-url win


def test_a_new_file_named_with_db_gets_the_first_run_setup_not_a_password(qtbot, tmp_path, monkeypatch) -> None:
    """``mroqc-desk --db new.sqlite3`` on a file not made yet: the Welcome setup for that file (it
    asked for a password, then said there was no database and named a command to type)."""
    from app.paths import sqlite_url
    from ui import first_run
    from ui.application import choose_database

    asked: list[object] = []

    def welcome(dialog: first_run.FirstRunDialog) -> int:
        asked.append(dialog.default_path)
        return 0  # the person closes it

    monkeypatch.setattr(first_run.FirstRunDialog, "exec", welcome)
    new = tmp_path / "new.sqlite3"
    assert choose_database(sqlite_url(new)) is None and asked == [new.resolve()]
    existing = tmp_path / "there.sqlite3"
    existing.write_bytes(b"")
    assert choose_database(sqlite_url(existing)) == sqlite_url(existing) and len(asked) == 1
