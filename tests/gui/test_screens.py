"""Dashboard, Findings drill-down, QIP tracker, Meetings, Programs, Reports and Audit log on a demo facility."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader
from PySide6.QtWidgets import QMessageBox

from app.services import qip
from app.services.findings import run_check
from tests.gui.conftest import AS_OF, open_window, settle
from ui.main_window import MainWindow


@pytest.fixture
def window(settled_window: MainWindow) -> MainWindow:
    """The window at ``AS_OF`` with its clock there too: today is the day shown, so records made
    here ask no question about their date (tests/gui/test_record_dates.py covers the asking)."""
    import datetime as dt

    settled_window.window_clock = lambda: dt.datetime.combine(AS_OF, dt.time(9, 0))
    return settled_window


def test_dashboard_tiles_agree_with_the_findings_and_the_stored_records(qtbot, window: MainWindow, demo_db,
                                                                      demo_file) -> None:
    """Each tile's state is its rule's; its figure is checked against the rows themselves, counted
    here with plain SQL rather than by the rules' own code."""
    import datetime as dt

    from tests.support import raw_connection

    page = window.page("Dashboard")
    qtbot.waitUntil(lambda: page.data is not None and page.data.as_of == AS_OF, timeout=10000)
    result = run_check(demo_db, AS_OF)
    fired = {f.rule for f in result.findings if f.blocking}
    if any(f.kind == "attendance" for f in result.findings):
        fired.add("ATT-*")  # the attendance violations' tile
    for tile in page.data.tiles:
        assert (tile.status == "triggered") == (tile.rule in fired), tile
    assert {t.status for t in page.data.tiles} >= {"triggered", "clear"}  # the demo at AS_OF has both
    assert page.tiles.count() == len(page.data.tiles) + 1 == 10  # the readiness tile (data quality) first
    tiles = {t.rule: t for t in page.data.tiles}
    since = (AS_OF - dt.timedelta(days=365)).isoformat()
    with raw_connection(demo_file) as conn:
        letters = conn.execute(
            "SELECT count(*) FROM correspondence WHERE reply_required = 1 AND received_on > ? AND received_on <= ? "
            "AND (CASE WHEN replied_on IS NOT NULL AND replied_on <= ? THEN replied_on > coalesce(due_on, date(received_on, '+14 days')) "
            "ELSE coalesce(due_on, date(received_on, '+14 days')) < ? END)",
            (since, AS_OF.isoformat(), AS_OF.isoformat(), AS_OF.isoformat())).fetchone()[0]
        held = {r[0] for r in conn.execute("SELECT role FROM role_assignments WHERE start <= ? AND (\"end\" IS NULL OR \"end\" >= ?)",
                                           (AS_OF.isoformat(), AS_OF.isoformat()))}
        month_counts = dict(conn.execute(
            "SELECT cast(strftime('%m', enrolled_on) AS integer), count(*) FROM cases WHERE enrolled_on BETWEEN ? AND ? "
            "GROUP BY 1", (f"{AS_OF.year}-01-01", AS_OF.isoformat())).fetchall())
    assert tiles["QIP-CORR-NORESPONSE"].figure == str(letters)
    vacant = {"clinical_champion", "physics_lead", "cda"} - held
    assert (tiles["QIP-ROLE-VACANT"].figure == "all held") == (not vacant)
    assert page.data.this_year[:AS_OF.month] == [month_counts.get(m, 0) for m in range(1, AS_OF.month + 1)]


def test_the_readiness_tile_arriving_replaces_only_itself(qtbot, window: MainWindow) -> None:
    """The data-quality pass ends after the QIP tiles are drawn: its tile takes the place of the one
    saying it is being checked, the others are not built again (they were: half the drawing)."""
    page = window.page("Dashboard")
    settle(qtbot)
    qip_tiles = page.tile_widgets[1:]
    assert page.readiness is not None
    page.show_readiness((page.readiness_day, page.readiness))
    assert page.tile_widgets[1:] == qip_tiles  # the same widgets
    assert page.tile_widgets[0].rule == page.readiness.rule and page.tiles.count() == len(qip_tiles) + 1
    assert page.board.tiles == page.tile_widgets
    assert f"{sum(t.status in ('triggered', 'red') for t in page.tile_widgets)} need action" in page.heading.text()


