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
    import datetime as dt

    page = DosimetryPage(demo_db, AsOf(AS_OF))
    qtbot.addWidget(page)
    # issue 25: by default the cases enrolled this year or last, not those of years ago
    count, rows = missing_submissions(demo_db, AS_OF, limit=None, enrolled_from=dt.date(AS_OF.year - 1, 1, 1))
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
    offered: list[str] = []  # issue 25: a double-click offers "Add submission" for the case, not the register
    page.list.form_hook = lambda form: offered.append(form.widgets["case_id"].text())
    page.missing.doubleClicked.emit(page.missing.model().index(0, 0))
    assert offered == [wanted] and opened == []
    page.show_missing_case.click()   # the register is one button away
    assert opened == [wanted]
    every, _rows = missing_submissions(demo_db, AS_OF, limit=None)
    out = tmp_path / "missing.csv"
    assert page.export_missing(out) == every  # all of them, whatever the filter shows
    with out.open(encoding="utf-8-sig") as f:
        exported = list(csv.DictReader(f))
    assert len(exported) == every and exported[0]["Case ID"] == _rows[0][0]
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


def test_the_missing_list_filters_by_project_and_period(qtbot, demo_db) -> None:
    """Issue 25: the list could not be filtered by project or period and listed cases enrolled years ago."""
    import datetime as dt

    page = DosimetryPage(demo_db, AsOf(AS_OF))
    qtbot.addWidget(page)
    page.missing_period.setCurrentIndex(page.missing_period.findText("Enrolled any time"))
    every, _ = missing_submissions(demo_db, AS_OF, limit=None)
    assert f": {every:,}</b>" in page.missing_label.text()
    page.missing_project.setCurrentIndex(page.missing_project.findData("lung"))
    lung, rows = missing_submissions(demo_db, AS_OF, limit=None, project="lung")
    assert page.missing.rowCount() == min(lung, 2000) and {r[1] for r in rows} == {"lung"}
    assert {page.missing.item(r, 1).text() for r in range(page.missing.rowCount())} == {"Lung"}
    page.missing_period.setCurrentIndex(page.missing_period.findText("Enrolled this year"))
    this_year = dt.date(AS_OF.year, 1, 1)
    recent, rows = missing_submissions(demo_db, AS_OF, limit=None, project="lung", enrolled_from=this_year)
    assert page.missing.rowCount() == recent and all(r[2] >= this_year for r in rows)
    assert f"Enrolled lung cases (since {this_year.isoformat()}) without a submission" in page.missing_label.text()


def test_a_new_submission_is_by_the_person_signed_in_or_nobody_yet(qtbot, demo_db) -> None:
    """Issue 25: "Submitted by" defaulted to another physicist when the account was not linked."""
    from app.services import dosimetry

    page = DosimetryPage(demo_db, AsOf(AS_OF))
    qtbot.addWidget(page)
    chosen: list[str] = []
    page.list.form_hook = lambda form: chosen.append(form.widgets["staff_id"].currentData())
    page.list.add_button.click()
    assert dosimetry.submitter_of(demo_db) is None and chosen == [""]  # the administrator is nobody's staff record


def test_metrics_are_typed_in_a_small_table(qtbot, db) -> None:
    """Issue 25: metrics had to be typed as ``name=value;…`` text."""
    import datetime as dt

    from app.domain.records import CaseRecord, StaffRecord
    from app.services import dosimetry, staff
    from app.services.cases import save_case
    from ui.dosimetry import MetricsTable

    staff.save_staff(db, StaffRecord(staff_id="PH", name="Phys Ed", profession="physicist", works_on_mroqc=True))
    save_case(db, CaseRecord(case_id="C1", project="breast", eligible_on=dt.date(2025, 1, 2), status="enrolled",
                             enrolled_on=dt.date(2025, 1, 5)))
    page = DosimetryPage(db, AsOf(AS_OF))
    qtbot.addWidget(page)
    seen: list[str] = []

    def fill_in(form) -> None:  # type: ignore[no-untyped-def]
        table = form.metrics_table
        assert isinstance(table, MetricsTable) and not form.widgets["metrics"].isVisibleTo(form)
        form.widgets["case_id"].setText("C1")
        form.widgets["submitted_on"].set_text("2025-02-01")
        form.widgets["staff_id"].setCurrentIndex(form.widgets["staff_id"].findData("PH"))
        form.widgets["technique"].setCurrentIndex(form.widgets["technique"].findData("IMRT"))
        form.widgets["total_dose_gy"].setValue(40.05)
        form.widgets["fractions"].setValue(15)
        table.item(0, 0).setText("mean_heart_dose_gy")
        table.item(0, 1).setText("1.2")
        assert table.rowCount() == 2 and table.item(0, 2).text() == "Mean heart dose (Gy)"  # a blank row for the next
        table.item(1, 0).setText("lung_v20_pct")
        table.item(1, 1).setText("18")
        seen.append(form.widgets["metrics"].text())
        form.save()

    page.list.form_hook = fill_in
    page.list.add_button.click()
    assert seen == ["mean_heart_dose_gy=1.2;lung_v20_pct=18"]
    [row] = dosimetry.list_submissions(db)
    assert row.metrics == {"mean_heart_dose_gy": 1.2, "lung_v20_pct": 18.0}
    page.list.table.selectRow(0)
    shown: list[list[str]] = []
    page.list.form_hook = lambda form: shown.append([form.metrics_table.item(r, 0).text()
                                                     for r in range(form.metrics_table.rowCount())])
    page.list.edit()
    assert shown == [["lung_v20_pct", "mean_heart_dose_gy", ""]]  # an edit shows them in the table


def test_the_export_button_shows_the_rows_before_asking_where(qtbot, demo_db, tmp_path, monkeypatch) -> None:
    """Issue 25: an .xlsx export is previewed before it is saved, on the screen's own button too:
    Cancel in the preview writes nothing and asks nothing; Save goes on to the save dialog."""
    from ui import export_preview, save_dialog

    page = DosimetryPage(demo_db, AsOf(AS_OF))
    qtbot.addWidget(page)
    previews: list[tuple[str, int]] = []
    asked: list[str] = []

    def preview(self, title, sheets, identified, parent=None):  # type: ignore[no-untyped-def]
        previews.append((title, sum(s.total for s in sheets)))
        self.exec = lambda: answer  # what the person chooses

    monkeypatch.setattr(export_preview.ExportPreviewDialog, "__init__", preview)
    monkeypatch.setattr(save_dialog, "ask_save_path", lambda *a, **k: asked.append(a[2]) or None)
    every, _rows = missing_submissions(demo_db, AS_OF, limit=None)
    answer = 0
    assert page.export_missing() == 0
    assert previews == [("Cases without dosimetry", every)] and asked == []  # cancelled: nothing asked
    answer = 1
    page.export_missing()
    assert len(previews) == 2 and asked == ["Export the cases without dosimetry"]
