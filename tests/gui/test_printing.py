"""File → Print… (Ctrl+P) previews the screen shown and File → Print to PDF… saves it: a list as
the screen shows it (visible columns, sort and filter, cells' text as shown), the Dashboard's
tiles; the facility, the as-of date as the facility writes dates, the filter and page n of m."""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrintPreviewDialog
from PySide6.QtWidgets import QFileDialog, QMessageBox

from tests.gui.conftest import settle
from ui import printing
from ui.date_field import date_format, use_date_format


def pdf_pages(path: Path) -> list[str]:
    document = pdfium.PdfDocument(str(path))
    try:
        return [" ".join(page.get_textpage().get_text_range().split()) for page in document]
    finally:
        document.close()


def file_action(window, text: str):  # type: ignore[no-untyped-def]
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    return next(a for a in menu.actions() if a.text() == text)


@pytest.fixture
def us_dates():  # type: ignore[no-untyped-def]
    before = date_format()
    use_date_format("us")
    yield
    use_date_format(before)


def test_a_list_prints_as_shown_with_facility_as_of_filter_and_page_numbers(qtbot, settled_window, tmp_path,
                                                                           us_dates) -> None:
    settled_window.show_area("Enrollment")
    page = settled_window.enrollment_page
    page.project.setCurrentIndex(page.project.findText("Lung"))
    settle(qtbot)
    page.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    page.table.setColumnHidden(7, True)  # the payer column hidden by the user: not printed
    settle(qtbot)
    model = page.table.model()
    shown = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert len(shown) > 40 and shown == sorted(shown)

    printout = printing.printout_of(settled_window)
    assert printout.filter_text == "Lung" and printout.rows == len(shown)
    path = tmp_path / "register.pdf"
    pages = printing.print_to_pdf(printout, path)
    text = pdf_pages(path)
    assert len(text) == pages > 1
    every = " ".join(text)
    for number, words in enumerate(text, start=1):
        assert settled_window.facility_name in words and "as of 06/30/2025" in words  # the facility's US dates
        assert f"Page {number} of {pages}" in words
        assert "Case ID" in words  # the list's header on every page
    assert "Filter: Lung" in text[0] and "Payer" not in every and "Medicare" not in every
    positions = [every.index(case_id) for case_id in shown]
    assert positions == sorted(positions)  # the screen's order, every row once
    eligible = model.index(0, 3).data()
    assert "/" in eligible and eligible in every  # cells as the screen shows them


def test_the_dashboard_prints_its_tiles_by_rule_with_the_facilitys_dates(qtbot, settled_window, tmp_path,
                                                                          us_dates) -> None:
    settled_window.show_area("Dashboard")
    settle(qtbot)
    dashboard = settled_window.pages["Dashboard"]
    path = tmp_path / "dashboard.pdf"
    printing.print_to_pdf(printing.printout_of(settled_window), path)
    every = " ".join(pdf_pages(path))
    assert "Dashboard" in every and "Page 1 of" in every and "as of 06/30/2025" in every
    for tile in dashboard.data.tiles:
        assert tile.title in every and tile.rule in every
    assert not re.search(r"\b\d{4}-\d\d-\d\d\b", every)  # no ISO date where the facility writes US dates


def test_a_very_long_list_asks_first(qtbot, settled_window, monkeypatch) -> None:
    settled_window.show_area("Enrollment")
    settle(qtbot)
    monkeypatch.setattr(printing, "ASK_FROM_ROWS", 10)
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question",
                        staticmethod(lambda _p, _t, text, *_a: asked.append(text) or answers.pop(0)))
    assert printing.print_screen(settled_window) is None
    assert "rows" in asked[0] and settled_window.findChild(QPrintPreviewDialog) is None
    preview = printing.print_screen(settled_window)
    assert preview is not None and preview.isVisible()
    preview.close()


def test_a_screen_without_a_list_prints_a_picture_of_itself(qtbot, settled_window, tmp_path) -> None:
    settled_window.show_area("Reports")
    settle(qtbot)
    printout = printing.printout_of(settled_window)
    assert not printout.tables() and "screen" in printout.images
    path = tmp_path / "reports.pdf"
    assert printing.print_to_pdf(printout, path) == 1
    assert "Reports" in pdf_pages(path)[0]


