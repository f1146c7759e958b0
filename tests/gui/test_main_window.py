"""The main window on a demo facility: navigation, the register, first-run setup, About."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

from app import __version__
from app.security.signin import sign_in_with_recovery_key
from app.services.facility import get_facility
from app.storage.database import sqlite_url
from tests.gui.conftest import type_administrator
from tests.support import reopen
from ui.first_run import FirstRunDialog
from ui.main_window import AREAS, MainWindow


@pytest.fixture
def window(qtbot, demo_db) -> MainWindow:
    w = MainWindow(demo_db)
    qtbot.addWidget(w)
    w.show()
    return w


def test_navigation_lists_every_area(window: MainWindow) -> None:
    names = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert names == [name for name, _ in AREAS] and len(names) == 13  # Data quality since 0.6.0
    window.show_area("Findings")
    assert window.stack.currentWidget() is window.pages["Findings"]
    assert "MROQC Facility Desk — Lakeside" in window.windowTitle()


def test_register_search_filter_and_sort(qtbot, window: MainWindow) -> None:
    page = window.enrollment_page
    total = page.model.rowCount()
    assert total > 1000 and page.count_label.text() == f"{total:,} cases"
    qtbot.keyClicks(page.search, "mrq-000010")
    qtbot.waitUntil(lambda: page.model.rowCount() == 10, timeout=3000)  # MRQ-0000100 … MRQ-0000109
    assert page.count_label.text() == "10 cases"
    page.search.clear()
    qtbot.waitUntil(lambda: page.model.rowCount() == total, timeout=3000)
    page.project.setCurrentIndex(page.project.findData("lung"))
    lung = page.model.rowCount()
    assert 0 < lung < total
    assert all(page.model.data(page.model.index(r, 1)) == "Lung" for r in range(min(lung, 50)))
    page.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    first = [page.model.data(page.model.index(r, 0)) for r in range(3)]
    assert first == sorted(first)
    page.table.scrollToBottom()
    assert page.model.cached_pages <= 8


def test_date_range_filter(qtbot, window: MainWindow) -> None:
    from PySide6.QtCore import QDate

    page = window.enrollment_page
    page.eligible_from.date.setDate(QDate(2025, 1, 1))
    page.eligible_to.date.setDate(QDate(2025, 1, 31))
    page.eligible_from.enabled.setChecked(True)
    page.eligible_to.enabled.setChecked(True)
    dates = {page.model.data(page.model.index(r, 3)) for r in range(page.model.rowCount())}
    assert dates and all("2025-01-01" <= d <= "2025-01-31" for d in dates)


def test_about_names_the_version(window: MainWindow, monkeypatch) -> None:
    shown = {}
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: shown.update(text=text))
    window.show_about()
    assert __version__ in shown["text"]


def test_first_run_creates_the_facility_database_and_its_administrator(qtbot, tmp_path: Path,
                                                                      recovery_keys) -> None:
    target = tmp_path / "facility.sqlite3"
    dialog = FirstRunDialog(target)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.name, "Harbor Radiation Oncology")
    dialog.oncologists.setValue(2)
    type_administrator(qtbot, dialog)
    dialog.create_button.click()
    assert dialog.chosen_url == sqlite_url(target)
    assert dialog.db is not None and dialog.db.actor.name == "dana" and dialog.db.actor.role == "admin"
    assert get_facility(dialog.db).name == "Harbor Radiation Oncology"
    dialog.db.dispose()
    assert len(recovery_keys) == 1  # shown once, before the window opens
    reopen(target, "dana", "dana's password 1").dispose()
    sign_in_with_recovery_key(sqlite_url(target), recovery_keys[0]).dispose()


def first_run_dialog(qtbot, target: Path, monkeypatch) -> tuple[FirstRunDialog, list[str]]:  # type: ignore[no-untyped-def]
    """The first-run dialog for ``target`` and the warnings it shows, recorded instead of shown."""
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: warnings.append(text))
    dialog = FirstRunDialog(target)
    qtbot.addWidget(dialog)
    return dialog, warnings


def test_first_run_refuses_a_short_password_and_creates_nothing(qtbot, tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "facility.sqlite3"
    dialog, warnings = first_run_dialog(qtbot, target, monkeypatch)
    qtbot.keyClicks(dialog.name, "Harbor Radiation Oncology")
    type_administrator(qtbot, dialog, password="short")
    dialog.create_button.click()
    assert warnings == ["A password needs at least 12 characters."]
    assert not target.exists() and dialog.chosen_url is None


def test_first_run_without_a_name_says_so_and_creates_nothing(qtbot, tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "facility.sqlite3"
    dialog, warnings = first_run_dialog(qtbot, target, monkeypatch)
    dialog.create_button.click()
    assert warnings == ["The facility needs a name."]
    assert not target.exists() and dialog.chosen_url is None


def test_first_run_demo_builds_in_the_background(qtbot, tmp_path: Path, monkeypatch, recovery_keys) -> None:
    import app.demo.generator as generator

    original = generator.generate_demo
    monkeypatch.setattr(generator, "generate_demo",
                        lambda db, options: original(db, generator.DemoOptions(patients=200, years=2, seed=1,
                                                                               as_of=options.as_of)))
    dialog = FirstRunDialog(tmp_path / "facility.sqlite3")
    qtbot.addWidget(dialog)
    type_administrator(qtbot, dialog)
    dialog.demo_button.click()
    assert not dialog.progress.isHidden() or dialog.chosen_url
    qtbot.waitUntil(lambda: dialog.chosen_url is not None, timeout=20000)
    assert dialog.chosen_url.endswith("demo-facility.sqlite3") and dialog.db.actor.name == "dana"
    dialog.db.dispose()
    assert recovery_keys


def test_a_screen_that_fails_to_open_says_so_and_is_retried(qtbot, window: MainWindow, monkeypatch, caplog) -> None:
    real = window._make_page

    def broken(name: str):  # type: ignore[no-untyped-def]
        if name == "Programs":
            raise RuntimeError("the programs table is missing")
        return real(name)

    monkeypatch.setattr(window, "_make_page", broken)
    with caplog.at_level("ERROR", logger="ui.main_window"):
        window.show_area("Programs")
    shown = window.stack.currentWidget()
    text = " ".join(label.text() for label in shown.findChildren(QLabel))
    assert "This screen could not be opened: the programs table is missing." in text
    assert "Your data is safe; the details are in the log file." in text
    assert "coming version" not in text
    assert "Programs" not in window.pages  # ui.screenshots counts on this to spot a failed screen
    assert "Traceback" in caplog.text and "the programs table is missing" in caplog.text
    window.show_area("Dashboard")
    monkeypatch.setattr(window, "_make_page", real)
    window.show_area("Programs")  # fixed meanwhile (a locked database freed): the next visit opens it
    assert window.stack.currentWidget() is window.pages["Programs"]
