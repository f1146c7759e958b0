"""Settings → Data: a coordinator imports, exports and backs up in the window, not the command line.

File dialogs and message boxes are replaced by recorders, so each test drives the real buttons,
the real background jobs and the real ``app`` services, and reads what the user would be told.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.services.maintenance import restore_database, verify_database
from app.storage.database import Database, sqlite_url
from app.storage.models import AuditEntry, Case, Facility, Meeting, Staff
from app.workbook.exporter import export_workbook
from tests.gui.conftest import settle
from tests.support import ADMIN, PASSWORD
from ui import data_transfer
from ui.settings import SettingsPage

PHI_COLUMNS = {"mrn", "name", "birth_date"}


class Boxes:
    """Records every message box instead of showing it; questions and warnings answer ``answer``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, answer: QMessageBox.StandardButton) -> None:
        self.shown: list[tuple[str, str, str]] = []
        for kind in ("question", "information", "warning", "critical"):
            monkeypatch.setattr(QMessageBox, kind, self._recorder(kind, answer))

    def _recorder(self, kind: str, answer: QMessageBox.StandardButton) -> Any:
        def record(_parent: Any, title: str, text: str, *_args: Any, **_kwargs: Any) -> QMessageBox.StandardButton:
            self.shown.append((kind, title, text))
            return answer
        return record

    def texts(self, kind: str) -> list[str]:
        return [text for k, _, text in self.shown if k == kind]


@pytest.fixture
def boxes(monkeypatch: pytest.MonkeyPatch) -> Boxes:
    return Boxes(monkeypatch, QMessageBox.StandardButton.Yes)


def counts(db: Database) -> dict[str, int]:
    with db.reader() as s:
        return {model.__tablename__: s.scalar(select(func.count()).select_from(model))
                for model in (Facility, Staff, Case, Meeting, AuditEntry)}


def page_for(qtbot: Any, db: Database) -> SettingsPage:
    page = SettingsPage(db)
    qtbot.addWidget(page)
    page.show()
    return page


def open_file(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), data_transfer.WORKBOOK_FILTER))


def save_file(monkeypatch: pytest.MonkeyPatch, path: Path, chosen_filter: str = "Excel workbook (*.xlsx)") -> list:
    asked: list = []

    def answer(*args: Any, **_kwargs: Any) -> tuple[str, str]:
        asked.append(args)
        return str(path), chosen_filter
    monkeypatch.setattr(QFileDialog, "getSaveFileName", answer)
    return asked


def headers(path: Path, sheet: str) -> list[str]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [c for c in next(book[sheet].iter_rows(max_row=1, values_only=True)) if c is not None]
    finally:
        book.close()


def test_import_a_valid_workbook_into_an_empty_database(qtbot, demo_db, empty_db, tmp_path, monkeypatch, boxes) -> None:
    workbook = tmp_path / "lakeside.xlsx"
    export_workbook(demo_db, workbook, identified=True)
    page = page_for(qtbot, empty_db)
    assert page.name.text() == ""  # no facility yet
    open_file(monkeypatch, workbook)
    with qtbot.waitSignal(page.data_changed, timeout=120_000):
        page.data.import_button.click()
    settle(qtbot)
    confirm = boxes.texts("question")[0]
    assert "lakeside.xlsx" in confirm and "never deletes" in confirm and "IDs" in confirm
    expected, got = counts(demo_db), counts(empty_db)
    for table in ("facility", "staff", "cases", "meetings"):
        assert got[table] == expected[table] > 0, table
    assert got["audit_log"] > 0
    with empty_db.reader() as s:
        imported = select(AuditEntry).where(  # not the sign-in bookkeeping, nor the creation's certificates
            AuditEntry.table_name.not_in(("users", "facility_certificates", "user_certificates")))
        users = {e.user for e in s.scalars(imported)}
        change_sets = {e.change_set for e in s.scalars(imported)}
    assert users == {ADMIN} and len(change_sets) == 1  # one import by the signed-in user, one change set
    summary = boxes.texts("information")[0]
    assert summary.startswith("Imported lakeside.xlsx: added") and "cases" in summary
    assert page.name.text() == "Lakeside Regional Cancer Center (demo)"  # the page shows the imported facility
    assert not page.data.progress.isVisible() and page.data.import_button.isEnabled()


