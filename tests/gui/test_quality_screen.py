"""Ready to submit: the readiness tile's colours, from a red tile to the case, corrected, a warning
explained and kept, and the tile turning green; the forms say the rules' messages as they are typed."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from app.domain.permissions import Permission
from app.services.quality import evaluate_quality
from app.storage.models import AuditEntry, Case, FindingReview, Staff
from tests.gui.conftest import AS_OF, open_window, settle
from ui.main_window import MainWindow

D = dt.date


def seed(db) -> None:  # type: ignore[no-untyped-def]
    """An enrolled breast case without a payer (an error) and an enrolled lung case still without
    dosimetry four months on (a warning), in 2025's submission period."""
    with db.transaction(Permission.IMPORT) as s:
        s.add(Staff(staff_id="PHY-1", name="P Hys", profession="physicist"))
        s.add_all([Case(case_id="C-NO-PAYER", project="breast", primary_site="breast", eligible_on=D(2025, 5, 2),
                        status="enrolled", enrolled_on=D(2025, 5, 9)),
                   Case(case_id="C-NO-DOSE", project="lung", primary_site="lung", eligible_on=D(2025, 2, 3),
                        status="enrolled", enrolled_on=D(2025, 2, 10), payer="medicare")])


@pytest.fixture
def window(qtbot, db) -> MainWindow:  # type: ignore[no-untyped-def]
    seed(db)
    w = open_window(qtbot, db)
    w.window_clock = lambda: dt.datetime.combine(AS_OF, dt.time(9, 0))
    return w


def readiness(qtbot, window: MainWindow) -> str:  # type: ignore[no-untyped-def]
    """The readiness tile's state, the Dashboard shown (a screen reloads on a change once shown)."""
    page = window.page("Dashboard")
    window.show_area("Dashboard")
    settle(qtbot)  # the reload the change left for it, when shown, has run
    qtbot.waitUntil(lambda: page.readiness is not None and page.readiness_day == AS_OF, timeout=10000)
    return page.tile_status("DQ-*")


def test_readiness_colours_follow_errors_then_open_warnings(db) -> None:
    seed(db)
    report = evaluate_quality(db, AS_OF)
    cells = {(c.period.label, c.project): c.status for c in report.cells}
    assert cells[("2025", "breast")] == "red" and cells[("2025", "lung")] == "yellow"
    assert cells[("2025", "prostate")] == "green" and cells[("2025", "facility")] == "green"
    assert report.status == "red" and not report.ready


def test_from_the_red_tile_to_the_case_corrected_a_warning_explained_and_the_tile_green(qtbot, window, db) -> None:
    from ui.dashboard import STATUS_COLOURS, TileWidget, is_dark

    assert readiness(qtbot, window) == "red"
    dashboard = window.page("Dashboard")
    tile = next(w for w in dashboard.tile_widgets if w.rule == "DQ-*")
    assert dashboard.tiles.indexOf(tile) == 0  # the first tile
    assert isinstance(tile, TileWidget)
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton)
    settle(qtbot)
    page = window.page("Data quality")
    assert window.stack.currentWidget() is page
    qtbot.waitUntil(lambda: page.report is not None, timeout=10000)
    chosen = page.selected()
    assert [p.rule for p in chosen] == ["DQ-CASE-PAYER"]  # errors first, the first selected
    assert "Not ready" in page.readiness.item(0, 0).text()  # 2025, breast
    colour = page.readiness.item(0, 0).foreground().color().name()
    assert colour == STATUS_COLOURS["red"][1 if is_dark(page.palette()) else 0]
    qtbot.keyClick(page.table, Qt.Key.Key_Return)  # Enter opens the record
    form = page.case_form
    assert form.case_id.text() == "C-NO-PAYER"
    assert "Enrolled without a payer [DQ-CASE-PAYER]" in form.quality.text()
    form.payer.setCurrentIndex(form.payer.findData("bcbsm"))
    assert form.quality.text() == ""  # the message goes as the payer is chosen
    form.save()
    settle(qtbot)
    qtbot.waitUntil(lambda: page.report is not None and page.report.errors == 0, timeout=10000)
    assert page.count.text().startswith("1 of")  # the count moved: the open warning is left
    assert readiness(qtbot, window) == "yellow"
    window.show_area("Data quality")
    settle(qtbot)
    page.table.selectRow(0)
    [warning] = page.selected()
    assert warning.rule == "DQ-DOSE-MISSING" and page.explain_button.isEnabled()
    assert page.explain("Treated at the partner site in Grand Rapids; no plan here.")
    settle(qtbot)
    qtbot.waitUntil(lambda: page.report is not None and page.report.ready, timeout=10000)
    assert "Ready" in page.statement.text()
    assert readiness(qtbot, window) == "green"
    with db.reader() as s:
        kept = s.query(FindingReview).filter(FindingReview.rule == "DQ-DOSE-MISSING").all()
        audited = s.query(AuditEntry).filter(AuditEntry.table_name == "finding_reviews").all()
    assert [(r.subject, r.note) for r in kept] == [({"case": "C-NO-DOSE"},
                                                     "Treated at the partner site in Grand Rapids; no plan here.")]
    assert audited and audited[-1].after["note"].startswith("Treated at the partner site")


