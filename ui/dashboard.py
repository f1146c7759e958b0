"""Dashboard: one tile per QIP trigger, the enrollment trend, the next meeting, what is due."""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.rules.spec import NoFigure
from app.services.dashboard import READINESS_TILE, Tile, TileStatus, build_dashboard, readiness_tile
from app.services.dashboard_words import DashboardText, TileText, dashboard_words, tile_words
from app.services.getting_started import Step, still_to_do
from app.storage.database import Database
from ui.as_of import AsOf, date_edit
from ui.date_field import date_format
from ui.enrollment_chart import EnrollmentChart, open_in_register
from ui.help import why_label
from ui.workers import run_in_background

STATUS_WORDS = {"clear": "Clear", "close": "Close", "warning": "Warning", "triggered": "TRIGGERED",
                # readiness to submit (the data-quality rules): red, yellow, green
                "red": "NOT READY", "yellow": "Warnings to look at", "green": "Ready", "checking": "Checking…",
                "history": "No verdict yet"}
STATUS_MARK = {"clear": "✓", "close": "◐", "warning": "!", "triggered": "✕", "red": "✕", "yellow": "!", "green": "✓",
               "checking": "…", "history": "…"}
# colour is a second cue only (the word says it too); each pair is (on a light window, on a dark one) so
# the word stays readable in either system palette: dark red on a dark grey window all but disappears
STATUS_COLOURS = {"triggered": ("#a00000", "#ff7b7b"), "warning": ("#8a6d00", "#e6c34a"),
                  "close": ("#b35900", "#ffad5c"),  # amber: one step away
                  "red": ("#a00000", "#ff7b7b"), "yellow": ("#8a6d00", "#e6c34a"), "green": ("#1b6e20", "#7bd88f")}


def is_dark(palette: QPalette) -> bool:
    """Whether the system palette (light or dark scheme) draws light text on a dark window."""
    return palette.color(QPalette.ColorRole.Window).lightness() < palette.color(QPalette.ColorRole.WindowText).lightness()


def status_colour(status: str, palette: QPalette) -> QColor | None:
    pair = STATUS_COLOURS.get(status)
    return QColor(pair[1] if is_dark(palette) else pair[0]) if pair else None


class TileWidget(QFrame):
    """One tile: title, state (word, mark and colour), key figure, and the forecast of its subject
    nearest to firing; the rule and what it checks in the tooltip. A click opens its findings."""

    clicked = Signal(str)

    def __init__(self, tile: TileText) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName(f"tile-{tile.rule}")
        self.rule = tile.rule
        self.status = tile.status
        tip = f"{tile.rule} · {tile.detail}" if tile.detail else tile.rule
        self.setToolTip(f"{tip}\nWhat counts: {tile.counts}" if tile.counts else tip)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        layout = QVBoxLayout(self)
        layout.setSpacing(2)
        head = QLabel(f"<b>{tile.title}</b>")
        head.setWordWrap(True)
        state = QLabel(f"{STATUS_MARK[tile.status]} {STATUS_WORDS[tile.status]}")
        font = state.font()
        font.setBold(tile.status not in ("clear", "green", "checking", "history"))
        state.setFont(font)
        colour = status_colour(tile.status, state.palette())
        if colour is not None:
            palette = state.palette()
            palette.setColor(QPalette.ColorRole.WindowText, colour)
            state.setPalette(palette)
        # "Breast: 0  Lung: 42  Bone metastases: 0": wrap between the items, never inside one
        # (a figure of one part, a sentence such as "not enough history yet (…)", wraps as words do)
        parts = tile.figure.split("  ")
        figure = QLabel("  ".join(part.replace(" ", "\u00a0") for part in parts) if len(parts) > 1 else tile.figure)
        figure.setWordWrap(True)
        big = figure.font()
        big.setPointSizeF(big.pointSizeF() * 1.15)
        figure.setFont(big)
        rule = why_label(tile.rule)  # the code and "Why?" (the guide at the rule: ui.help)
        rule.setWordWrap(True)  # on a narrow window "Why?" goes under the rule, never widens the tile
        if tile.counts:  # what the tile counts and where that is entered: one line from its spec
            rule.setToolTip(f"What counts: {tile.counts}\nWhy? opens the user guide at this rule.")
            rule.setAccessibleDescription(tile.counts)
        self.counts = tile.counts
        for w in (head, state, figure, rule):
            layout.addWidget(w)
        self.forecast = QLabel(f"<small><i>{tile.forecast}</i></small>" if tile.forecast else "")
        self.forecast.setWordWrap(True)
        self.forecast.setObjectName("forecast")
        if tile.forecast:
            layout.addWidget(self.forecast)
            # a wrapped forecast is given the height its wrapped lines need, not the grid's guess
            self.forecast.setMinimumHeight(self.forecast.heightForWidth(TILE_TEXT_WIDTH))
        layout.addStretch(1)

    def mouseReleaseEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 (Qt's name)
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.rule)
        super().mouseReleaseEvent(event)


