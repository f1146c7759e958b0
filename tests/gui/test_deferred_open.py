"""The window appears before SQLAlchemy loads and the database opens, then fills in; a database
that cannot be opened still ends in one clear dialog and exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.security.signin import sign_in
from app.storage.database import Database, DatabaseError, sqlite_url
from tests.support import ADMIN, PASSWORD, reopen
from ui.main_window import AREAS, MainWindow

from .conftest import settle

ROOT = Path(__file__).resolve().parents[2]


def test_the_window_shows_every_area_before_the_database_opens(qtbot, demo_file: Path) -> None:
    seen: dict[str, object] = {}

    def opener() -> Database:
        seen.update(visible=window.isVisible(), areas=window.nav.count(), status=window.status_label.text(),
                    title=window.windowTitle(), on_screen=bool(shown))
        return reopen(demo_file)

    window = MainWindow.opening(opener, str(demo_file))
    qtbot.addWidget(window)
    shown: list[bool] = []
    window.on_screen.connect(lambda: shown.append(True))
    window.show()
    assert window.db is None and window.pages == {}
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == [name for name, _ in AREAS]
    assert window.status_label.text() == f"Opening {demo_file}…"
    assert str(demo_file) in window.about_text()
    window.show_case("MRQ-0000001")  # jumps that need a page do nothing yet instead of failing
    window.show_area("Findings")  # chosen while opening: remembered, built once the database is open
    assert window.stack.currentIndex() == [n for n, _ in AREAS].index("Findings") and window.pages == {}
    with qtbot.waitSignals([window.opened, window.ready], timeout=20000):
        pass
    assert seen == {"visible": True, "areas": len(AREAS), "status": f"Opening {demo_file}…",
                    "title": "MROQC Facility Desk", "on_screen": True}
    assert "MROQC Facility Desk — Lakeside" in window.windowTitle()
    assert window.status_label.text() == (f"{window.facility_name}  ·  {demo_file}  ·  "
                                          f"Signed in as {ADMIN} (administrator)")
    assert list(window.pages) == ["Findings"] and window.stack.currentWidget() is window.pages["Findings"]
    window.show_area("Dashboard")
    assert window.stack.currentWidget() is window.pages["Dashboard"]
    settle(qtbot)
    window.close()
    window.db.dispose()


def test_a_failing_opener_leaves_an_empty_window_that_says_so(qtbot) -> None:
    def opener() -> Database:
        raise DatabaseError("x.sqlite3 is damaged and cannot be read; restore a backup.")

    window = MainWindow.opening(opener, "x.sqlite3")
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.open_failed, timeout=5000) as failed:
        pass
    assert isinstance(failed.args[0], DatabaseError)
    assert window.db is None and window.status_label.text() == "Could not open x.sqlite3"
    window.show_area("Enrollment")  # no database: nothing to build, nothing to crash
    assert window.pages == {} and window.built("Enrollment") is None


def test_a_window_that_is_not_shown_opens_its_database_anyway(qtbot, demo_file: Path) -> None:
    window = MainWindow.opening(lambda: reopen(demo_file), str(demo_file))
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.ready, timeout=20000):
        pass  # never painted: it does not wait for a paint that will not come
    assert window.db is not None and list(window.pages) == ["Dashboard"]
    settle(qtbot)
    window.db.dispose()


@pytest.fixture
def gui_run(qtbot, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """run_gui inside the test's QApplication: dialogs recorded, the exception hook restored, and a
    safety timer so a hang fails the test instead of blocking it."""
    from ui import application

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    dialogs: list[tuple[object, str, str]] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: dialogs.append((parent, title, text)))

    def run(url: str, *, dialog: bool = False) -> int:
        """``dialog``: sign in through the sign-in dialog (else as with --password-stdin)."""
        guard = QTimer()
        guard.setSingleShot(True)
        guard.timeout.connect(lambda: QApplication.exit(99))
        guard.start(30000)
        try:
            signer = None if dialog else (lambda u: sign_in(u, ADMIN, PASSWORD))
            return application.run_gui(url, sign_in=signer)
        finally:
            guard.stop()

    run.dialogs = dialogs  # type: ignore[attr-defined]
    return run


def test_run_gui_on_an_unusable_file_shows_one_dialog_and_exits_2(gui_run, tmp_path: Path, capfd) -> None:
    bad = tmp_path / "notes.sqlite3"
    bad.write_bytes(b"these are not the tables you are looking for" * 20)
    assert gui_run(sqlite_url(bad)) == 2
    assert gui_run.dialogs == [
        (None, "Cannot open the database",
         f"{bad} is not an MROQC Facility Desk database, or its key file notes.sqlite3.keys is missing "
         "(restore a backup); it was left untouched.")]
    assert "Traceback" not in capfd.readouterr().err


def test_run_gui_asks_who_signs_in_and_a_wrong_password_is_asked_again(gui_run, demo_file: Path,
                                                                       monkeypatch) -> None:
    from ui import application
    from ui.sign_in import SignInDialog

    attempts: list[str] = []

    def exec_(dialog: SignInDialog) -> int:
        for password in ("not the password", PASSWORD):
            dialog.user.setText(ADMIN)
            dialog.password.setText(password)
            dialog.try_sign_in()
            attempts.append(dialog.error.text() if dialog.db is None else "signed in")
            if dialog.db is not None:
                return 1
        return 0

    monkeypatch.setattr(SignInDialog, "exec", exec_)
    monkeypatch.setenv(application.QUIT_AFTER_ENV, "1")
    assert gui_run(sqlite_url(demo_file), dialog=True) == 0
    assert attempts == ["The user name or password is not right.", "signed in"]


def test_closing_the_sign_in_dialog_ends_quietly(gui_run, demo_file: Path, monkeypatch) -> None:
    from ui.sign_in import SignInDialog

    monkeypatch.setattr(SignInDialog, "exec", lambda dialog: 0)
    assert gui_run(sqlite_url(demo_file), dialog=True) == 0
    assert gui_run.dialogs == []


def test_run_gui_on_an_unexpected_failure_logs_it_and_exits_3(gui_run, demo_file: Path, monkeypatch, caplog,
                                                              capfd) -> None:
    import app.security.signin as signin

    def broken(url: str, **_options: object) -> Database:
        raise RuntimeError("the disk went away\nsecond line")

    monkeypatch.setattr(signin, "open_database", broken)
    with caplog.at_level("ERROR", logger="ui.application"):
        assert gui_run(sqlite_url(demo_file)) == 3
    [(parent, title, text)] = gui_run.dialogs
    assert title == "Cannot open the database" and text.startswith("the disk went away.\n\nThe details are in the log")
    assert "Traceback" in caplog.text  # for support, in the log file
    assert "Traceback" not in capfd.readouterr().err


def test_quit_after_waits_for_the_database_and_the_first_page(gui_run, demo_file: Path, monkeypatch) -> None:
    from ui import application

    built: list[str] = []
    real = MainWindow._make_page

    def spy(self: MainWindow, name: str):  # type: ignore[no-untyped-def]
        built.append(name)
        return real(self, name)

    monkeypatch.setattr(MainWindow, "_make_page", spy)
    monkeypatch.setenv(application.QUIT_AFTER_ENV, "1")
    assert gui_run(sqlite_url(demo_file)) == 0
    assert built == ["Dashboard"] and gui_run.dialogs == []


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **env})


def test_the_window_modules_do_not_import_sqlalchemy() -> None:
    result = _run("import sys, ui.main_window, ui.application; "
                  "assert 'sqlalchemy' not in sys.modules, 'sqlalchemy imported'")
    assert result.returncode == 0, result.stderr


def test_the_window_is_on_screen_before_sqlalchemy_is_imported(demo_file: Path, tmp_path: Path) -> None:
    code = f"""
