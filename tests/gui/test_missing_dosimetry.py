"""The cases without dosimetry as a real table: sortable, filterable, open the case, export
(CSV/xlsx through the export registry, audited, every case, not only those shown)."""

from __future__ import annotations

import csv

from PySide6.QtCore import Qt
from sqlalchemy import select

from app.services.dosimetry import missing_submissions
from app.storage.models import AuditEntry
from tests.gui.conftest import AS_OF, settle
from ui.as_of import AsOf
from ui.dosimetry import DosimetryPage


def test_sortable_filterable_table_that_opens_the_case_and_exports_them_all(qtbot, demo_db, tmp_path) -> None:
    page = DosimetryPage(demo_db, AsOf(AS_OF))
    qtbot.addWidget(page)
    count, rows = missing_submissions(demo_db, AS_OF, limit=None)
    assert count > 1 and page.missing.rowCount() == min(count, 2000)
    assert [page.missing.horizontalHeaderItem(c).text() for c in range(3)] == ["Case", "Project", "Enrolled"]
    page.missing.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    ids = [page.missing.item(r, 0).text() for r in range(page.missing.rowCount())]
    assert ids == sorted(ids, reverse=True)
    wanted = rows[0][0]
    page.missing_filter.setText(wanted)
    qtbot.waitUntil(lambda: page.missing.rowCount() == 1, timeout=3000)
    assert page.missing.item(0, 0).text() == wanted and ": 1</b>" in page.missing_label.text()
    opened: list[str] = []
    page.show_case.connect(opened.append)
    page.missing.selectRow(0)
    page.missing.doubleClicked.emit(page.missing.model().index(0, 0))
    assert opened == [wanted]
    out = tmp_path / "missing.csv"
    assert page.export_missing(out) == count  # all of them, whatever the filter shows
    with out.open(encoding="utf-8-sig") as f:
        exported = list(csv.DictReader(f))
    assert len(exported) == count and exported[0]["Case ID"] == rows[0][0]
    with demo_db.reader() as s:
        assert s.scalars(select(AuditEntry).where(AuditEntry.record_key == "missing-dosimetry")).first() is not None


def test_opening_a_case_from_the_list_shows_it_in_the_register(qtbot, settled_window) -> None:
    window = settled_window
    window.show_area("Dosimetry")
    settle(qtbot)
    page = window.page("Dosimetry")
    case_id = page.missing.item(0, 0).text()
    page.missing.selectRow(0)
    page.open_missing()
    register = window.enrollment_page
    assert window.stack.currentWidget() is register and register.search.text() == case_id
