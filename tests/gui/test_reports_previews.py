"""Reports: a saved self-audit is the report the settings on screen describe, and previews,
which may hold patient identifiers, do not outlive the window."""

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


def preview(qtbot, page: ReportsPage) -> Path:
    page.make_preview()
    settle(qtbot)
    qtbot.waitUntil(lambda: page.progress.isHidden(), timeout=30000)
    assert page._preview_file is not None
    return page._preview_file


def pdf_text(path: Path) -> str:
    return "".join(p.extract_text() or "" for p in PdfReader(path).pages)


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
    assert exports[-1]["identified"] is False and len(exports) == 2
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
    assert len(exports) == 2, "saved the stale preview instead of writing the report afresh"
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
    assert len(exports) == 1 and out.read_bytes() == shown.read_bytes()


def test_previews_share_one_folder_keep_only_the_latest_and_go_with_the_window(qtbot, window: MainWindow) -> None:
    page = window.page("Reports")
    page.year.setValue(2025)
    first = preview(qtbot, page)
    second = preview(qtbot, page)
    assert first.parent == second.parent, "each preview made a new temporary folder"
    assert second.exists() and not first.exists()
    assert list(second.parent.iterdir()) == [second]
    window.close()
    assert not second.parent.exists()
