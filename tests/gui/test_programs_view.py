"""Programs renders a typed view (real dates and numbers) from the evaluation, never the command
line's JSON: its dates read as the facility writes them, and the program names are the self-audit's."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from app.reports.audit_service import build_report
from app.services import program_view
from app.services.program_view import ProgramsView, programs_view
from app.storage.database import Database
from tests.gui.conftest import AS_OF
from ui.as_of import AsOf
from ui.date_field import use_date_format


def test_the_view_holds_dates_and_numbers(demo_db: Database) -> None:
    view = programs_view(demo_db, AS_OF, Decimal("85000"))
    f = view.figures
    assert isinstance(view, ProgramsView) and view.as_of == AS_OF
    assert isinstance(f.p4p_payment, dt.date) and isinstance(f.mvc_questionnaire_due, dt.date)
    assert isinstance(f.fte.fte, Decimal) and f.fte.payment == f.fte.fte * Decimal("85000")
    assert (view.vbr_start, view.vbr_end, view.vbr_state) == (dt.date(2025, 3, 1), dt.date(2026, 2, 28), "in progress")
    assert view.questionnaire_days_past == 0  # due November 1, after the as-of date


def test_programs_show_dates_as_the_facility_writes_them(qtbot, demo_db: Database) -> None:
    from ui.programs import ProgramsPage
    from ui.workers import pool

    use_date_format("us")
    try:
        page = ProgramsPage(demo_db, AsOf(AS_OF))
        qtbot.addWidget(page)
        pool().waitForDone(60000)
        qtbot.waitUntil(lambda: page.view is not None, timeout=10000)
        text = page.text.toPlainText()
    finally:
        use_date_format("iso")
    f = page.view.figures
    assert f"as of {AS_OF:%m/%d/%Y}" in text
    assert f"performance: {f.p4p_payment:%m/%d/%Y}" in text and f"due: {f.mvc_questionnaire_due:%m/%d/%Y}" in text
    assert "VBR year 03/01/2025 to 02/28/2026" in text
    assert not re.search(r"\b\d{4}-\d\d-\d\d\b", text)  # no ISO date left anywhere


def test_the_screen_and_the_self_audit_name_the_programs_alike(qtbot, demo_db: Database) -> None:
    from ui.programs import ProgramsPage

    page = ProgramsPage(demo_db, AsOf(AS_OF))
    qtbot.addWidget(page)
    page.show_view(programs_view(demo_db, AS_OF))
    text = page.text.toPlainText()
    titles = [row.label for row in build_report(demo_db, year=2025, as_of=AS_OF).programs]
    for name in (program_view.DATA_HISTORY, program_view.FTE_ESTIMATE, program_view.P4P_PAYMENT,
                 program_view.MVC_QUESTIONNAIRE):
        assert name in text and any(t.startswith(name) for t in titles)
    assert any(t.startswith(f"{program_view.VBR}: ") for t in titles) and f"{program_view.VBR} per radiation" in text
