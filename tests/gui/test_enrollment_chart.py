"""The Dashboard's chart: enrollments by month per project against last year and the participation
minimum's pace; clicking a bar shows that project's month in the register."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCharts import QLineSeries
from PySide6.QtGui import QFontMetrics

from app.domain.vocabulary import PROJECTS
from app.services.enrollment_chart import enrollment_by_month, month_span
from app.services.evaluations import evaluate_fresh, in_force_at
from tests.gui.conftest import AS_OF, settle
from ui.enrollment import EnrollmentPage
from ui.enrollment_chart import (
    MOST_COUNTS,
    PLOT_SHARE,
    EnrollmentChart,
    pace_caption,
    pace_explained,
)


def test_the_projects_add_up_to_the_snapshots_months(demo_db) -> None:
    figures = enrollment_by_month(demo_db, AS_OF)
    monthly = evaluate_fresh(demo_db, AS_OF).snapshot.monthly_enrollments
    for year in (AS_OF.year - 1, AS_OF.year):
        assert list(figures.total(year)) == [monthly.get((year, m), 0) for m in range(1, 13)]
    assert sum(figures.total(AS_OF.year)) > 0
    assert all(v == 0 for p in PROJECTS for v in figures.this_year[p][AS_OF.month:])  # nothing after the as-of date


def test_the_pace_is_the_policys_minimum(demo_db) -> None:
    policy = in_force_at(demo_db, AS_OF).policy
    figures = enrollment_by_month(demo_db, AS_OF)
    assert figures.minimum_cases == policy.min_cases
    assert figures.counted_projects == tuple(policy.counted_projects)
    assert figures.monthly_pace == policy.min_cases / 12
    assert pace_caption(figures) == "Minimum pace"
    assert f"{policy.min_cases} cases a year" in pace_explained(figures)
    assert f"{policy.min_cases / 12:.1f} a month" in pace_explained(figures)


def test_the_chart_draws_each_project_and_both_lines(qtbot, demo_db) -> None:
    chart = EnrollmentChart(demo_db, AS_OF)
    qtbot.addWidget(chart)
    settle(qtbot)
    qtbot.waitUntil(lambda: chart.figures is not None, timeout=30000)
    assert set(chart.bar_sets) == set(PROJECTS)
    lung = chart.bar_sets["lung"]
    assert [int(lung.at(m)) for m in range(12)] == list(chart.figures.this_year["lung"])
    lines = [s for s in chart.view.chart().series() if isinstance(s, QLineSeries)]
    assert [s.name() for s in lines] == [f"All projects, {AS_OF.year - 1}", pace_caption(chart.figures)]
    assert chart.hint.text() == pace_explained(chart.figures)


def test_clicking_a_bar_shows_that_projects_month_in_the_register(qtbot, settled_window) -> None:
    window = settled_window
    window.show_area("Dashboard")
    settle(qtbot)
    dashboard = window.page("Dashboard")
    chart = dashboard.findChild(EnrollmentChart)
    qtbot.waitUntil(lambda: chart.figures is not None, timeout=30000)
    project, month = next((p, m) for m in range(AS_OF.month, 0, -1) for p in PROJECTS
                          if chart.figures.this_year[p][m - 1] > 0)
    chart.bar_sets[project].clicked.emit(month - 1)
    settle(qtbot)
    page = window.page("Enrollment")
    assert isinstance(page, EnrollmentPage) and window.stack.currentWidget() is page
    assert page.model.rowCount() == chart.figures.this_year[project][month - 1]
    first, last = month_span(AS_OF.year, month)
    assert page.set_bar.isVisibleTo(window) and "enrolled in" in page.set_label.text()
    assert page.project.currentData() == project
    enrolled = {page.model.row_values(r)[5] for r in range(page.model.rowCount())}
    assert all(first <= (d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)[:10])) <= last for d in enrolled)
    page.set_clear.click()
    assert page.enrolled_in is None and page.project.currentData() is None
    assert page.model.rowCount() > chart.figures.this_year[project][month - 1]


def test_a_case_shown_from_a_finding_leaves_the_charts_month(qtbot, settled_window) -> None:
    window = settled_window
    window.show_area("Enrollment")
    settle(qtbot)
    page = window.page("Enrollment")
    first, last = month_span(AS_OF.year, AS_OF.month)
    page.show_enrolled("lung", first, last, "Jun 2025")
    other = page.model.case_id(0) if page.model.rowCount() else None
    page.clear_case_set()
    breast = next(page.model.case_id(r) for r in range(page.model.rowCount())
                  if page.model.row_values(r)[1] == "breast")
    page.show_enrolled("lung", first, last, "Jun 2025")
    window.show_case(breast)
    qtbot.waitUntil(lambda: page.model.rowCount() >= 1 and page.model.case_id(0) == breast, timeout=5000)
    assert page.enrolled_in is None and not page.set_bar.isVisibleTo(window) and other != breast


def shown_chart(qtbot, db, width: int, height: int) -> EnrollmentChart:  # type: ignore[no-untyped-def]
    """The chart of ``db`` at the as-of date, on screen at this size with its figures in."""
    chart = EnrollmentChart(db, AS_OF)
    qtbot.addWidget(chart)
    chart.resize(width, height)
    chart.show()
    settle(qtbot)
    qtbot.waitUntil(lambda: chart.figures is not None, timeout=30000)
    return chart


def test_a_narrow_chart_names_every_month_by_its_initial(qtbot, demo_db) -> None:
    chart = shown_chart(qtbot, demo_db, 900, 400)
    assert chart.axis_x.categories()[0] == "Jan"
    chart.resize(260, 400)  # half a 1366-pixel screen at 150 %, less the side column
    qtbot.waitUntil(lambda: chart.axis_x.categories()[0] == "J", timeout=5000)
    months = chart.axis_x.categories()
    assert len(set(months)) == 12 and [m[0] for m in months] == list("JFMAMJJASOND")
    assert chart.axis_x.count() == 12
    legend = chart.legend.text()
    assert all(name in legend.replace("&nbsp;", " ") for name in ("Breast", "Bone metastases", "Minimum pace"))


def test_an_as_of_step_moves_the_bars_of_the_same_chart_and_a_new_year_redraws_it(qtbot, settled_window) -> None:
    """The Dashboard keeps its chart across as-of changes: within the year only the bars move to the
    new date's counts (the chart is not built again); another year draws its own title and lines."""
    window = settled_window
    window.show_area("Dashboard")
    settle(qtbot)
    dashboard = window.page("Dashboard")
    chart = dashboard.chart
    qtbot.waitUntil(lambda: chart.figures is not None, timeout=30000)
    drawn = chart.view.chart()
    earlier = AS_OF - dt.timedelta(days=45)  # the same year, some enrollments not yet made
    window.as_of.set(earlier)
    settle(qtbot)
    qtbot.waitUntil(lambda: chart.figures is not None and chart.figures.as_of == earlier, timeout=30000)
    assert dashboard.chart is chart and chart.view.chart() is drawn  # moved, not built again
    expected = enrollment_by_month(window.db, earlier)
    assert expected.this_year != enrollment_by_month(window.db, AS_OF).this_year
    for project in PROJECTS:
        assert [int(chart.bar_sets[project].at(m)) for m in range(12)] == list(expected.this_year[project])
    assert chart.axis_y.max() >= max(expected.total(earlier.year))

    next_year = dt.date(AS_OF.year + 1, 3, 31)
    window.as_of.set(next_year)
    settle(qtbot)
    qtbot.waitUntil(lambda: chart.figures.as_of == next_year, timeout=30000)
    assert chart.view.chart() is not drawn
    assert str(next_year.year) in chart.view.chart().title()
    lines = [s for s in chart.view.chart().series() if isinstance(s, QLineSeries)]
    assert lines[0].name() == f"All projects, {AS_OF.year}"


