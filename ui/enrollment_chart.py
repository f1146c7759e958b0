"""The Dashboard's enrollment chart: this year's enrollments by month, one colour per project,
against last year's months (a line) and the participation minimum's monthly pace (a dashed line).

Clicking a project's part of a month's bar shows those cases in the register (``open_in_register``).
The figures are ``app.services.enrollment_chart``'s, read off the GUI thread.
"""

from __future__ import annotations

import datetime as dt
import html
import math

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QLineSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, QPointF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QCursor, QFontMetrics, QPainter, QPalette, QPen
from PySide6.QtWidgets import QLabel, QToolTip, QVBoxLayout, QWidget

from app.domain.vocabulary import label
from app.reports.audit_report import MONTHS
from app.rules.years import year_label
from app.services.enrollment_chart import (
    MONTHS_A_YEAR,
    EnrollmentByMonth,
    enrollment_by_month,
    month_span,
)
from app.storage.database import Database
from ui.enrollment import EnrollmentPage
from ui.screens import ENROLLMENT
from ui.workers import run_in_background

#: One colour per project, told apart by people with the common colour-vision deficiencies
#: (Okabe–Ito); the legend names each.
PROJECT_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
#: The chart's labels and legend against the window's text size.
SMALL_TEXT = 0.8
#: The chart's least height: what a laptop at 150 % (910×512) leaves it beside the tiles; the
#: height it asks for where there is room (``CHART_HEIGHT``) reads the months' bars more easily.
CHART_LEAST_HEIGHT, CHART_HEIGHT = 110, 240
#: The counts up the side at most, and the share of the chart's height its plot takes (the rest:
#: its title and the months).
MOST_COUNTS, PLOT_SHARE = 5, 0.6
#: The steps between the counts up the side (times a power of ten): whole numbers, as they are shown.
ROUND_STEPS = (1, 2, 5, 10)


def round_top(highest: float, gaps: int) -> float:
    """The least top of a count axis of ``gaps`` equal, round steps (1, 2 or 5 times a power of
    ten) that reaches ``highest``. Qt's own rounding (``applyNiceNumbers``) may add a count, and
    more counts than the height has room for are each cut to "…"."""
    need = max(highest / gaps, 1.0)  # a step of at least one: the counts are whole
    power = 10 ** math.floor(math.log10(need))
    return next(m * power for m in ROUND_STEPS if m * power >= need) * gaps


def _dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < palette.color(QPalette.ColorRole.WindowText).lightness()


def pace_caption(figures: EnrollmentByMonth) -> str:
    """The dashed line's legend (short: the legend cuts a long one; ``pace_explained`` says the rest)."""
    return "Minimum pace"


def pace_explained(figures: EnrollmentByMonth) -> str:
    """Under the chart: where the dashed line comes from, and what a click does."""
    counted = ", ".join(label(p) for p in figures.counted_projects)
    return (f"Dashed: the participation minimum, {figures.minimum_cases} cases a year ({counted}), is "
            f"{figures.monthly_pace:.1f} a month. Click a project's part of a bar to see its cases in the register.")


def initials(months: tuple[str, ...]) -> list[str]:
    """"J F M A M J J A S O N D": a category axis needs each name once, so a repeated initial gets
    zero-width spaces after it (invisible)."""
    seen: dict[str, int] = {}
    names = []
    for month in months:
        letter = month[0]
        names.append(letter + "\u200b" * seen.get(letter, 0))
        seen[letter] = seen.get(letter, 0) + 1
    return names


def legend_html(bars: list[tuple[str, str]], lines: list[tuple[str, str, str]]) -> str:
    """The legend as wrapping text: a coloured square per project, a stroke per line."""
    marks = [f"<span style='color:{colour}'>\u25a0</span>&nbsp;{html.escape(name).replace(' ', '&nbsp;')}"
             for name, colour in bars]
    strokes = {"solid": "\u2015", "dashed": "- -"}
    marks += [f"<span style='color:{colour}'>{strokes[style]}</span>&nbsp;{html.escape(name).replace(' ', '&nbsp;')}"
              for name, colour, style in lines]
    return " &nbsp; ".join(marks)