def test_ctrl_p_opens_the_print_preview(qtbot, settled_window) -> None:
    settled_window.show_area("Staff & roles")
    settle(qtbot)
    action = file_action(settled_window, "&Print…")
    assert action.shortcut().toString() == "Ctrl+P"
    action.trigger()
    preview = settled_window.findChild(QPrintPreviewDialog)
    assert preview is not None and preview.isVisible() and "Staff & roles" in preview.windowTitle()
    preview.close()


def test_print_to_pdf_saves_where_asked_and_remembers_the_folder(qtbot, settled_window, tmp_path,
                                                                 monkeypatch) -> None:
    settled_window.show_area("Meetings")
    settle(qtbot)
    asked: list[str] = []

    def choose(_parent, _title, start, _filter):  # type: ignore[no-untyped-def]
        asked.append(start)
        return str(tmp_path / "meetings"), "PDF (*.pdf)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(choose))
    file_action(settled_window, "Print to P&DF…").trigger()
    first = pdf_pages(tmp_path / "meetings.pdf")[0]
    assert "Meetings" in first and "Filter: Year: 2025" in first  # the year chosen, under its label
    assert asked[0].endswith(".pdf") and "Meetings" in Path(asked[0]).name
    # remembered in the app's settings file with every save dialog's folder (ui.save_dialog, issue 25)
    from ui.settings_file import last_save_folder

    assert last_save_folder(printing.PRINTOUT_KIND) == tmp_path
    assert printing.documents_folder() == str(tmp_path)
    from app.storage.models import AuditEntry

    with settled_window.db.reader() as session:
        last = session.query(AuditEntry).order_by(AuditEntry.id.desc()).first()
    assert last.summary == "exported printout (de-identified) to meetings.pdf"  # a file left the app


def test_print_to_pdf_never_writes_over_the_database(qtbot, settled_window, monkeypatch) -> None:
    warned: list[str] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda *_a: (str(settled_window.db.path) + "-wal.pdf", "PDF (*.pdf)")))
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda _p, _t, text: warned.append(text)))
    before = settled_window.db.path.read_bytes()[:100]
    assert printing.save_screen_as_pdf(settled_window) is None
    assert warned and "database" in warned[0] and settled_window.db.path.read_bytes()[:100] == before


def test_nothing_to_print_while_the_database_opens(qtbot, monkeypatch) -> None:
    from ui.main_window import MainWindow

    said: list[str] = []
    monkeypatch.setattr(printing, "_say", lambda _parent, problem: said.append(problem.reason))
    window = MainWindow.opening(lambda: (_ for _ in ()).throw(OSError("not now")), "test")
    qtbot.addWidget(window)
    assert printing.print_screen(window) is None
    assert said and "not open yet" in said[0]


def test_a_screen_with_several_lists_heads_each_with_its_name(qtbot, settled_window) -> None:
    """Meetings prints three lists: each under the name the screen gives it (a record list's title,
    the coverage table's heading), never two unnamed tables one under the other."""
    settled_window.show_area("Meetings")
    settle(qtbot)
    captions = [t.caption for t in printing.printout_of(settled_window).tables()]
    assert "Meetings" in captions and "Attendance" in captions
    assert "Coverage of each required role and the policy verdict" in captions


def test_printing_on_paper_is_written_in_the_audit_log(qtbot, settled_window) -> None:
    """The preview closes accepted once it printed: that print is audited under the user, as a
    PDF is (the preview alone writes nothing)."""
    from sqlalchemy import select

    from app.storage.models import AuditEntry

    def printed() -> list[str]:
        with settled_window.db.reader() as session:
            return [e.summary for e in session.scalars(select(AuditEntry).where(AuditEntry.table_name == "exports"))
                    if e.summary.startswith("printed ")]

    settled_window.show_area("Staff & roles")
    settle(qtbot)
    before = printed()
    preview = printing.print_screen(settled_window)
    assert preview is not None
    preview.reject()  # looked at, not printed
    assert printed() == before
    preview = printing.print_screen(settled_window)
    preview.accept()  # what the preview does after printing
    assert printed()[len(before):] == [f"printed Staff & roles on {preview.printer().printerName() or 'the default printer'}"]
