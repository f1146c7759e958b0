"""Dashboard: one tile per QIP trigger, the enrollment trend, the next meeting, what is due."""

from __future__ import annotations

import datetime as dt
import html

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QProgressBar,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.rules.spec import NoFigure
from app.services.dashboard import (
    READINESS_TILE,
    Tile,
    TileStatus,
    build_dashboard,
    kept_readiness_tile,
    readiness_tile,
)
from app.services.dashboard_words import DashboardText, TileText, dashboard_words, tile_words
from app.services.getting_started import still_to_do
from app.storage.database import Database
from ui.as_of import AsOf, date_edit
from ui.date_field import date_format
from ui.enrollment_chart import EnrollmentChart, open_in_register
from ui.getting_started import GettingStarted
from ui.help import why_label
from ui.tile_board import TileBoard, columns_for
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
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        layout = QVBoxLayout(self)
        layout.setSpacing(2)
        self.head = QLabel()
        self.head.setWordWrap(True)
        self.state = QLabel()
        self.figure = QLabel()
        self.figure.setWordWrap(True)
        big = self.figure.font()
        big.setPointSizeF(big.pointSizeF() * 1.15)
        self.figure.setFont(big)
        self.why = why_label(tile.rule)  # the code and "Why?" (the guide at the rule: ui.help)
        self.why.setWordWrap(True)  # on a narrow window "Why?" goes under the rule, never widens the tile
        for w in (self.head, self.state, self.figure, self.why):
            layout.addWidget(w)
        self.forecast = QLabel()
        self.forecast.setWordWrap(True)
        self.forecast.setObjectName("forecast")
        layout.addWidget(self.forecast)
        layout.addStretch(1)
        self.text: TileText | None = None
        self.say(tile)

    def say(self, tile: TileText) -> None:
        """Show what ``tile`` says, in this tile of the same rule: a step of the as-of date changes
        the words of about half the tiles, each said again in place (building a tile anew, its
        labels polished, placed and shown, was most of what the step cost the GUI thread)."""
        assert tile.rule == self.rule, "a tile says what its own rule found"
        if tile == self.text:
            return
        self.text = tile  # what it says: a tile saying the same is left as it is (``DashboardPage._build_tiles``)
        self.status = tile.status
        tip = f"{tile.rule} · {tile.detail}" if tile.detail else tile.rule
        self.setToolTip(f"{tip}\nWhat counts: {tile.counts}" if tile.counts else tip)
        self.head.setText(f"<b>{tile.title}</b>")
        self.state.setText(f"{STATUS_MARK[tile.status]} {STATUS_WORDS[tile.status]}")
        font = self.state.font()
        font.setBold(tile.status not in ("clear", "green", "checking", "history"))
        self.state.setFont(font)
        palette = self.palette()  # the state's colour follows the page's palette, else its own
        colour = status_colour(tile.status, palette)
        if colour is not None:
            palette.setColor(QPalette.ColorRole.WindowText, colour)
        self.state.setPalette(palette)
        # "Breast: 0  Lung: 42  Bone metastases: 0": wrap between the items, never inside one
        # (a figure of one part, a sentence such as "not enough history yet (…)", wraps as words do)
        parts = tile.figure.split("  ")
        self.figure.setText("  ".join(part.replace(" ", "\u00a0") for part in parts) if len(parts) > 1 else tile.figure)
        if tile.counts:  # what the tile counts and where that is entered: one line from its spec
            self.why.setToolTip(f"What counts: {tile.counts}\nWhy? opens the user guide at this rule.")
            self.why.setAccessibleDescription(tile.counts)
        self.counts = tile.counts
        self.forecast.setText(f"<small><i>{tile.forecast}</i></small>" if tile.forecast else "")
        self.forecast.setVisible(bool(tile.forecast))
        # a wrapped forecast is given the height its wrapped lines need, not the grid's guess
        self.forecast.setMinimumHeight(self.forecast.heightForWidth(TILE_TEXT_WIDTH) if tile.forecast else 0)

    def mouseReleaseEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 (Qt's name)
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.rule)
        super().mouseReleaseEvent(event)


#: The narrowest a tile's text gets on a 1280×720 screen at 150 %: what its forecast is measured for.
TILE_TEXT_WIDTH = 150


#: How the heading counts the tiles by state (``tally_words``): the mark, the words, the states.
TALLY = (("✕", "need action", ("triggered", "red")), ("!", "to look at", ("warning", "yellow")),
         ("◐", "close to firing", ("close",)), ("✓", "clear", ("clear", "green")),
         ("…", "not judged yet", ("checking", "history")))


