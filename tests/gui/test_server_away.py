"""The window starting on a shared database whose server is away: the server-away dialog (not an
exit) says which server and what failed in plain words, retries by itself and on Retry, opens a
local file meanwhile, or takes a changed address, remembered only after an administrator signed in."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from app.security.signin import sign_in
from app.services import users
from app.storage.database import Database
from tests.gui.conftest import settle
from tests.support import ADMIN, PASSWORD, cli, create
from ui import application, server_away
from ui.application import Session
from ui.settings_file import remember_shared_url, remembered_shared_url
from ui.sign_in import SignInDialog

CLOSED = "postgresql+psycopg://postgres@127.0.0.1:1/mroqc"  # nothing listens on port 1


@pytest.fixture
def boxes(monkeypatch) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """The message boxes shown (none is expected to end the app here)."""
    shown: dict[str, list[str]] = {"critical": [], "warning": [], "information": []}
    for kind in shown:
        monkeypatch.setattr(QMessageBox, kind, lambda *args, k=kind: shown[k].append(str(args[2])) or 0)
    return shown


class SignIns:
    """The sign-in dialogs answered as ``user`` with ``password`` would; ``urls`` they were for."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.user, self.password = ADMIN, PASSWORD

    def exec_(self, dialog: SignInDialog) -> int:
        self.urls.append(dialog.url)
        dialog.user.setText(self.user)
        dialog.password.setText(self.password)
        dialog.try_sign_in()
        return 1 if dialog.db is not None else 0


@pytest.fixture
def signs_in(monkeypatch) -> SignIns:  # type: ignore[no-untyped-def]
    answers = SignIns()
    monkeypatch.setattr(SignInDialog, "exec", lambda dialog: answers.exec_(dialog))
    return answers


def drive_away_dialog(monkeypatch, qtbot, steps):  # type: ignore[no-untyped-def]
    """Answer every server-away dialog with ``steps(dialog)`` (shown, so its retries report back);
    returns the dialogs seen."""
    seen: list[server_away.ServerAwayDialog] = []

    def exec_(dialog: server_away.ServerAwayDialog) -> int:
        seen.append(dialog)
        qtbot.addWidget(dialog)
        dialog.show()
        steps(dialog)
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=15000)
        return dialog.result()

    monkeypatch.setattr(server_away.ServerAwayDialog, "exec", exec_)
    return seen


def start(qtbot, url: str):  # type: ignore[no-untyped-def]
    """The window as the app starts it on ``url`` (opening after it is on screen)."""
    session = Session()
    window = session.show_opening(url)
    qtbot.addWidget(window)
    return session, window


def opened(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """Until the window has its database and its first page (its background work done)."""
    qtbot.waitUntil(lambda: window.db is not None and window._ready, timeout=20000)
    settle(qtbot)


def _wait_out(qtbot, dialog) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: not dialog._trying, timeout=15000)


def test_a_server_that_does_not_answer_is_said_plainly_and_retried(qtbot, monkeypatch, boxes) -> None:
    texts: dict[str, object] = {}

    def steps(dialog: server_away.ServerAwayDialog) -> None:
        texts["server"] = dialog.server.text()
        texts["reason"] = dialog.reason.text()
        texts["advice"] = dialog.advice.text()
        texts["countdown"] = dialog.countdown.text()
        qtbot.mouseClick(dialog.retry_button, Qt.MouseButton.LeftButton)  # Retry now
        assert dialog.countdown.text() == "Trying again now…"
        _wait_out(qtbot, dialog)
        texts["after retry"] = (dialog.attempts, dialog.reason.text(), dialog.isVisible())
        dialog.retry_seconds = 1  # the automatic retry, without waiting half a minute
        dialog._count_from_start()
        assert dialog.countdown.text() == "Trying again in 1 second…"
        qtbot.waitUntil(lambda: dialog.attempts == 2, timeout=5000)
        _wait_out(qtbot, dialog)
        texts["countdown again"] = dialog.countdown.text()
        qtbot.mouseClick(dialog.quit_button, Qt.MouseButton.LeftButton)

    seen = drive_away_dialog(monkeypatch, qtbot, steps)
    exits: list[int] = []  # the app's exit, recorded (outside app.exec it would end every later event loop)
    monkeypatch.setattr(application.QApplication, "exit", lambda code=0: exits.append(code))
    _session, window = start(qtbot, CLOSED)
    qtbot.waitUntil(lambda: bool(seen) and not seen[0].isVisible() and bool(exits), timeout=20000)

    assert "127.0.0.1:1" in texts["server"] and "mroqc" in texts["server"]
    assert "The server 127.0.0.1:1 did not answer." in texts["reason"]
    assert "network" in texts["advice"]
    assert texts["countdown"] == "Trying again in 30 seconds…"  # the automatic retry, visible
    assert texts["after retry"] == (1, texts["reason"], True)  # tried again, still away, still asking
    assert texts["countdown again"].startswith("Trying again in")
    for shown in (texts["server"], texts["reason"], texts["advice"]):
        for driver in ("Connection refused", "connection failed", "FATAL", "Is the server running"):
            assert driver not in shown
    assert boxes["critical"] == [] and exits == [0]  # no "cannot open" dialog, no exit code 2: Quit ends quietly
    assert window.db is None