class EnrollmentChart(QWidget):
    """The chart at ``as_of``; ``bar_clicked(project, year, month)`` when a bar's part is clicked."""

    bar_clicked = Signal(str, int, int)
    #: the figures arrived and are drawn (or the chart says why not): the legend and explanation below
    #: now have their lines
    drawn = Signal()

    def __init__(self, db: Database, as_of: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("enrollment-chart")
        self.db = db
        self.as_of = as_of
        self.figures: EnrollmentByMonth | None = None
        self.bar_sets: dict[str, QBarSet] = {}
        self.view = QChartView()
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setMinimumHeight(CHART_LEAST_HEIGHT)  # taller where there is room (sizeHint)
        #: the legend as text that wraps (Qt's own legend cuts names to "Bone m…" on a narrow chart)
        self.legend = QLabel()
        self.legend.setObjectName("chart-legend")
        self.legend.setWordWrap(True)
        self.hint = QLabel("Click a project's part of a bar to see its cases in the register.")
        self.hint.setWordWrap(True)
        small = self.hint.font()  # the explanation a little smaller: the chart keeps the height
        small.setPointSizeF(small.pointSizeF() * SMALL_TEXT)
        self.hint.setFont(small)
        self.axis_x: QBarCategoryAxis | None = None
        self.axis_y: QValueAxis | None = None
        self._highest = 0.0
        #: what the drawn chart shows besides this year's bars (``_frame``): the same frame at a new
        #: date or data version only moves the bars
        self._drawn_frame: tuple | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.hint)
        self.follow(as_of)

    def follow(self, as_of: dt.date) -> None:
        """The figures at ``as_of`` (again after a change of the data), read off the GUI thread."""
        self.as_of = as_of
        db = self.db
        run_in_background(lambda: enrollment_by_month(db, as_of), self.show_figures, self._failed, owner=self)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """The chart ``CHART_HEIGHT`` high, with its legend and hint below wrapped at the present width
        (the view's own hint is the size it was last given: the chart's scene follows the view)."""
        width = max(self.width(), self.minimumSizeHint().width())
        words = sum(label.heightForWidth(width) + self.layout().spacing() for label in (self.legend, self.hint))
        return QSize(super().sizeHint().width(), CHART_HEIGHT + words)

    def _failed(self, exc: Exception) -> None:
        self.hint.setText(f"The enrollment chart could not be drawn: {exc}")
        self.drawn.emit()  # what it says instead is drawn: its lines, and what waits for the chart (the Dashboard)

    def _frame(self, figures: EnrollmentByMonth) -> tuple:
        """Everything the chart draws but this year's bars: its title, projects, last year's line,
        the pace, its words and the palette's colours."""
        palette = self.palette()
        return (year_label(figures.year, figures.as_of), figures.projects, figures.last_year, figures.minimum_cases,
                figures.counted_projects, _dark(palette), palette.color(QPalette.ColorRole.Base).rgba(),
                palette.color(QPalette.ColorRole.Text).rgba())

    def show_figures(self, figures: EnrollmentByMonth) -> None:
        if figures.as_of != self.as_of:
            return  # an earlier date's figures, arriving after the date moved on: the newer ones follow
        frame = self._frame(figures)
        if frame == self._drawn_frame and self.bar_sets:
            self._move_bars(figures)
            return
        self._drawn_frame = frame
        self.figures = figures
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        chart = QChart()
        chart.setTheme(QChart.ChartTheme.ChartThemeDark if _dark(palette) else QChart.ChartTheme.ChartThemeLight)
        chart.setBackgroundBrush(palette.color(QPalette.ColorRole.Base))
        chart.setTitleBrush(text)
        chart.legend().setLabelColor(text)
        chart.setTitle(f"Enrollments by month, {year_label(figures.year, figures.as_of)}, per project")
        bars = QStackedBarSeries()
        self.bar_sets = {}
        for n, project in enumerate(figures.projects):
            bar_set = QBarSet(label(project))
            bar_set.setColor(QColor(PROJECT_COLOURS[n % len(PROJECT_COLOURS)]))
            bar_set.append([float(v) for v in figures.this_year[project]])
            bar_set.clicked.connect(lambda month, p=project: self.bar_clicked.emit(p, figures.year, month + 1))
            bar_set.hovered.connect(lambda on, month, p=project: self._hover(on, p, month))
            bars.append(bar_set)
            self.bar_sets[project] = bar_set
        chart.addSeries(bars)
        last = QLineSeries()
        last.setName(f"All projects, {figures.year - 1}")
        for month, value in enumerate(figures.total(figures.year - 1)):
            last.append(QPointF(month, value))
        last.setPen(QPen(text, 2))
        pace = QLineSeries()
        pace.setName(pace_caption(figures))
        pace.append(QPointF(-0.5, figures.monthly_pace))
        pace.append(QPointF(MONTHS_A_YEAR - 0.5, figures.monthly_pace))
        pace.setPen(QPen(QColor("#a00000" if not _dark(palette) else "#ff7b7b"), 2, Qt.PenStyle.DashLine))
        chart.addSeries(last)
        chart.addSeries(pace)
        axis_x = QBarCategoryAxis()
        axis_x.append(list(MONTHS))
        axis_y = QValueAxis()
        self._highest = max(4.0, figures.monthly_pace, *figures.total(figures.year), *figures.total(figures.year - 1))
        axis_y.setLabelFormat("%d")
        for axis in (axis_x, axis_y):
            axis.setLabelsColor(text)
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
        for series in (bars, last):
            series.attachAxis(axis_x)
            series.attachAxis(axis_y)
        # the pace spans the whole width: a value axis under the categories, hidden
        axis_pace = QValueAxis()
        axis_pace.setRange(-0.5, MONTHS_A_YEAR - 0.5)
        axis_pace.setVisible(False)
        chart.addAxis(axis_pace, Qt.AlignmentFlag.AlignBottom)
        pace.attachAxis(axis_pace)
        pace.attachAxis(axis_y)
        chart.legend().hide()  # ``self.legend`` says it, wrapped
        # a little smaller than the window's text, so the months fit where they can
        small = self.font()
        small.setPointSizeF(small.pointSizeF() * SMALL_TEXT)
        for axis in (axis_x, axis_y):
            axis.setLabelsFont(small)
        chart.layout().setContentsMargins(0, 0, 0, 0)
        chart.setMargins(QMargins(4, 4, 4, 4))
        self.axis_x, self.axis_y = axis_x, axis_y
        self.view.setChart(chart)
        self._fit_months()
        self.legend.setText(legend_html(
            [(s.label(), s.color().name()) for s in self.bar_sets.values()],
            [(last.name(), last.pen().color().name(), "solid"), (pace.name(), pace.pen().color().name(), "dashed")]))
        self.hint.setText(pace_explained(figures))
        self.updateGeometry()
        self.drawn.emit()

    def _move_bars(self, figures: EnrollmentByMonth) -> None:
        """The same chart at another date or after a change: only the bars that differ are given
        their new height (building the chart again was most of the 65 ms an as-of step took on
        the Dashboard at 200,000 cases); the counts up the side follow the highest bar."""
        self.figures = figures
        for project, bar_set in self.bar_sets.items():
            for month, value in enumerate(figures.this_year[project]):
                if bar_set.at(month) != value:
                    bar_set.replace(month, float(value))
        highest = max(4.0, figures.monthly_pace, *figures.total(figures.year), *figures.total(figures.year - 1))
        if highest != self._highest:
            self._highest = highest
            self._fit_counts(again=True)
        self.drawn.emit()

    def _fit_counts(self, again: bool = False) -> None:
        """As many counts up the side as have a line's height between them (Qt cuts every one of
        them to "…" when they crowd, as on a laptop at 150 %, where the chart is short)."""
        if self.axis_y is None:
            return
        line = QFontMetrics(self.axis_y.labelsFont()).height()
        ticks = max(2, min(MOST_COUNTS, int(self.view.height() * PLOT_SHARE) // (2 * line) + 1))
        if again or self.axis_y.tickCount() != ticks or self.axis_y.max() < self._highest:
            self.axis_y.setTickCount(ticks)
            self.axis_y.setRange(0, round_top(self._highest * 1.1, ticks - 1))

    def _fit_months(self) -> None:
        """Months as "Jan" where they fit, else as "J" (Qt would cut a name to "…" on a narrow chart,
        a 1366-pixel screen at 150 %); the counts up the side as the height has room for."""
        self._fit_counts()
        if self.axis_x is None:
            return
        room = self.view.width() / (MONTHS_A_YEAR + 2)  # the value axis takes about two months' width
        fits = QFontMetrics(self.axis_x.labelsFont()).horizontalAdvance("Mmm") + 8 <= room
        names = list(MONTHS) if fits else initials(MONTHS)
        if self.axis_x.categories() != names:
            self.axis_x.setCategories(names)
            self.axis_x.setRange(names[0], names[-1])

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._fit_months()

    def _hover(self, on: bool, project: str, month: int) -> None:
        if not on or self.figures is None:
            QToolTip.hideText()
            return
        f = self.figures
        QToolTip.showText(QCursor.pos(), f"{label(project)}, {MONTHS[month]} {f.year}: "
                          f"{f.this_year[project][month]} enrolled ({f.last_year[project][month]} in {f.year - 1}). "
                          "Click to see them in the register.")


def open_in_register(window: QWidget, project: str, year: int, month: int) -> None:
    """The register, showing the cases of ``project`` enrolled in that month."""
    window.show_area(ENROLLMENT.title)  # type: ignore[attr-defined]
    page = window.pages.get(ENROLLMENT.title)  # type: ignore[attr-defined]
    if isinstance(page, EnrollmentPage):
        first, last = month_span(year, month)
        page.show_enrolled(project, first, last, f"{MONTHS[month - 1]} {year}")