def tally_words(statuses: list[str]) -> str:
    """"✕ 4 need action · ! 1 to look at · ✓ 5 clear": the tiles counted in the heading, so a tile
    scrolled out of sight in the tiles' own area (a short window) is still counted on the page."""
    counts = [(mark, words, sum(status in states for status in statuses)) for mark, words, states in TALLY]
    return " · ".join(f"{mark} {count} {words}" for mark, words, count in counts if count)


def _checking(figure: str, detail: str = "") -> TileText:
    """The readiness tile while it is evaluated, or when it could not be."""
    return tile_words(Tile(READINESS_TILE, "Ready to submit", TileStatus.CHECKING, NoFigure(figure), detail),
                      date_format())


#: Lines the due and coming lists beside the chart keep on a short window; more scroll within them.
SIDE_LIST_ROWS = 2
#: The due list's most height: a few lines, the room below going to what fires next.
DUE_HEIGHT = 90
#: The share of a short page's height the tiles get when they and the chart cannot both have what
#: they ask for (the rest of the rows scroll in the tiles' own area; the handle between moves it).
TILE_SHARE = 0.5


class DashboardPage(QWidget):
    """The heading (with the tiles counted by state), a new facility's checklist, then the tiles
    above the chart and lists, sharing the height (``share_height``): the page never scrolls,
    even on a laptop at 150 %; what does not fit scrolls in the tiles' own area."""

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
        #: (as-of date, date format) of the readiness job ``refresh`` asked for, until it is queued
        self._readiness_wanted: tuple[dt.date, str] | None = None
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
        self.board = TileBoard()
        self.tiles = self.board.grid
        self.next_meeting = QLabel()
        self.next_meeting.setWordWrap(True)
        self.due = self._side_list("due")
        self.due.setMaximumHeight(DUE_HEIGHT)
        self.upcoming = self._side_list("upcoming")
        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(QLabel("<b>Next meeting</b>"))
        side.addWidget(self.next_meeting)
        side.addWidget(QLabel("<b>Due soon or overdue</b>"))
        side.addWidget(self.due, 1)
        side.addWidget(QLabel("<b>Next to fire if nothing changes</b>"))
        side.addWidget(self.upcoming, 2)
        self.chart: EnrollmentChart | None = None  # once the dashboard is first evaluated (``refresh``)
        self.chart_holder = QVBoxLayout()
        self.chart_holder.setContentsMargins(0, 0, 0, 0)
        self.body = QWidget()
        self.body.setObjectName("dashboard-body")
        body = QHBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addLayout(self.chart_holder, 3)
        body.addLayout(side, 2)
        # the tiles above, the chart and the lists below, sharing the height there is (``share_height``);
        # the handle between gives one more room by hand
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.setObjectName("dashboard-split")
        self.split.addWidget(self.board)
        self.split.addWidget(self.body)
        self.split.setChildrenCollapsible(False)
        self.split.setStretchFactor(0, 1)
        self.split.setStretchFactor(1, 1)
        self.split_by_hand = False
        self.split.splitterMoved.connect(self._moved_by_hand)
        # one ``share_height`` for whatever changed in one pass of the event loop (tiles, chart,
        # lists each ask): it lays out the wrapped texts, ~7 ms each time at 1366 px
        self._share_timer = QTimer(self)
        self._share_timer.setSingleShot(True)
        self._share_timer.setInterval(0)
        self._share_timer.timeout.connect(self.share_height)
        self.getting_started = GettingStarted()
        self.getting_started.open_screen.connect(self.open_screen)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.getting_started)
        layout.addWidget(self.split, 1)
        self.refresh()

    def stop_busy(self) -> None:
        """The evaluation failed (a dialog says so): no spinner left running; the readiness is
        evaluated all the same (otherwise once the page is drawn: ``_chart_drawn``)."""
        self.progress.hide()
        self._check_readiness()

    def show_no_facility(self, _reason: str) -> None:
        self.next_meeting.setText("This database has no facility yet: enter its details under Settings, or "
                                  "import a facility workbook (Settings → Data).")

    def refresh(self) -> None:
        self.progress.show()
        day = self.as_of.day
        db = self.db
        style = date_format()  # the facility's, as Settings last chose: one format on the whole screen

        def evaluated() -> tuple[DashboardText, TileText | None]:
            kept = kept_readiness_tile(db, day)  # a date seen before: its readiness comes with the rest
            return dashboard_words(build_dashboard(db, day), style), \
                (tile_words(kept, style) if kept is not None else None)

        run_in_background(evaluated, self._show_evaluated)
        # a new facility's checklist: derived from its records, so a step done anywhere leaves it
        run_in_background(lambda: still_to_do(db, day), self.getting_started.show_steps,
                          lambda _exc: self.getting_started.show_steps([]), owner=self)
        # the chart's figures are read next, while the tiles are drawn (it was asked for them once the
        # tiles were shown); built the first time while the tiles are evaluated, shown with them
        if self.chart is None:
            self._build_chart(day)
        else:  # the same chart at the new date: its bars move (``EnrollmentChart.follow``)
            self.chart.follow(day)
        # the readiness tile is its own job, queued once the rest of the page is drawn (``_chart_drawn``):
        # its pass over the whole register (0.5-0.8 s at 200,000 cases just after the sign-in, the
        # page cache cold) held up the chart's figures and the reminder digest, queued after it on the
        # one worker thread, and the first page stayed half drawn until it ended
        self._readiness_wanted = (day, style)

    def _show_evaluated(self, found: tuple[DashboardText, TileText | None]) -> None:
        """The tiles, and the readiness tile with them when the window kept that date's report (a
        step back to a date seen before: no "checking the data…" in between, nor a second job)."""
        data, readiness = found
        if readiness is not None:
            self._readiness_day, self.readiness = data.as_of, readiness
            if self._readiness_wanted is not None and self._readiness_wanted[0] == data.as_of:
                self._readiness_wanted = None
        self.show_data(data)

    def _check_readiness(self, day: dt.date | None = None) -> None:
        """Queue the readiness tile's job for the date ``refresh`` last asked, once: ``day`` is the
        date of the tiles just shown (an earlier date's, arriving after the date moved on, leaves
        the job to the newer ones); None when the QIP tiles could not be evaluated."""
        wanted = self._readiness_wanted
        if wanted is None or (day is not None and wanted[0] != day):
            return
        self._readiness_wanted = None
        when, style = wanted
        db = self.db
        run_in_background(lambda: (when, tile_words(readiness_tile(db, when), style)), self.show_readiness,
                          self._readiness_failed, owner=self)

    def show_readiness(self, found: tuple) -> None:  # type: ignore[type-arg]
        self._readiness_day, self.readiness = found
        if self.data is not None:
            self._show_readiness_tile()

    def _show_readiness_tile(self) -> None:
        """The readiness tile, in place of the one saying it is being checked: the QIP tiles stay
        as built (they were built a second time for it: half the Dashboard's drawing)."""
        assert self.data is not None
        if not self.tile_widgets or self.readiness is None or self.readiness_day != self.data.as_of:
            self._build_tiles()
            return
        self.tile_widgets[0].say(self.readiness)  # the same rule's tile: in place of "checking the data…"
        self._show_heading()
        self._share_later()

    def _readiness_failed(self, exc: Exception) -> None:
        """Without the readiness (no facility yet, a rule file that cannot be read) the other tiles
        stand; the tile says it could not be checked."""
        self._readiness_day = self.as_of.day
        self.readiness = _checking("not checked", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        if self.data is not None:
            self._show_readiness_tile()

    def show_data(self, data: DashboardText) -> None:
        self.data = data
        self.progress.hide()
        self._build_tiles()
        if self.chart is not None:
            self.chart.show()
        self._share_later()
        self.next_meeting.setText(data.next_meeting)
        self.due.clear()
        self.due.addItems(data.due or ["Nothing due."])
        self.upcoming.clear()
        self.upcoming.addItems([u.text for u in data.upcoming] or ["Nothing fires within the forecast horizon."])

    def _build_chart(self, day: dt.date) -> None:
        """The enrollment chart, by project against last year and the minimum, asking for its
        figures at ``day``; hidden until the tiles are shown (a new facility's says nothing)."""
        chart = self.chart = EnrollmentChart(self.db, day)
        chart.hide()
        chart.bar_clicked.connect(lambda project, year, month: open_in_register(self.window(), project, year, month))
        chart.drawn.connect(self._share_later)  # its legend's lines came with its figures: share the height again
        chart.drawn.connect(self._chart_drawn)
        self.chart_holder.addWidget(chart)

    def _chart_drawn(self) -> None:
        """The chart is built (or says it could not be): the page is, and the readiness tile's job
        may start. Not before: beside the data-quality pass the GUI thread has the interpreter half
        the time, and building the chart took twice as long (painting it is Qt's, without it)."""
        assert self.chart is not None
        self._check_readiness(self.chart.as_of)

    @property
    def first_drawn(self) -> bool:
        """The QIP tiles, the chart's figures and the lists are shown (the readiness tile may still
        say it is being checked): what a person sees at once (``bench.show_window`` times it)."""
        return self.data is not None and self.chart is not None and self.chart.figures is not None

    def _build_tiles(self) -> None:
        """The readiness tile first (or a tile saying it is being checked), then one per QIP trigger.
        Each rule's tile is kept and says its new words in place (``TileWidget.say``; one saying
        what it said is left alone); a tile is built only for a rule not shown yet."""
        assert self.data is not None
        readiness = self.readiness if self.readiness is not None and self.readiness_day == self.data.as_of else \
            _checking("checking the data…")
        shown = {widget.rule: widget for widget in getattr(self, "tile_widgets", [])}
        self.tile_widgets = []
        for tile in (readiness, *self.data.tiles):
            widget = shown.pop(tile.rule, None)
            if widget is None:
                widget = TileWidget(tile)
                widget.clicked.connect(self.open_rule)
            else:
                widget.say(tile)
            self.tile_widgets.append(widget)
        self.board.show_tiles(self.tile_widgets, columns_for(self.width()))
        self._show_heading()
        self._share_later()

    def _show_heading(self) -> None:
        """The heading: the tiles counted by state, the facility, the as-of date, the policy."""
        data = self.data
        assert data is not None
        self.heading.setText(f"<h2>Dashboard&nbsp;&nbsp;<span style='font-size:medium; font-weight:normal'>"
                             f"{tally_words([t.status for t in self.tile_widgets])}</span></h2>"
                             f"<small>{html.escape(data.facility)} · as of {data.as_of_text} · "
                             f"{html.escape(data.policy_statement)}</small>")

    @property
    def readiness_day(self):  # type: ignore[no-untyped-def]
        """The as-of date the readiness tile was evaluated at (its heading names the period)."""
        return getattr(self, "_readiness_day", None)

    @property
    def _tile_columns(self) -> int:
        """Tiles a row, as they now stand."""
        return self.board.columns

    @staticmethod
    def _side_list(name: str) -> QListWidget:
        """A list beside the chart: its lines wrap rather than hide behind a sideways scroll bar, and
        it is as short as ``SIDE_LIST_ROWS`` lines on a short window (more scroll within it)."""
        words = QListWidget()
        words.setObjectName(name)
        words.setWordWrap(True)
        words.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        words.setMinimumHeight(SIDE_LIST_ROWS * words.fontMetrics().lineSpacing() + 2 * words.frameWidth())
        return words

    def _moved_by_hand(self, *_args: object) -> None:
        self.split_by_hand = True

    def _share_later(self) -> None:
        """``share_height`` once the layouts have placed what just changed: once, however many asked."""
        self._share_timer.start()

    def share_height(self) -> None:
        """The tiles first: every row of them where the chart and lists below still keep their
        least height. On a short window (a laptop at 150 %) whole rows of tiles within
        ``TILE_SHARE`` of the height (more where the chart does not need it), the other rows
        scrolling in the tiles' own area. Left alone once the person moved the handle."""
        if not self.split.isVisible():
            return
        # the chart's legend and hint wrap: their lines at this width, which the splitter then keeps
        body_least = max(self.body.layout().minimumHeightForWidth(self.body.width()),
                         self.body.minimumSizeHint().height())
        self.body.setMinimumHeight(body_least)
        if self.split_by_hand:
            return
        room = self.split.height() - self.split.handleWidth()
        # what the chart asks for; the lists beside it take the height it has (their own hint is Qt's 192 px)
        body_wanted = max(body_least, self.chart.sizeHint().height() if self.chart is not None else 0)
        tiles = self.board.needed_height()
        if tiles + body_least > room:
            tiles = self.board.whole_rows_within(max(room - body_wanted, round(room * TILE_SHARE)))
        tiles = max(self.board.minimumSizeHint().height(), min(tiles, room - body_least))
        if self.split.sizes() != [tiles, room - tiles]:
            self.split.setSizes([tiles, room - tiles])

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self.board.arrange(columns_for(event.size().width()))
        self._share_later()

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 (Qt's name)
        """Back on the Dashboard after the window was resized on another screen: share it again."""
        super().showEvent(event)
        self._share_later()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        """Redraw tiles and chart when the system switches between light and dark."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self.data is not None:
            self.tile_widgets = []  # coloured for the old palette: every tile built anew
            self.show_data(self.data)
            if self.chart is not None:
                self.chart.follow(self.data.as_of)  # its colours: drawn anew

    def tile_status(self, rule: str) -> str | None:
        if rule == READINESS_TILE:
            return self.readiness.status if self.readiness is not None else None
        return next((t.status for t in self.data.tiles if t.rule == rule), None) if self.data else None