def test_the_first_page_is_drawn_while_the_readiness_is_still_being_checked(qtbot, demo_db, monkeypatch) -> None:
    """Issue 28: the readiness tile's pass over the whole register (most of a second at 200,000
    cases, just after the sign-in) runs once the rest of the page is drawn: the QIP tiles, the
    chart's figures and the reminder digest are in while it still says "Checking…", and its verdict
    then takes its place, the same as evaluated apart. The chart's and the digest's jobs used to
    queue behind it on the one worker thread, and the page stayed half drawn until it ended."""
    import threading

    import ui.dashboard
    from app.services.dashboard import readiness_tile
    from app.services.dashboard_words import tile_words
    from ui.date_field import date_format

    gate = threading.Event()
    asked: list[object] = []

    def held(db, day):  # type: ignore[no-untyped-def]
        asked.append(day)
        gate.wait(30)
        return readiness_tile(db, day)

    monkeypatch.setattr(ui.dashboard, "readiness_tile", held)
    w = MainWindow(demo_db)
    qtbot.addWidget(w)
    w.as_of.set(AS_OF)
    w.show()
    try:
        page = w.page("Dashboard")
        qtbot.waitUntil(lambda: page.chart is not None and page.chart.figures is not None, timeout=20000)
        qtbot.waitUntil(lambda: w.digest is not None and w.digest.digest is not None, timeout=10000)
        qtbot.waitUntil(lambda: asked == [AS_OF], timeout=10000)  # its job started after them
        assert page.first_drawn and page.data is not None and page.readiness is None
        first = page.tile_widgets[0]
        assert first.rule == "DQ-*" and first.status == "checking"
        assert "not judged yet" in page.heading.text()
        assert page.tiles.count() == len(page.data.tiles) + 1
    finally:
        gate.set()
    qtbot.waitUntil(lambda: page.readiness is not None, timeout=20000)
    settle(qtbot)
    expected = tile_words(readiness_tile(demo_db, AS_OF), date_format())
    assert page.readiness == expected and page.tile_widgets[0].text == expected  # the verdict, as evaluated apart
    assert page.tile_widgets[0].status == expected.status != "checking"
    assert asked == [AS_OF]  # once


def test_the_readiness_is_evaluated_once_per_refresh_and_also_when_the_tiles_fail(qtbot, demo_db,
                                                                               monkeypatch) -> None:
    """The readiness job waits for the page's drawing, never for a date it no longer shows, and is
    not skipped when the QIP tiles could not be evaluated (their failure is said; the tile is not)."""
    import datetime as dt

    import ui.dashboard
    from app.services.dashboard import readiness_tile

    asked: list[dt.date] = []
    monkeypatch.setattr(ui.dashboard, "readiness_tile", lambda db, day: (asked.append(day), readiness_tile(db, day))[1])
    w = open_window(qtbot, demo_db)
    page = w.page("Dashboard")
    assert asked == [AS_OF] and page.readiness_day == AS_OF
    earlier = AS_OF - dt.timedelta(days=1)
    w.as_of.set(earlier)
    w.as_of.set(AS_OF)  # moved on before the earlier date's tiles came back
    settle(qtbot)
    # the earlier date never asked; AS_OF's report is kept, so its tile came with the others (no job)
    assert asked == [AS_OF] and page.readiness_day == AS_OF == page.data.as_of

    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: said.append(text))

    def broken(*_args):  # type: ignore[no-untyped-def]
        raise ValueError("the rule file cannot be read")

    monkeypatch.setattr(ui.dashboard, "build_dashboard", broken)
    w.as_of.set(earlier)
    settle(qtbot)
    assert said and "the rule file cannot be read" in said[0]
    assert asked == [AS_OF, earlier] and page.readiness_day == earlier