#: The narrowest a tile's text gets on a 1280×720 screen at 150 %: what its forecast is measured for.
TILE_TEXT_WIDTH = 150


def _checking(figure: str, detail: str = "") -> TileText:
    """The readiness tile while it is evaluated, or when it could not be."""
    return tile_words(Tile(READINESS_TILE, "Ready to submit", TileStatus.CHECKING, NoFigure(figure), detail),
                      date_format())


#: tiles per row: two rows fit a 768-pixel-high screen with the chart below
TILE_COLUMNS = 5
#: narrower than this (a 1280×720 screen at 150 % leaves about 660 px for a screen), three a row
NARROW_WIDTH, NARROW_TILE_COLUMNS = 900, 3


class GettingStarted(QGroupBox):
    """The checklist of a new facility (``app.services.getting_started``): one button per step not
    done yet, opening the screen where it is done; hidden once every step is."""

    #: a step was clicked: the title of the screen to open (``ui.screens``)
    open_screen = Signal(str)

    def __init__(self) -> None:
        super().__init__("Getting started")
        self.setObjectName("getting-started")
        self.rows = QVBoxLayout(self)
        self.rows.setSpacing(2)
        self.buttons: dict[str, QPushButton] = {}
        self.hide()

    def show_steps(self, steps: list[Step]) -> None:
        while self.rows.count():
            item = self.rows.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.buttons = {}
        if steps:
            self.rows.addWidget(QLabel("<small>A few things to set up first; each leaves this list once it is "
                                       "done.</small>"))
        for number, step in enumerate(steps, 1):
            button = QPushButton(f"{number}. {step.title} — {step.screen} ›".replace("&", "&&"))  # "Staff & roles"
            button.setObjectName(f"step-{step.key}")
            button.setFlat(True)
            button.setStyleSheet("text-align: left")
            button.setToolTip(f"{step.title}: {step.why}. Opens {step.screen}.")
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(lambda _=False, screen=step.screen: self.open_screen.emit(screen))
            self.rows.addWidget(button)
            self.buttons[step.key] = button
        self.setVisible(bool(steps))