def test_the_counts_up_the_side_are_round_and_no_more_than_fit() -> None:
    """Qt's own rounding may add a count (four asked for, five drawn at 165), and counts crowded
    closer than a line are each cut to "…" (a register of 200,000 cases on a laptop at 150 %)."""
    from ui.enrollment_chart import round_top

    for highest, gaps, top in ((165, 3, 300), (165, 4, 200), (1045, 3, 1500), (1045, 4, 2000), (911, 5, 1000),
                               (4.4, 1, 5), (40, 1, 50), (0, 2, 2)):
        assert round_top(highest, gaps) == top, (highest, gaps)
        step = top / gaps
        assert top >= highest and step == int(step)


def test_a_short_chart_of_a_large_register_keeps_the_counts_it_has_room_for(qtbot, demo_db) -> None:
    chart = shown_chart(qtbot, demo_db, 600, 180)
    for highest in (165.0, 950.0, 9939.0):  # the chart's counts as a larger register's would be
        chart._highest = highest
        chart._fit_counts(again=True)
        line = QFontMetrics(chart.axis_y.labelsFont()).height()
        room = int(chart.view.height() * PLOT_SHARE) // (2 * line) + 1
        assert chart.axis_y.tickCount() == max(2, min(MOST_COUNTS, room))
        assert chart.axis_y.max() >= highest * 1.1 and chart.axis_y.min() == 0