def test_a_dark_palette_redraws_the_tiles_and_the_chart(qtbot, window: MainWindow) -> None:
    """The system switching to a dark scheme: every tile coloured anew and the chart drawn in its
    dark theme (it is asked for its figures again: ``DashboardPage.changeEvent``)."""
    from PySide6.QtCharts import QChart
    from PySide6.QtGui import QColor, QPalette

    from ui.dashboard import is_dark

    page = window.page("Dashboard")
    settle(qtbot)
    assert page.chart.view.chart().theme() == QChart.ChartTheme.ChartThemeLight
    before = list(page.tile_widgets)
    dark = QPalette(page.palette())
    for role, colour in ((QPalette.ColorRole.Window, "#202020"), (QPalette.ColorRole.WindowText, "#f0f0f0"),
                         (QPalette.ColorRole.Base, "#181818"), (QPalette.ColorRole.Text, "#f0f0f0")):
        dark.setColor(role, QColor(colour))
    page.setPalette(dark)
    settle(qtbot)
    assert is_dark(page.palette())
    assert page.chart.view.chart().theme() == QChart.ChartTheme.ChartThemeDark
    assert not set(page.tile_widgets) & set(before) and len(page.tile_widgets) == len(before)


def test_a_database_without_a_facility_shows_no_chart(qtbot, empty_db, monkeypatch) -> None:
    """The chart is built while the tiles are evaluated (its figures read next), and shown with the
    tiles: a database with no facility yet says so, with no chart saying it could not be drawn."""
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: said.append(text))
    w = MainWindow(empty_db)
    qtbot.addWidget(w)
    w.show()
    settle(qtbot)
    page = w.page("Dashboard")
    assert "no facility yet" in page.next_meeting.text() and page.data is None and said == []
    assert page.chart is not None and not page.chart.isVisible()


def test_as_of_change_re_evaluates(qtbot, window: MainWindow) -> None:
    import datetime as dt

    page = window.page("Dashboard")
    decline = next(t for t in page.data.tiles if t.rule == "QIP-ENR-DECLINE")
    assert decline.detail == f"January to month {AS_OF.month} of {AS_OF.year}"
    window.as_of.set(dt.date(2024, 12, 31))
    qtbot.waitUntil(lambda: page.data is not None and page.data.as_of == dt.date(2024, 12, 31), timeout=10000)
    decline = next(t for t in page.data.tiles if t.rule == "QIP-ENR-DECLINE")
    assert decline.detail == "January to month 12 of 2024"  # judged at the new date: its own year, whole
    assert page.data.this_year != page.data.last_year or sum(page.data.this_year) == 0


def test_findings_drill_down_to_the_case_and_open_an_episode(qtbot, window: MainWindow, demo_db,
                                                             monkeypatch) -> None:
    import ui.qip_tracker

    confirmed: list[str] = []  # opening an episode asks first: answered "Open the episode"
    monkeypatch.setattr(ui.qip_tracker, "ask", lambda box: (confirmed.append(box.text()), box.defaultButton().click()))
    page = window.page("Findings")
    window.show_area("Findings")
    qtbot.waitUntil(lambda: page.result is not None, timeout=10000)
    with_cases = [f.to_json() for f in page.result.findings if f.rule in ("QIP-ENR-SELECTIVE", "ENR-REASON-OTHER")]
    assert with_cases, "the demo should hold a finding that names cases"
    target = with_cases[0]
    page.search.setText(target["rule"])
    group = page.tree.topLevelItem(0)
    page.tree.setCurrentItem(group.child(0))
    assert target["rule"] in page.evidence.toHtml()
    assert page.jump.isEnabled()
    page.jump.click()
    register = window.enrollment_page
    assert window.stack.currentWidget() is register
    assert register.model.rowCount() >= 1 and register.search.text().startswith("MRQ-")

    trigger = next(f.to_json() for f in page.result.findings if f.kind == "qip" and f.severity == "trigger")
    window.show_area("Findings")
    page.search.setText(trigger["rule"])
    page.tree.setCurrentItem(page.tree.topLevelItem(0).child(0))
    assert page.open_episode.isEnabled()
    page.open_episode.click()
    assert len(confirmed) == 1
    tracker = window.page("QIP tracker")
    assert window.stack.currentWidget() is tracker
    assert tracker.table.rowCount() == 1 and tracker.table.item(0, 1).text() == trigger["rule"]
    filled: list[str] = []

    def done_on(form) -> None:  # type: ignore[no-untyped-def]
        filled.append(form.widgets["done_on"].text())  # offered: today
        form.widgets["done_on"].set_text("t")  # any day may be typed; "t" is the as-of date
        form.save()

    tracker.form_hook = done_on
    tracker.done.click()  # outreach done on the as-of date
    assert filled == [AS_OF.isoformat()]
    [episode] = qip.list_episodes(demo_db, AS_OF)
    assert episode.steps[0].done_on == AS_OF and episode.next_step.key == "follow_up"


