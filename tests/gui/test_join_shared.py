"""A second workstation joins the facility's shared database from the Welcome screen: the address
typed as parts, the encryption said in words, Test connection answering in plain words, then
signing in as an existing user there; the address is remembered and the window opens on it."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy.engine import make_url

from app.services.facility import FacilityDetails, save_facility
from app.storage.server_address import Encryption
from tests.support import ADMIN, PASSWORD, create, tables_at
from ui.first_run import FirstRunDialog
from ui.join_shared import Purpose, SharedDatabaseDialog
from ui.settings_file import remembered_shared_url
from ui.sign_in import SignInDialog

pytestmark = pytest.mark.pg


@pytest.fixture
def signs_in(monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    urls: list[str] = []

    def exec_(dialog: SignInDialog) -> int:
        urls.append(dialog.url)
        dialog.user.setText(ADMIN)
        dialog.password.setText(PASSWORD)
        dialog.try_sign_in()
        return 1 if dialog.db is not None else 0

    monkeypatch.setattr(SignInDialog, "exec", exec_)
    return urls


def fill(form, url: str, *, database: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """Type the local server's address as the parts a coordinator is given."""
    parts = make_url(url)
    form.host.setText(parts.host)
    form.port.setText(str(parts.port))
    form.database.setText(database or parts.database)
    form.account.setText(parts.username)
    form.encryption.setCurrentIndex(form.encryption.findData(Encryption.NONE))  # the local test server has no TLS


def test_a_second_workstation_joins_from_the_welcome_screen(qtbot, monkeypatch, pg_url, tmp_path, signs_in) -> None:
    facility = create(pg_url)
    save_facility(facility, FacilityDetails(name="Shared RO", joined_on=dt.date(2019, 1, 1)), today=dt.date(2025, 6, 30))
    facility.dispose()
    welcome = FirstRunDialog(tmp_path / "facility.sqlite3")
    qtbot.addWidget(welcome)
    results: list[str] = []

    def join(dialog: SharedDatabaseDialog) -> int:
        qtbot.addWidget(dialog)
        dialog.show()
        assert "Encrypted, and the server's certificate checked" in dialog.form.encryption.currentText()  # the default
        fill(dialog.form, pg_url)
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.test_button.isEnabled() and dialog.result_label.text() != "", timeout=15000)
        results.append(dialog.result_label.text())
        qtbot.mouseClick(dialog.go_button, Qt.MouseButton.LeftButton)
        return dialog.result()

    monkeypatch.setattr(SharedDatabaseDialog, "exec", join)
    qtbot.mouseClick(welcome.join_button, Qt.MouseButton.LeftButton)

    name = make_url(pg_url).database
    assert results == [f"Connected: {name} on 127.0.0.1:5432 is the facility's shared database. Sign in with your "
                       "user name there."]
    assert welcome.result() == 1 and welcome.db is not None and welcome.db.actor.name == ADMIN
    assert welcome.chosen_url == f"{pg_url}?sslmode=disable" == signs_in[0]
    assert remembered_shared_url() == welcome.chosen_url  # the next start opens it
    welcome.db.dispose()


def test_test_connection_says_what_is_wrong_in_plain_words(qtbot, pg_url, monkeypatch) -> None:
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: pytest.fail(f"no dialog expected: {a}"))
    dialog = SharedDatabaseDialog(Purpose.JOIN)
    qtbot.addWidget(dialog)
    dialog.show()

    def tested() -> str:
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.test_button.isEnabled() and "Connecting" not in dialog.result_label.text(),
                        timeout=15000)
        return dialog.result_label.text()

    fill(dialog.form, pg_url, database="no_such_facility")
    assert tested().startswith("The database no_such_facility does not exist on 127.0.0.1:5432.")
    dialog.form.port.setText("1")
    assert tested().startswith("The server 127.0.0.1:1 did not answer.")
    fill(dialog.form, pg_url)
    assert tested().startswith("Connected, but") and "empty" in dialog.result_label.text()  # nothing moved there yet
    qtbot.mouseClick(dialog.go_button, Qt.MouseButton.LeftButton)  # signing in to an empty database is refused ...
    assert dialog.isVisible() and "empty" in dialog.result_label.text()
    assert tables_at(pg_url) == []  # ... and joining never created anything there
    dialog.form.host.setText("db.hospital.org")
    dialog.form.encryption.setCurrentIndex(dialog.form.encryption.findData(Encryption.NONE))
    assert "unencrypted" in dialog.form.rule.text()  # the risk said as it is chosen
    dialog.form.full.setText("postgresql+psycopg://desk@db.hospital.org/mroqc")
    assert tested().startswith("The address does not ask for an encrypted connection")
    assert not dialog.form.host.isEnabled()  # the whole address wins over the parts
