"""Findings as a work list: the evidence table (sort, Enter opens the case), "show all these cases
in the register", the export, and fixing a case moves the figure."""

from __future__ import annotations

import csv

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.services.findings import run_check
from tests.gui.conftest import AS_OF, open_window, settle
from ui.case_form import CaseForm
from ui.evidence_panel import CASE

EXTRA = ("WL-0001", "WL-0002", "WL-0003")


@pytest.fixture
def work_window(qtbot, demo_db):  # type: ignore[no-untyped-def]
    """The demo window with three more cases still pending past the decision window."""
    import datetime as dt

    from app.domain.permissions import Permission
    from app.storage.models import Case

    with demo_db.transaction(Permission.IMPORT) as s:
        if s.get(Case, EXTRA[0]) is None:
            s.add_all(Case(case_id=cid, project="lung", eligible_on=dt.date(2025, 2, 3 + 7 * i), status="pending")
                      for i, cid in enumerate(EXTRA))
    return open_window(qtbot, demo_db)


def select_rule(qtbot, window, rule: str):  # type: ignore[no-untyped-def]
    window.show_findings(rule)
    page = window.page("Findings")
    qtbot.waitUntil(lambda: page.result is not None and page.result.as_of == AS_OF, timeout=10000)
    page.show_rule(rule)
    assert page.current()["rule"] == rule
    return page


def table_ids(panel) -> list[str]:  # type: ignore[no-untyped-def]
    model = panel.table.model()
    return [model.index(r, 0).data(CASE) for r in range(model.rowCount())]


def test_selective_cases_are_a_sortable_table_to_work_through(qtbot, work_window, demo_db, tmp_path) -> None:
    window = work_window
    [finding] = [f for f in run_check(demo_db, AS_OF).findings if f.rule == "QIP-ENR-SELECTIVE"]
    listed = [c["case_id"] for c in finding.evidence["cases"]]
    assert set(EXTRA) <= set(listed)
    page = select_rule(qtbot, window, "QIP-ENR-SELECTIVE")
    panel = page.panel
    assert panel.table.isVisible() and table_ids(panel) == listed
    html = page.evidence.toHtml()
    assert "What to do next:" in html and "case_id" not in html and "{" not in page.evidence.toPlainText()
    # sortable: by eligible date, newest first
    column = list(panel.shown_table.columns).index("eligible_on")
    panel.table.sortByColumn(column, Qt.SortOrder.DescendingOrder)
    by_date = sorted(finding.evidence["cases"], key=lambda c: c["eligible_on"], reverse=True)
    assert table_ids(panel) == [c["case_id"] for c in by_date]

    # every case in the register, exactly this set
    page.show_all.click()
    register = window.enrollment_page
    qtbot.waitUntil(lambda: window.stack.currentWidget() is register, timeout=5000)
    model = register.model
    assert {model.case_id(r) for r in range(model.rowCount())} == set(listed) and model.rowCount() == len(listed)
    assert register.set_bar.isVisible() and "QIP-ENR-SELECTIVE" in register.set_label.text()
    register.set_clear.click()
    assert register.model.rowCount() > len(listed)

    # export the work list (audited)
    out = tmp_path / "work.csv"
    page.export_work_list(path=str(out))
    with out.open(encoding="utf-8-sig") as handle:
        assert [r["Case ID"] for r in csv.DictReader(handle)] == listed


def test_enter_opens_the_case_and_fixing_it_moves_the_figure(qtbot, work_window, demo_db) -> None:
    window = work_window
    page = select_rule(qtbot, window, "QIP-ENR-SELECTIVE")
    before = len(table_ids(page.panel))
    dashboard = window.page("Dashboard")
    tile = next(t for t in dashboard.data.tiles if t.rule == "QIP-ENR-SELECTIVE")
    assert tile.figure == str(before)
    panel = page.panel
    panel.table.setFocus()
    panel.table.selectRow(0)
    first = table_ids(panel)[0]
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    form = page.case_form
    assert isinstance(form, CaseForm) and form.case_id.text() == first
    form.status.setCurrentIndex(form.status.findData("not_enrolled"))
    form.reason.setCurrentIndex(form.reason.findData("declined"))
    form.save()
    QApplication.processEvents()
    settle(qtbot)
    qtbot.waitUntil(lambda: page.result is not None and first not in str(page.result.findings), timeout=10000)
    window.show_area("Dashboard")
    settle(qtbot)
    tile = next(t for t in dashboard.data.tiles if t.rule == "QIP-ENR-SELECTIVE")
    assert tile.figure == str(before - 1)


def test_from_the_amber_tile_to_the_cases_to_decide(qtbot, db) -> None:
    """A pending case about to leave the decision window: the tile is amber; its click lists the
    case under "Close to firing"; deciding it clears the tile."""
    import datetime as dt

    from app.domain.permissions import Permission
    from app.storage.models import Case
    from tests.unit.test_findings_service import seed
    from ui.dashboard import TileWidget

    seed(db)
    as_of = dt.date(2025, 3, 20)
    with db.transaction(Permission.IMPORT) as s:
        s.add(Case(case_id="SOON-1", project="breast", eligible_on=dt.date(2025, 2, 22), status="pending"))  # leaves Mar 24
    window = open_window(qtbot, db, at=as_of)
    dashboard = window.page("Dashboard")
    tile = dashboard.findChild(TileWidget, "tile-QIP-ENR-SELECTIVE")
    assert tile.status == "close"
    tile.clicked.emit(tile.rule)
    page = window.page("Findings")
    qtbot.waitUntil(lambda: page.current() is not None, timeout=10000)
    assert page.current()["kind"] == "close" and page.tree.topLevelItem(0).text(0) == "Close to firing (1)"
    assert table_ids(page.panel) == ["SOON-1"] and not page.review_button.isEnabled()
    page.panel.table.selectRow(0)
    qtbot.keyClick(page.panel.table, Qt.Key.Key_Return)
    form = page.case_form
    form.status.setCurrentIndex(form.status.findData("not_enrolled"))
    form.reason.setCurrentIndex(form.reason.findData("declined"))
    form.save()
    settle(qtbot)
    window.show_area("Dashboard")
    settle(qtbot)
    qtbot.waitUntil(lambda: dashboard.findChild(TileWidget, "tile-QIP-ENR-SELECTIVE").status == "clear", timeout=10000)
