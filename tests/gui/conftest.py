"""GUI tests: one QApplication (pytest-qt), offscreen, a demo database per module."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from app.demo.generator import DemoOptions, generate_demo
from app.storage.database import Database, open_database, sqlite_url

AS_OF = dt.date(2025, 6, 30)


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtCore import QSettings

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gui") / "demo.sqlite3"
    db = open_database(sqlite_url(path), create=True)
    generate_demo(db, DemoOptions(years=3, seed=3, as_of=AS_OF))
    db.dispose()
    return path


@pytest.fixture
def demo_db(demo_file: Path) -> Database:
    db = open_database(sqlite_url(demo_file))
    yield db
    db.dispose()


def settle(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Let background jobs (evaluations, previews) finish and their results reach the widgets."""
    from ui.workers import pool

    pool().waitForDone(60000)
    qtbot.wait(50)


@pytest.fixture
def settled_window(qtbot, demo_db: Database):  # type: ignore[no-untyped-def]
    """The main window on the demo facility at ``AS_OF``, shown, with its first evaluation done."""
    from ui.main_window import MainWindow

    w = MainWindow(demo_db)
    qtbot.addWidget(w)
    w.as_of.set(AS_OF)
    w.show()
    settle(qtbot)
    return w