def test_an_explanation_is_kept_when_another_follows_and_an_error_cannot_be_explained(qtbot, db) -> None:
    from app.services.quality import explain
    from app.services.reviews import ReviewError

    seed(db)
    report = evaluate_quality(db, AS_OF)
    warning = next(p for p in report.problems if p.severity == "warning")
    error = next(p for p in report.problems if p.severity == "error")
    with pytest.raises(ReviewError, match="corrected, never explained"):
        explain(db, [error], "it is fine", AS_OF)
    explain(db, [warning], "Plan pending from physics.", AS_OF)
    explain(db, [warning], "Treated elsewhere after all.", AS_OF + dt.timedelta(days=3))
    later = evaluate_quality(db, AS_OF + dt.timedelta(days=5))
    i = next(i for i, p in enumerate(later.problems) if p.rule == warning.rule and p.subject == warning.subject)
    assert later.reviews[i].note == "Treated elsewhere after all."
    assert [r.note for r in later.history[i]] == ["Treated elsewhere after all.", "Plan pending from physics."]
    before = evaluate_quality(db, AS_OF - dt.timedelta(days=1))  # not yet explained on the day before
    j = next(i for i, p in enumerate(before.problems) if p.rule == warning.rule and p.subject == warning.subject)
    assert before.reviews[j] is None


def test_the_dosimetry_form_says_a_dose_outside_the_range_as_it_is_typed(qtbot, window) -> None:
    from app.services.quality import check_submission, form_words

    words = form_words(check_submission(window.db, {"case_id": "C-NO-PAYER", "submitted_on": D(2025, 6, 1),
                                                    "technique": "3D-CRT", "total_dose_gy": 150.0, "fractions": 15},
                                        AS_OF), AS_OF)
    assert "Dose per fraction outside the range for the site and technique [DQ-DOSE-FRACTION]" in words
    assert "10.00 Gy per fraction" in words
    page = window.page("Dosimetry")
    forms = []
    page.list.form_hook = forms.append
    page.list.open_form(None)
    form = forms[0]
    form.widgets["case_id"].setText("C-NO-PAYER")
    form.widgets["submitted_on"].set_date(D(2025, 6, 1))
    form.widgets["technique"].setCurrentIndex(form.widgets["technique"].findData("3D-CRT"))
    form.widgets["total_dose_gy"].setValue(150.0)
    form.widgets["fractions"].setValue(15)
    assert "[DQ-DOSE-FRACTION]" in form.advice.text() and "[DQ-DOSE-TOTAL]" in form.advice.text()
    form.widgets["total_dose_gy"].setValue(40.05)
    assert "DQ-DOSE" not in form.advice.text()


def test_data_quality_opened_after_the_dashboard_shows_its_report_without_evaluating_it_again(
        qtbot, window, monkeypatch) -> None:
    """Issue 28: the readiness tile's report (most of a second at 200,000 cases) is the one Data
    quality shows when nothing changed since; a change makes it anew, once for both."""
    import app.services.quality as quality

    made: list[dt.date] = []
    real = quality.evaluate_quality
    monkeypatch.setattr(quality, "evaluate_quality", lambda db, day: (made.append(day), real(db, day))[1])
    assert readiness(qtbot, window) == "red"
    window.show_area("Data quality")
    settle(qtbot)
    page = window.page("Data quality")
    assert page.report is not None and made == []  # the Dashboard's, not evaluated again
    with window.db.transaction(Permission.CASES) as s:
        s.get(Case, "C-NO-PAYER").payer = "bcbsm"
    settle(qtbot)
    qtbot.waitUntil(lambda: page.report is not None and page.report.errors == 0, timeout=10000)
    assert readiness(qtbot, window) == "yellow" and made == [AS_OF]  # once, for the screen and the tile


def test_the_problems_sort_without_reordering_the_shared_report(qtbot, window) -> None:
    window.show_area("Data quality")
    settle(qtbot)
    page = window.page("Data quality")
    qtbot.waitUntil(lambda: page.report is not None, timeout=10000)
    page.show_box.setCurrentIndex(page.show_box.findData("all"))
    order = list(page.report.problems)
    page.table.selectRow(0)
    chosen = page.selected()
    for column, descending in ((0, True), (0, False), (3, True)):
        page.table.sortByColumn(column, Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder)
        keys = [page.filter.index(r, column).data(Qt.ItemDataRole.UserRole) for r in range(page.filter.rowCount())]
        assert keys == sorted(keys, reverse=descending)
        assert page.selected() == chosen  # the same problem selected wherever it sorts
    assert page.report.problems == order  # the report itself (shared with the Dashboard) never reordered
