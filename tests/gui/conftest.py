"""GUI tests: one QApplication (pytest-qt), offscreen, a demo database per module."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from app.demo.generator import DemoOptions, generate_demo
from app.storage.database import Database
from tests.support import reopen
from tests.template import copy_of

AS_OF = dt.date(2025, 6, 30)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(item):  # type: ignore[no-untyped-def]
    """pytest-qt closes every widget a test registered; a window the app itself has let go of
    since (File → Open, a restore, a re-key: ``ui.application.let_go``) is already deleted, and
    closing it again would fail the test. Such a window counts as gone."""
    import shiboken6

    def alive(ref):  # type: ignore[no-untyped-def]
        return lambda: (w if (w := ref()) is not None and shiboken6.isValid(w) else None)

    widgets = getattr(item, "qt_widgets", None)
    if widgets:
        item.qt_widgets = [(alive(ref), before) for ref, before in widgets]
    return (yield)


@pytest.fixture(scope="module", autouse=True)
def _collect_on_gui_thread(qapp):  # type: ignore[no-untyped-def]
    """Cycles collected on the GUI thread only, as the app has it (``ui.application.make_app``,
    ``ui.collector``): otherwise a background job's thread could collect a closed window's widgets
    and crash the process, as it once did here. Automatic collection is back after the module, for
    the test files without Qt that the same worker runs next."""
    from ui.collector import GuiThreadCollector

    collector = GuiThreadCollector(qapp)
    yield
    collector.stop()
    collector.setParent(None)


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh copy per module of the demo built once per test process (``tests.template``)."""
    path = tmp_path_factory.mktemp("gui") / "demo.sqlite3"
    copy_of(path, "gui-demo", lambda db: generate_demo(db, DemoOptions(years=3, seed=3, as_of=AS_OF))).dispose()
    return path


@pytest.fixture
def demo_db(demo_file: Path) -> Database:
    """The demo facility, signed in as its administrator (``tests.support.as_role`` for other roles)."""
    db = reopen(demo_file)
    yield db
    db.dispose()


def settle(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Let background jobs (evaluations, previews) finish and their results reach the widgets."""
    from ui.workers import pending, pool

    for _ in range(3):  # a change reaches the hub queued, which may start a job, whose result is queued
        pool().waitForDone(60000)
        qtbot.wait(30)
    deadline = time.monotonic() + 60
    while pending() and time.monotonic() < deadline:  # a result that queued the next job (the Dashboard's
        pool().waitForDone(60000)  # tiles, then its chart, then its readiness tile), until the last is in
        qtbot.wait(10)


@pytest.fixture
def settled_window(qtbot, demo_db: Database):  # type: ignore[no-untyped-def]
    """The main window on the demo facility at ``AS_OF``, shown, with its first evaluation done."""
    return open_window(qtbot, demo_db)


def open_window(qtbot, db: Database, at: dt.date = AS_OF):  # type: ignore[no-untyped-def]
    """The main window on ``db`` at ``at``, shown, with its first evaluation done."""
    from ui.main_window import MainWindow

    w = MainWindow(db)
    qtbot.addWidget(w)
    w.as_of.set(at)
    w.show()
    settle(qtbot)
    return w


@pytest.fixture
def recovery_keys(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The recovery keys the window showed (its dialog answered as a person who wrote it down)."""
    from ui.sign_in import RecoveryKeyDialog

    shown: list[str] = []

    def exec_(dialog: RecoveryKeyDialog) -> int:
        shown.append(dialog.key.text())
        dialog.kept.setChecked(True)
        assert dialog.ok.isEnabled()
        dialog.accept()
        return 1

    monkeypatch.setattr(RecoveryKeyDialog, "exec", exec_)
    return shown


def recorded_messages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Information, warning and critical boxes recorded as "title: text" instead of shown: what
    the person was told, for a test to read."""
    from PySide6.QtWidgets import QMessageBox

    said: list[str] = []
    for kind in ("information", "warning", "critical"):
        monkeypatch.setattr(QMessageBox, kind, lambda _p, title, text, *a, **k: said.append(f"{title}: {text}"))
    return said


def type_administrator(qtbot, dialog, name: str = "dana", password: str = "dana's password 1") -> None:  # type: ignore[no-untyped-def]
    """Fill the first-run account: the administrator's name and password typed twice."""
    dialog.admin.clear()
    qtbot.keyClicks(dialog.admin, name)
    qtbot.keyClicks(dialog.password.first, password)
    qtbot.keyClicks(dialog.password.second, password)