def test_qip_tracker_close_asks_first(qtbot, window: MainWindow, demo_db, monkeypatch) -> None:
    qip.open_episode(demo_db, "QIP-DATA-LAG", {}, "test", AS_OF)
    tracker = window.page("QIP tracker")
    tracker.refresh()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    tracker.close_button.click()
    assert qip.list_episodes(demo_db, AS_OF)[0].closed_on is None
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    tracker.close_button.click()
    assert qip.list_episodes(demo_db, AS_OF)[0].closed_on == AS_OF


def test_meetings_show_every_role_of_every_meeting(qtbot, window: MainWindow) -> None:
    page = window.page("Meetings")
    settle(qtbot)
    assert page.table.rowCount() > 0 and page.table.rowCount() % 3 == 0


def test_programs_page(qtbot, window: MainWindow) -> None:
    page = window.page("Programs")
    settle(qtbot)
    assert "Data history" in page.text.toPlainText() and "FTE" in page.text.toPlainText()
    page.rate.setText("lots")
    page.refresh()
    assert "must be a number" in page.text.toPlainText()


def test_reports_preview_then_save_the_same_pdf(qtbot, window: MainWindow, tmp_path: Path) -> None:
    page = window.page("Reports")
    page.year.setValue(2025)
    page.preview_button.click()
    settle(qtbot)
    qtbot.waitUntil(lambda: page.preview.page_count > 0, timeout=20000)
    out = tmp_path / "audit.pdf"
    page.save_to(out)
    settle(qtbot)
    assert len(PdfReader(out).pages) == page.preview.page_count


def test_reports_save_xlsx_and_identified_needs_confirmation(qtbot, window: MainWindow, tmp_path: Path, monkeypatch) -> None:
    page = window.page("Reports")
    page.kind.setCurrentIndex(page.kind.findData("enrollment"))
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    page.identified.setChecked(True)
    assert not page.identified.isChecked()
    out = tmp_path / "enrollment.xlsx"
    page.save_to(out)
    settle(qtbot)
    header = next(openpyxl.load_workbook(out).worksheets[0].iter_rows(values_only=True))
    assert "mrn" not in header


def test_audit_log_page_filters_and_exports(qtbot, window: MainWindow, tmp_path: Path) -> None:
    page = window.page("Audit log")
    page.date_from.enabled.setChecked(False)
    assert page.table.rowCount() >= 1
    out = tmp_path / "audit.csv"
    assert page.export_to(out) >= 1
    assert out.read_text(encoding="utf-8-sig").startswith("When (America/Detroit),Who,Change,What,Record,Before → after")


def test_screenshot_command_saves_every_screen(tmp_path: Path, demo_file: Path) -> None:
    from tests.support import cli
    from ui.main_window import AREAS

    assert cli(["screenshot", "--db", str(demo_file), "--out", str(tmp_path / "shots"), "--as-of", "2025-06-30"]) == 0
    assert len(list((tmp_path / "shots").glob("*.png"))) == len(AREAS)


def test_findings_jump_to_the_meeting_or_the_staff_member(qtbot, window: MainWindow) -> None:
    from ui.findings import record_target

    meeting = {"rule": "ATT-CC-ABSENT", "subject": {"role": "clinical_champion", "meeting": "2025-03-12"}, "evidence": {}}
    person = {"rule": "CE-MDCB-NO-ID", "subject": {"staff": "PHY-01", "meeting": "2025-03-12"}, "evidence": {}}
    assert record_target(meeting) == ("meeting", "2025-03-12")
    assert record_target({**person, "subject": {"staff": "PHY-01"}}) == ("staff", "PHY-01")
    window.show_record("staff", "PHY-01")
    staff_page = window.page("Staff & roles")
    assert window.stack.currentWidget() is staff_page
    row = staff_page.people.table.currentRow()
    assert staff_page.people.table.item(row, 0).text() == "PHY-01"
    meetings = window.page("Meetings")
    first = meetings.meeting_list.table.item(meetings.meeting_list.table.rowCount() - 1, 0).text()
    window.show_record("meeting", first)
    assert window.stack.currentWidget() is meetings
    assert meetings.current_meeting() is not None
