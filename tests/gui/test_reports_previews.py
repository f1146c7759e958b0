"""Reports: a saved self-audit is the report the settings on screen describe, and previews,
which may hold patient identifiers, live in memory only and do not outlive the window."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtWidgets import QMessageBox

import ui.reports
from tests.gui.conftest import AS_OF, settle
from ui.main_window import MainWindow
from ui.reports import ReportsPage

IDENTIFIED_LINE = "Included (identified export)"


@pytest.fixture
def window(settled_window: MainWindow) -> MainWindow:
    return settled_window


@pytest.fixture
def exports(monkeypatch) -> list[dict]:
    """Every report actually written (not copied from a preview), with its settings."""
    calls: list[dict] = []
    real = ui.reports.export_kind

    def spy(db, kind, out, **settings):  # type: ignore[no-untyped-def]
        calls.append({"kind": kind, **settings})
        return real(db, kind, out, **settings)

    monkeypatch.setattr(ui.reports, "export_kind", spy)
    return calls


def preview(qtbot, page: ReportsPage) -> bytes:
    page.make_preview()
    settle(qtbot)
    qtbot.waitUntil(lambda: page.progress.isHidden(), timeout=30000)
    assert page._preview_pdf is not None
    return page._preview_pdf


def pdf_text(source: Path | bytes) -> str:
    import io

    reader = PdfReader(io.BytesIO(source) if isinstance(source, bytes) else source)
    return "".join(p.extract_text() or "" for p in reader.pages)


def test_unticking_identifiers_after_the_preview_saves_a_de_identified_file(
        qtbot, window: MainWindow, tmp_path: Path, exports: list[dict], monkeypatch) -> None:
    page = window.page("Reports")
    page.year.setValue(2025)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.StandardButton.Ok)
    page.identified.setChecked(True)
    shown = preview(qtbot, page)
    assert IDENTIFIED_LINE in pdf_text(shown)  # the check below is not vacuous
    page.identified.setChecked(False)
    out = tmp_path / "audit.pdf"
    page.save_to(out)
    settle(qtbot)
    assert exports[-1]["identified"] is False and len(exports) == 1  # written afresh, not the preview
    assert IDENTIFIED_LINE not in pdf_text(out)


@pytest.mark.parametrize("change", ["year", "as_of", "kind"])
def test_a_preview_of_other_settings_is_not_saved(qtbot, window: MainWindow, tmp_path: Path, exports: list[dict],
                                                  change: str) -> None:
    page = window.page("Reports")
    page.year.setValue(2025)
    preview(qtbot, page)
    if change == "year":
        page.year.setValue(2024)
    elif change == "as_of":
        window.as_of.set(AS_OF - dt.timedelta(days=30))
    else:
        page.kind.setCurrentIndex(page.kind.findData("enrollment"))
    out = tmp_path / ("enrollment.xlsx" if change == "kind" else "audit.pdf")
    page.save_to(out)
    settle(qtbot)
    assert len(exports) == 1, "saved the stale preview instead of writing the report afresh"
    assert exports[-1] == {"kind": page.kind.currentData(), "year": page.year.value(), "as_of": window.as_of.day,
                           "identified": False}


def test_unchanged_settings_save_the_preview_itself(qtbot, window: MainWindow, tmp_path: Path,
                                                    exports: list[dict]) -> None:
    page = window.page("Reports")
    page.year.setValue(2025)
    shown = preview(qtbot, page)
    out = tmp_path / "audit.pdf"
    page.save_to(out)
    settle(qtbot)
    assert exports == [] and out.read_bytes() == shown  # the preview itself, written once
    from app.storage.models import AuditEntry

    with window.db.reader() as session:
        last = session.query(AuditEntry).order_by(AuditEntry.id.desc()).first()
    assert last.summary == "exported audit-pdf (de-identified) to audit.pdf"  # saving it is the audited export


def test_an_identified_preview_never_touches_the_disk_and_goes_with_the_window(
        qtbot, window: MainWindow, tmp_path: Path, monkeypatch) -> None:
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.StandardButton.Ok)
    page = window.page("Reports")
    page.year.setValue(2025)
    page.identified.setChecked(True)
    shown = preview(qtbot, page)
    assert IDENTIFIED_LINE in pdf_text(shown) and page.preview.page_count > 0
    assert list(scratch.iterdir()) == []
    window.close()
    assert page._preview_pdf is None


def test_the_preview_follows_the_as_of_date(qtbot, window: MainWindow) -> None:
    """Issue 25: the PDF preview stayed on the old as-of date after the date changed."""
    page = window.page("Reports")
    page.year.setValue(2025)
    preview(qtbot, page)
    assert page._preview_settings.as_of == AS_OF
    earlier = AS_OF - dt.timedelta(days=30)
    window.as_of.set(earlier)
    settle(qtbot)
    qtbot.waitUntil(lambda: page._preview_settings is not None and page._preview_settings.as_of == earlier,
                    timeout=30000)
    assert page._preview_settings == page.settings()
    page.kind.setCurrentIndex(page.kind.findData("enrollment"))  # not a PDF: no preview of another report left
    assert page._preview_pdf is None and page.preview.page_count == 0


def test_the_pdf_writer_loads_on_a_thread_of_its_own_once_the_page_is_shown(qtbot, demo_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Issue 28: Reports opens without reportlab; it is loaded aside once the page is drawn (not on
    the GUI thread, not as a job the screens wait on), once however often the page is shown."""
    import threading

    from ui.as_of import AsOf
    from ui.workers import pending

    loaded: list[str] = []
    monkeypatch.setattr(ui.reports, "load_pdf_writer", lambda: loaded.append(threading.current_thread().name))
    page = ReportsPage(demo_db, AsOf(AS_OF))
    qtbot.addWidget(page)
    assert loaded == []  # built: nothing loaded yet
    page.show()
    qtbot.waitUntil(lambda: loaded != [], timeout=5000)
    assert loaded == ["load-pdf-writer"] and pending() == 0
    page.hide()
    page.show()
    qtbot.wait(50)
    assert loaded == ["load-pdf-writer"]