def test_a_bad_row_lists_every_problem_and_changes_nothing(qtbot, demo_db, db, tmp_path, monkeypatch, boxes) -> None:
    workbook = tmp_path / "bad.xlsx"
    export_workbook(demo_db, workbook)
    book = openpyxl.load_workbook(workbook)
    cases = book["cases"]
    project = [c.value for c in cases[1]].index("project") + 1
    cases.cell(row=3, column=project, value="skin")
    book.save(workbook)
    before = counts(db)
    page = page_for(qtbot, db)
    changed: list[bool] = []
    page.data_changed.connect(lambda: changed.append(True))
    open_file(monkeypatch, workbook)
    page.data.import_button.click()
    settle(qtbot)
    dialog = page.data.problems_dialog
    assert dialog is not None and dialog.isVisible()
    lines = dialog.text.toPlainText().splitlines()
    assert any(line.startswith("cases, 3, project: unknown value 'skin'") for line in lines), lines
    assert dialog.text.isReadOnly()
    assert "fix these rows in the workbook and import again" in dialog.advice.text()
    dialog.copy_button.click()
    assert "cases, 3, project: unknown value 'skin'" in QApplication.clipboard().text()
    assert counts(db) == before and not changed
    assert "Nothing was changed" in page.data.status.text()
    assert boxes.texts("information") == []
    dialog.close()


def test_a_folder_of_csv_files_imports_and_the_window_stays_responsive(qtbot, demo_db, empty_db, tmp_path,
                                                                        monkeypatch, boxes) -> None:
    folder = tmp_path / "csv"
    export_workbook(demo_db, folder)  # no ending: one CSV file per sheet
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    release = threading.Event()
    real_import = data_transfer.import_workbook

    def slow_import(db: Database, source: Path, **options: Any) -> Any:  # as_of: the quality it brought in
        release.wait(30)
        return real_import(db, source, **options)
    monkeypatch.setattr(data_transfer, "import_workbook", slow_import)
    page = page_for(qtbot, empty_db)
    page.data.import_folder_button.click()
    try:
        qtbot.wait(100)  # the GUI thread keeps running events while the job waits
        assert page.data.progress.isVisible() and not page.data.import_button.isEnabled()
        assert "Checking and importing csv" in page.data.status.text()
    finally:
        release.set()
    settle(qtbot)
    assert counts(empty_db)["cases"] == counts(demo_db)["cases"]
    assert "the folder “csv”" in boxes.texts("question")[0]
    assert not page.data.progress.isVisible()


def test_cancelling_the_confirmation_imports_nothing(qtbot, demo_db, empty_db, tmp_path, monkeypatch) -> None:
    boxes = Boxes(monkeypatch, QMessageBox.StandardButton.Cancel)
    workbook = tmp_path / "w.zip"
    export_workbook(demo_db, workbook)
    open_file(monkeypatch, workbook)
    page = page_for(qtbot, empty_db)
    page.data.import_button.click()
    settle(qtbot)
    assert counts(empty_db)["facility"] == 0 and len(boxes.shown) == 1


def test_a_database_error_is_explained_without_patient_values(qtbot, db, tmp_path, monkeypatch, boxes, caplog) -> None:
    def failing(*_args: Any, **_kwargs: Any) -> None:
        raise IntegrityError("INSERT INTO cases (mrn) VALUES (?)", {"mrn": "MRN-SECRET-42"},
                             Exception("UNIQUE constraint failed: cases.case_id"))
    monkeypatch.setattr(data_transfer, "import_workbook", failing)
    workbook = tmp_path / "w.xlsx"
    workbook.write_bytes(b"")
    open_file(monkeypatch, workbook)
    page = page_for(qtbot, db)
    with caplog.at_level(logging.DEBUG):
        page.data.import_button.click()
        settle(qtbot)
    warning = boxes.texts("warning")[0]
    assert "UNIQUE constraint failed: cases.case_id" in warning and "Nothing was changed" in warning
    assert "MRN-SECRET-42" not in warning and "Traceback" not in warning and "INSERT" not in warning
    assert "MRN-SECRET-42" not in caplog.text