import os, sys
from ui.application import Session, make_app
app = make_app()
def signed_in(url):  # SQLAlchemy loads here, once the window is on screen
    from app.security.signin import sign_in
    return sign_in(url, {ADMIN!r}, {PASSWORD!r})
window = Session().show_opening({sqlite_url(demo_file)!r}, sign_in=signed_in)
def on_screen():
    print("on screen; sqlalchemy loaded:", "sqlalchemy" in sys.modules, "areas:", window.nav.count(), flush=True)
window.on_screen.connect(on_screen)
window.ready.connect(lambda: (print("ready:", window.windowTitle(), flush=True), os._exit(0)))
app.exec()
"""
    result = _run(code, MROQC_DESK_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"on screen; sqlalchemy loaded: False areas: {len(AREAS)}",
                                          "ready: MROQC Facility Desk — Lakeside Regional Cancer Center (demo)"]


def test_the_sign_in_dialog_is_on_screen_before_sqlalchemy_is_imported(demo_file: Path, tmp_path: Path) -> None:
    """The dialog is painted over the window without SQLAlchemy (~0.3 s of imports), which loads
    right after, while the person types (``SignInDialog.preload``); the sign-in goes on as before.
    Nor has PySide built its ``Qt`` namespace by then (~95 enums at once, ~25 ms: ``ui.sign_in``'s
    note), nor installed the rows' copying, whose first events did as much again (``copy_rows``)."""
    code = f"""
import os, sys, time
from ui.application import Session, make_app
from ui.sign_in import SignInDialog
app = make_app(version=False)
painted = SignInDialog.paintEvent
def first_paint(dialog, event):
    if not getattr(dialog, "seen", False):
        dialog.seen = True
        print("painted; sqlalchemy loaded:", "sqlalchemy" in sys.modules, flush=True)
        print("Qt namespace built:", "Qt" in vars(sys.modules["PySide6.QtCore"]),
              "rows copied:", bool(app.property("mroqc_copy_rows")), flush=True)
    painted(dialog, event)
SignInDialog.paintEvent = first_paint
def exec_(dialog):
    dialog.show()
    typing = time.monotonic() + 60
    while not dialog.preloaded and time.monotonic() < typing:  # the person types
        app.processEvents()
    print("preloaded; sqlalchemy loaded:", "sqlalchemy" in sys.modules, flush=True)
    dialog.user.setText({ADMIN!r})
    dialog.password.setText({PASSWORD!r})
    dialog.try_sign_in()
    return int(dialog.db is not None)
SignInDialog.exec = exec_
window = Session().show_opening({sqlite_url(demo_file)!r})
window.ready.connect(lambda: (print("ready:", window.windowTitle(), flush=True), os._exit(0)))
app.exec()
"""
    result = _run(code, MROQC_DESK_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["painted; sqlalchemy loaded: False",
                                          "Qt namespace built: False rows copied: False",
                                          "preloaded; sqlalchemy loaded: True",
                                          "ready: MROQC Facility Desk — Lakeside Regional Cancer Center (demo)"]