def test_open_another_database_works_on_a_local_file_meanwhile(qtbot, monkeypatch, boxes, signs_in,
                                                                demo_file: Path) -> None:
    monkeypatch.setattr(server_away.QFileDialog, "getOpenFileName", lambda *a, **k: (str(demo_file), ""))
    seen = drive_away_dialog(monkeypatch, qtbot, lambda d: qtbot.mouseClick(d.file_button, Qt.MouseButton.LeftButton))
    session, window = start(qtbot, CLOSED)
    opened(qtbot, window)
    assert len(seen) == 1 and seen[0].choice == "file"
    assert window.db.path == demo_file and window.db.actor.name == ADMIN
    assert signs_in.urls == [f"sqlite:///{demo_file}"]
    assert remembered_shared_url() is None  # the shared address is still the one to try next time
    assert boxes["critical"] == []
    session.close()


@pytest.fixture
def later_database():  # type: ignore[no-untyped-def]
    """The name of a database on the local server that does not exist yet (dropped afterwards)."""
    from tests.conftest import _pg_available

    if _pg_available():
        pytest.skip(_pg_available())
    name = f"mroqc_later_{uuid.uuid4().hex[:10]}"
    yield name, f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    from tests.conftest import drop_pg_database

    drop_pg_database(name)  # and the roles the app made for it


@pytest.mark.pg
def test_a_missing_database_has_its_own_reason_and_retry_opens_it_once_it_is_there(
        qtbot, monkeypatch, boxes, signs_in, later_database) -> None:
    name, url = later_database
    reasons: list[str] = []

    def steps(dialog: server_away.ServerAwayDialog) -> None:
        reasons.append(dialog.reason.text())
        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # IT restores it meanwhile
        create(url).dispose()
        qtbot.mouseClick(dialog.retry_button, Qt.MouseButton.LeftButton)

    seen = drive_away_dialog(monkeypatch, qtbot, steps)
    session, window = start(qtbot, url)
    opened(qtbot, window)
    assert reasons == [f"<b>The database {name} does not exist on 127.0.0.1:5432.</b>"]
    assert seen[0].choice == "retry" and seen[0].attempts == 1
    assert _same_database(window.db.url, url) and signs_in.urls == [url]  # (as the person's own login)
    assert boxes["critical"] == []
    session.close()


@pytest.mark.pg
@pytest.mark.parametrize("role", ["admin", "coordinator"])
def test_a_changed_address_is_remembered_once_an_administrator_signed_in_there(
        qtbot, monkeypatch, boxes, signs_in, pg_url, role) -> None:
    from ui.join_shared import SharedDatabaseDialog

    db = create(pg_url)
    users.add_user(db, "cy", "coordinator", "a first password 2")
    db.dispose()
    cy = sign_in(pg_url, "cy", "a first password 2")
    users.change_own_password(cy, "a first password 2", "cy's own passphrase")
    cy.dispose()
    if role == "coordinator":
        signs_in.user, signs_in.password = "cy", "cy's own passphrase"
    remember_shared_url(CLOSED)
    new_address = f"{pg_url}?sslmode=disable"

    def change(dialog: SharedDatabaseDialog) -> int:
        assert dialog.form.host.text() == "127.0.0.1" and dialog.form.port.text() == "1"  # the old one, to correct
        dialog.form.full.setText(new_address)
        qtbot.mouseClick(dialog.go_button, Qt.MouseButton.LeftButton)
        return dialog.result()

    monkeypatch.setattr(SharedDatabaseDialog, "exec", change)
    drive_away_dialog(monkeypatch, qtbot, lambda d: qtbot.mouseClick(d.address_button, Qt.MouseButton.LeftButton))
    session, window = start(qtbot, CLOSED)
    opened(qtbot, window)
    assert _same_database(window.db.url, new_address)
    if role == "admin":
        assert remembered_shared_url() == new_address and boxes["information"] == []
    else:  # used this time only: a coordinator cannot point the workstation elsewhere for good
        assert remembered_shared_url() == CLOSED
        assert "this time" in boxes["information"][0]
    session.close()


def test_file_open_of_an_unreachable_shared_database_asks_instead_of_failing(qtbot, monkeypatch, boxes,
                                                                             demo_db: Database) -> None:
    session = Session()
    window = session.show(demo_db)
    qtbot.addWidget(window)
    seen = drive_away_dialog(monkeypatch, qtbot, lambda d: qtbot.mouseClick(d.quit_button, Qt.MouseButton.LeftButton))
    session.open_other(CLOSED)
    assert len(seen) == 1 and "did not answer" in seen[0].reason.text()
    assert session.window is window and window.db is demo_db  # still on the database it had
    assert boxes["warning"] == [] and boxes["critical"] == []


def test_the_command_line_says_the_same_reason_in_one_line(capsys) -> None:
    assert cli(["check", "--db-url", CLOSED]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("mroqc-desk: Cannot open the shared database: the server 127.0.0.1:1 did not answer.")
    assert "Connection refused" not in err[0]


def _same_database(opened: str, asked: str) -> bool:
    """The window opened the database the address names (signed in with the person's own login)."""
    from sqlalchemy.engine import make_url

    a, b = make_url(opened), make_url(asked)
    return (a.host, a.port, a.database) == (b.host, b.port, b.database)