def test_export_is_deidentified_unless_identifiers_are_asked_for(qtbot, demo_db, tmp_path, monkeypatch, boxes) -> None:
    page = page_for(qtbot, demo_db)
    panel = page.data
    assert not panel.identified.isChecked() and panel.identified_warning.isHidden()
    plain = tmp_path / "plain.xlsx"
    save_file(monkeypatch, plain)
    panel.export_button.click()
    settle(qtbot)
    assert PHI_COLUMNS.isdisjoint(headers(plain, "cases"))
    done = boxes.texts("information")[0]
    assert "rows, de-identified" in done and str(plain) in done
    rows = int(done.split("(")[1].split(" rows")[0].replace(",", ""))
    assert rows > 100

    panel.identified.setChecked(True)  # the warning box answers Yes here, not Ok: the tick is refused
    assert not panel.identified.isChecked() and panel.identified_warning.isHidden()
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.StandardButton.Ok)
    panel.identified.setChecked(True)
    assert panel.identified.isChecked() and not panel.identified_warning.isHidden()
    assert "protected health information" in panel.identified_warning.text()
    identified = tmp_path / "identified.xlsx"
    save_file(monkeypatch, identified)
    panel.export_button.click()
    settle(qtbot)
    assert set(headers(identified, "cases")) >= PHI_COLUMNS
    said = boxes.texts("information")[-1]
    assert "WITH PATIENT IDENTIFIERS" in said and "protected health information" in said and str(identified) in said


def test_export_adds_the_chosen_ending_and_explains_a_missing_folder(qtbot, demo_db, tmp_path, monkeypatch,
                                                                     boxes) -> None:
    page = page_for(qtbot, demo_db)
    asked = save_file(monkeypatch, tmp_path / "typed-name", "ZIP of CSV files (*.zip)")
    page.data.export_button.click()
    settle(qtbot)
    assert "deidentified" in Path(asked[0][2]).name  # the suggested name says what the file holds
    assert (tmp_path / "typed-name.zip").is_file()
    save_file(monkeypatch, tmp_path / "no-such-folder" / "w.xlsx")
    page.data.export_button.click()
    settle(qtbot)
    warning = boxes.texts("warning")[-1]
    assert "does not exist" in warning and "No file was written" in warning
    assert page.data.export_button.isEnabled()


def test_backup_writes_a_verified_copy(qtbot, db, db_path, tmp_path, monkeypatch, boxes) -> None:
    page = page_for(qtbot, db)
    assert page.data.backup_button.isEnabled()
    out = tmp_path / "copies" / "lakeside.backup"
    out.parent.mkdir()
    asked = save_file(monkeypatch, out)
    page.data.backup_button.click()
    settle(qtbot)
    # issue 25: a backup is suggested in Documents (another drive on Windows), not beside the database
    from ui.save_dialog import documents_folder

    assert Path(asked[0][2]) == documents_folder() / f"facility-{dt.date.today().isoformat()}.backup"
    assert "integrity check" in boxes.texts("information")[0]
    report = restore_database(sqlite_url(tmp_path / "copies" / "restored.sqlite3"), out, ADMIN, PASSWORD)
    assert report.facility == "Lakeside Cancer Center"


@pytest.mark.parametrize("name", ["facility.sqlite3", "facility.sqlite3-wal"])
def test_backup_refuses_the_database_itself(qtbot, db, db_path, monkeypatch, boxes, name: str) -> None:
    page = page_for(qtbot, db)
    save_file(monkeypatch, db_path.with_name(name))
    page.data.backup_button.click()
    settle(qtbot)
    assert "the database itself or one of its own files" in boxes.texts("warning")[0]
    assert verify_database(db).ok


def test_backup_is_off_for_a_server_database(qtbot, db) -> None:
    server = dataclasses.replace(db, path=None)  # as a PostgreSQL database is opened: no file
    page = page_for(qtbot, server)
    assert not page.data.backup_button.isEnabled()
    assert "PostgreSQL" in page.data.backup_button.toolTip() and "server's own backups" in page.data.backup_button.toolTip()