class DashboardPage(QWidget):
    #: a tile was clicked: show that rule's findings (the ATT-* tile: every attendance violation)
    open_rule = Signal(str)
    #: a getting-started step was clicked: open that screen (by its title in ``ui.screens``)
    open_screen = Signal(str)

    def __init__(self, db: Database, as_of: AsOf) -> None:
        super().__init__()
        self.db = db
        self.as_of = as_of
        #: what the screen shows, in words (``dashboard_words``), at the as-of date it was evaluated
        self.data: DashboardText | None = None
        #: the "Ready to submit" tile (the data-quality rules), evaluated after the QIP tiles
        self.readiness: TileText | None = None
        self.heading = QLabel("<h2>Dashboard</h2>")
        self.heading.setWordWrap(True)  # the policy in force is a sentence: it wraps on a narrow window
        self.picker = date_edit(as_of)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(160)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(QLabel("As of"))
        top.addWidget(self.picker)
        top.addWidget(self.progress)
        self.tiles = QGridLayout()
        self.body = QHBoxLayout()
        self.next_meeting = QLabel()
        self.next_meeting.setWordWrap(True)
        self.due = QListWidget()
        self.due.setMaximumHeight(90)
        self.due.setWordWrap(True)  # a letter's subject and dates: wrap rather than hide behind a scroll bar
        self.due.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        side = QVBoxLayout()
        side.addWidget(QLabel("<b>Next meeting</b>"))
        side.addWidget(self.next_meeting)
        side.addWidget(QLabel("<b>Due soon or overdue</b>"))
        side.addWidget(self.due)
        side.addWidget(QLabel("<b>Next to fire if nothing changes</b>"))
        self.upcoming = QListWidget()
        self.upcoming.setObjectName("upcoming")
        self.upcoming.setMinimumHeight(150)
        self.upcoming.setWordWrap(True)
        self.upcoming.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        side.addWidget(self.upcoming)
        side.addStretch(1)
        self.chart_holder = QVBoxLayout()
        self.body.addLayout(self.chart_holder, 3)
        self.body.addLayout(side, 2)
        self.getting_started = GettingStarted()
        self.getting_started.open_screen.connect(self.open_screen)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.getting_started)
        layout.addLayout(self.tiles)
        layout.addLayout(self.body, 1)
        self.refresh()

    def stop_busy(self) -> None:
        """The evaluation failed (a dialog says so): no spinner left running."""
        self.progress.hide()

    def show_no_facility(self, _reason: str) -> None:
        self.next_meeting.setText("This database has no facility yet: enter its details under Settings, or "
                                  "import a facility workbook (Settings → Data).")

    def refresh(self) -> None:
        self.progress.show()
        day = self.as_of.day
        db = self.db
        style = date_format()  # the facility's, as Settings last chose: one format on the whole screen
        run_in_background(lambda: dashboard_words(build_dashboard(db, day), style), self.show_data)
        # a new facility's checklist: derived from its records, so a step done anywhere leaves it
        run_in_background(lambda: still_to_do(db, day), self.getting_started.show_steps,
                          lambda _exc: self.getting_started.show_steps([]), owner=self)
        # the readiness tile is its own job, queued after the tiles: they never wait for it
        run_in_background(lambda: (day, tile_words(readiness_tile(db, day), style)), self.show_readiness,
                          self._readiness_failed, owner=self)

    def show_readiness(self, found: tuple) -> None:  # type: ignore[type-arg]
        self._readiness_day, self.readiness = found
        if self.data is not None:
            self._build_tiles()

    def _readiness_failed(self, exc: Exception) -> None:
        """Without the readiness (no facility yet, a rule file that cannot be read) the other tiles
        stand; the tile says it could not be checked."""
        self._readiness_day = self.as_of.day
        self.readiness = _checking("not checked", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        if self.data is not None:
            self._build_tiles()

    def show_data(self, data: DashboardText) -> None:
        self.data = data
        self.progress.hide()
        self._build_tiles()
        while self.chart_holder.count():
            item = self.chart_holder.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        chart = EnrollmentChart(self.db, data.as_of)  # by project, against last year and the minimum
        chart.bar_clicked.connect(lambda project, year, month: open_in_register(self.window(), project, year, month))
        self.chart_holder.addWidget(chart)
        self.next_meeting.setText(data.next_meeting)
        self.due.clear()
        self.due.addItems(data.due or ["Nothing due."])
        self.upcoming.clear()
        self.upcoming.addItems([u.text for u in data.upcoming] or ["Nothing fires within the forecast horizon."])
        self.heading.setText(f"<h2>Dashboard</h2><small>{html.escape(data.facility)} · as of {data.as_of_text} · "
                             f"{html.escape(data.policy_statement)}</small>")

    def _build_tiles(self) -> None:
        """The readiness tile first (or a tile saying it is being checked), then one per QIP trigger."""
        assert self.data is not None
        while self.tiles.count():
            item = self.tiles.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.tile_widgets = []
        readiness = self.readiness if self.readiness is not None and self.readiness_day == self.data.as_of else \
            _checking("checking the data…")
        for tile in (readiness, *self.data.tiles):
            widget = TileWidget(tile)
            widget.clicked.connect(self.open_rule)
            self.tile_widgets.append(widget)
        self._arrange(self._columns_for(self.width()))

    @property
    def readiness_day(self):  # type: ignore[no-untyped-def]
        """The as-of date the readiness tile was evaluated at (its heading names the period)."""
        return getattr(self, "_readiness_day", None)

    @staticmethod
    def _columns_for(width: int) -> int:
        """Five tiles a row where they fit (1366 px), fewer on a narrow window (1280×720 at 150 %)."""
        return TILE_COLUMNS if width >= NARROW_WIDTH else NARROW_TILE_COLUMNS

    def _arrange(self, columns: int) -> None:
        self._tile_columns = columns
        for widget in getattr(self, "tile_widgets", []):
            self.tiles.removeWidget(widget)
        for i, widget in enumerate(getattr(self, "tile_widgets", [])):
            self.tiles.addWidget(widget, i // columns, i % columns)

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        columns = self._columns_for(event.size().width())
        if columns != getattr(self, "_tile_columns", None):
            self._arrange(columns)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        """Redraw tiles and chart when the system switches between light and dark."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self.data is not None:
            self.show_data(self.data)

    def tile_status(self, rule: str) -> str | None:
        if rule == READINESS_TILE:
            return self.readiness.status if self.readiness is not None else None
        return next((t.status for t in self.data.tiles if t.rule == rule), None) if self.data else None