@pytest.fixture
def empty_window(qtbot, demo_db, empty_db, tmp_path) -> tuple[Any, Path]:
    """The main window on an empty database, and a workbook of the demo facility to import into it."""
    from ui.main_window import MainWindow

    workbook = tmp_path / "lakeside.xlsx"
    export_workbook(demo_db, workbook)
    window = MainWindow(empty_db)
    qtbot.addWidget(window)
    window.show()
    settle(qtbot)
    return window, workbook


def test_after_an_import_the_other_screens_show_the_new_rows(qtbot, demo_db, empty_window, monkeypatch, boxes) -> None:
    """The import's change reaches every screen through the hub: the register built before it, shown
    again, counts the imported cases, and the title names the imported facility."""
    window, workbook = empty_window
    before = window.enrollment_page
    assert before.model.rowCount() == 0
    window.show_area("Settings")
    open_file(monkeypatch, workbook)
    with qtbot.waitSignal(window.pages["Settings"].data_changed, timeout=120_000):
        window.pages["Settings"].data.import_button.click()
    settle(qtbot)
    assert window.enrollment_page is before  # the same screen, current again when shown
    window.show_area("Enrollment")
    qtbot.waitUntil(lambda: before.model.rowCount() == counts(demo_db)["cases"], timeout=30_000)
    assert "Lakeside Regional Cancer Center" in window.windowTitle()


def test_the_file_menu_imports_through_settings(qtbot, demo_db, empty_db, empty_window, monkeypatch, boxes) -> None:
    """File → Import a facility workbook… goes to Settings → Data and starts the same import."""
    window, workbook = empty_window
    open_file(monkeypatch, workbook)
    action = next(a for a in window.menuBar().actions()[0].menu().actions() if "Import a facility" in a.text())
    action.trigger()
    settings = window.pages["Settings"]
    assert window.stack.currentWidget() is settings
    # scrolled to Data: its button, its progress and what it says in sight (they were below the page's fold)
    viewport = settings.scroll.viewport()
    for widget in (settings.data.import_button, settings.data.status):
        top_left = widget.mapTo(viewport, widget.rect().topLeft())
        assert viewport.rect().contains(top_left), (widget, top_left, viewport.rect())
    qtbot.waitUntil(lambda: counts(empty_db)["cases"] == counts(demo_db)["cases"], timeout=120_000)
    settle(qtbot)


def test_the_import_shows_each_sheet_checked_then_the_rows_written(qtbot, demo_db, empty_db, tmp_path, monkeypatch,
                                                                   boxes) -> None:
    """The bar runs while the sheets are read (how many rows so far) and fills as the rows are
    written (of how many), then runs again while the data quality is checked."""
    import app.workbook.importer as importer
    import app.workbook.validate as validate

    monkeypatch.setattr(validate, "EVERY_ROWS", 500)
    monkeypatch.setattr(importer, "WRITE_CHUNK", 500)
    workbook = tmp_path / "lakeside.xlsx"
    export_workbook(demo_db, workbook)
    page = page_for(qtbot, empty_db)
    seen: list[tuple[str, int, int]] = []
    page.data._relay.moved.connect(  # after the page's own slot: what the person sees at that moment
        lambda *_: seen.append((page.data.status.text(), page.data.progress.value(), page.data.progress.maximum())))
    open_file(monkeypatch, workbook)
    with qtbot.waitSignal(page.data_changed, timeout=120_000):
        page.data.import_button.click()
    settle(qtbot)
    rows = counts(demo_db)
    checking = [s for s in seen if s[0].startswith("Checking cases: ")]
    writing = [s for s in seen if s[0].startswith("Writing ")]
    assert checking and all(maximum == 0 for _text, _value, maximum in checking)  # running: the whole not known
    assert checking[0][0] == "Checking cases: 500 rows"
    in_all = writing[-1][2]
    assert in_all > rows["cases"] and all(maximum == in_all for _text, _value, maximum in writing)
    assert writing[-1] == (f"Writing {writing[-1][0].split(':')[0].removeprefix('Writing ')}: {in_all:,} of {in_all:,} rows",
                           in_all, in_all)
    assert [value for _text, value, _max in writing] == sorted(value for _text, value, _max in writing)
    assert seen[-1][0] == "Checking data quality…" and seen[-1][2] == 0
    assert not page.data.progress.isVisible() and page.data.status.text().startswith("Imported lakeside.xlsx")
