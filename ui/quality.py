"""Data quality: is the register ready to submit? Readiness per submission period and project,
each data-quality rule with its count, each record with its problems; Enter opens the record, a
saved correction moves the counts, and a warning can be explained (kept, as a finding's review)."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.domain.permissions import Permission
from app.domain.vocabulary import PROJECTS, label
from app.rules.quality import (
    FACILITY,
    READINESS_WORDS,
    SEVERITY_ORDER,
    SEVERITY_WORDS,
    Period,
    Problem,
)
from app.services.evaluations import quality_at
from app.services.quality import QualityReport, explain, project_words
from app.services.reviews import ReviewError
from app.storage.database import Database
from ui.as_of import AsOf, date_edit
from ui.dashboard import status_colour
from ui.date_field import shown
from ui.flow_layout import FlowLayout
from ui.models.record_models import reorder_rows
from ui.permissions import gate
from ui.workers import run_in_background

MARK = {"red": "✕", "yellow": "!", "green": "✓"}
SORT = Qt.ItemDataRole.UserRole
#: The "Show" choices: which problems the list holds.
SHOW = (("Problems still open", "open"), ("Errors", "error"), ("Warnings not explained", "warning"),
        ("Warnings explained", "explained"), ("Notes", "info"), ("Every problem", "all"))


def record_text(p: Problem) -> str:
    """The record in the list's first column: a case ID, a submission, a meeting, a letter."""
    s = p.subject
    if p.record == "dosimetry":
        return f"{s['case']} · submitted {s['submitted_on']}"
    if p.record == "attendance":
        return f"Meeting {s['meeting']} · {s['staff']}"
    if p.record == "letter":
        return f"Letter {s['letter']}"
    return s["case"]


class ProblemModel(QAbstractTableModel):
    """The problems of one evaluation, one row each (a model: thousands of rows stay quick).

    It sorts itself (``sort``: one Python sort of the report's problems by the column's key) and
    the filter in front of it only filters: a sorting proxy compared 7,000 problems through a call
    into Python for each comparison, a third of a second at 200,000 cases (issue 28). The report
    is never reordered (the Dashboard shares it): ``report_index`` says which problem a row shows."""

    HEADERS = ("Record", "Project", "Period", "Severity", "Problem", "Rule")
    PROBLEM, RULE = 4, 5

    def __init__(self) -> None:
        super().__init__()
        self.report: QualityReport | None = None
        self.titles: dict[str, str] = {}
        self._order: list[int] = []  # the problems shown, row by row (indexes into the report's lists)
        self._sort: tuple[int, bool] | None = None  # (column, descending) the view asked for

    def set_report(self, report: QualityReport | None) -> None:
        self.beginResetModel()
        self.report = report
        self.titles = {r.id: r.title for r in report.rules.rules} if report else {}
        self._order = self._sorted()
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802 (Qt's names)
        return 0 if parent.isValid() or self.report is None else len(self._order)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def report_index(self, row: int) -> int:
        """Which of the report's problems (``report.problems[i]``) row ``row`` shows."""
        return self._order[row]

    def problem(self, row: int) -> Problem:
        assert self.report is not None
        return self.report.problems[self._order[row]]

    def sort_key(self, i: int, column: int) -> Any:
        """What problem ``i`` of the report sorts by in ``column``."""
        assert self.report is not None
        p, review = self.report.problems[i], self.report.reviews[i]
        if column == 0:
            return record_text(p)
        if column == 1:
            return p.project or "~"
        if column == 2:
            return p.period.start.isoformat()
        if column == 3:
            return SEVERITY_ORDER[p.severity] * 2 + (1 if review else 0)
        return p.message if column == self.PROBLEM else p.rule

    def _sorted(self) -> list[int]:
        count = len(self.report.problems) if self.report is not None else 0
        if self._sort is None or not count:
            return list(range(count))
        column, descending = self._sort
        keys = [self.sort_key(i, column) for i in range(count)]
        return sorted(range(count), key=keys.__getitem__, reverse=descending)  # stable, as Qt's

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """The rows by ``column`` (the view's header), each selected problem still selected."""
        self._sort = (column, order == Qt.SortOrder.DescendingOrder)
        if not self._order:
            return
        reorder_rows(self, self._order, self._sorted())

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self.report is None or not index.isValid():
            return None
        i = self._order[index.row()]
        p, review = self.report.problems[i], self.report.reviews[i]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (record_text(p), project_words(p.project or FACILITY), p.period.label,
                    SEVERITY_WORDS[p.severity] + (" ✓" if review else ""), p.message.split(": ", 1)[-1],
                    f"{self.titles.get(p.rule, p.rule)} [{p.rule}]")[column]
        if role == SORT:
            return self.sort_key(i, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return p.message + (f"\n{review.line}" if review else "")
        if role == Qt.ItemDataRole.FontRole and column == 3 and p.severity == "error":
            font = QFont()
            font.setBold(True)
            return font
        return None


class ProblemFilter(QSortFilterProxyModel):
    """Which problems the list shows: the "Show" choice, a rule, a readiness cell, words typed.
    It filters only: sorting is the problems model's own (``ProblemModel.sort``), so the rows keep
    its order."""

    def __init__(self) -> None:
        super().__init__()
        self.show = "open"
        self.rule: str | None = None
        self.cell: tuple[Period, str] | None = None
        self.words = ""
        self.setSortRole(SORT)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """The header clicked: the problems model sorts (the proxy keeps its order)."""
        model = self.sourceModel()
        if model is not None:
            model.sort(column, order)

    def refilter(self) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.9 on; invalidateRowsFilter before it
            self.beginFilterChange()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> bool:  # noqa: N802
        model = self.sourceModel()
        assert isinstance(model, ProblemModel) and model.report is not None
        i = model.report_index(row)
        p, review = model.report.problems[i], model.report.reviews[i]
        explained = review is not None
        wanted = {"open": p.severity == "error" or (p.severity == "warning" and not explained),
                  "error": p.severity == "error", "warning": p.severity == "warning" and not explained,
                  "explained": p.severity == "warning" and explained, "info": p.severity == "info", "all": True}
        if not wanted[self.show]:
            return False
        if self.rule is not None and p.rule != self.rule:
            return False
        if self.cell is not None and (p.period, p.project or FACILITY) != self.cell:
            return False
        if not self.words:
            return True
        words = f"{record_text(p)} {p.rule} {model.titles.get(p.rule, '')} {p.message}".lower()
        return self.words in words


class DataQualityPage(QWidget):
    #: a record the list cannot open itself: ("submission", "CASE|DATE"), ("meeting", DATE), ("letter", ID)
    show_record = Signal(str, str)

    def __init__(self, db: Database, as_of: AsOf) -> None:
        super().__init__()
        self.db = db
        self.as_of = as_of
        self.report: QualityReport | None = None
        self.first_open = False  # the Dashboard's tile asked for the open problems, the first selected
        self.statement = QLabel()
        self.statement.setWordWrap(True)
        self.statement.setObjectName("quality-statement")
        self.readiness = QTableWidget(0, len(PROJECTS) + 1)
        self.readiness.setObjectName("readiness")
        self.readiness.setHorizontalHeaderLabels([*[label(p) for p in PROJECTS], "Facility-wide"])
        self.readiness.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.readiness.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.readiness.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.readiness.setToolTip("Readiness of each submission period and project: ✕ an error to correct, ! warnings "
                                  "to correct or explain, ✓ ready. Click a cell to list its problems.")
        self.readiness.setMaximumHeight(150)
        self.readiness.setMinimumHeight(self.fontMetrics().height() * 4)  # a small window: the lists get the room
        self.readiness.cellClicked.connect(self.choose_cell)
        self.rules = QTableWidget(0, 3)
        self.rules.setObjectName("quality-rules")
        self.rules.setHorizontalHeaderLabels(["Rule", "Problems", "Open"])
        self.rules.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.rules.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.rules.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.rules.verticalHeader().setVisible(False)
        self.rules.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            self.rules.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        # a rule's title reads whole on two lines: "Dose per fraction outside the range for the site …"
        self.rules.setMinimumWidth(self.fontMetrics().horizontalAdvance("Enrolled long after the decision") + 110)
        self.rules.setWordWrap(True)
        self.rules.itemSelectionChanged.connect(self.choose_rule)
        self.model = ProblemModel()
        self.filter = ProblemFilter()
        self.filter.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("quality-problems")
        self.table.setModel(self.filter)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(3, Qt.SortOrder.AscendingOrder)  # errors first (the severity column)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.horizontalHeader().setSectionResizeMode(ProblemModel.PROBLEM, QHeaderView.ResizeMode.Stretch)
        self.table.setToolTip("Enter or double-click: open the record")
        self.table.doubleClicked.connect(lambda _i: self.open_record())
        self.table.selectionModel().selectionChanged.connect(self.show_detail)
        enter = QShortcut(QKeySequence(Qt.Key.Key_Return), self.table)
        enter.setContext(Qt.ShortcutContext.WidgetShortcut)
        enter.activated.connect(self.open_record)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter by case ID, rule or words (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.choose_words)
        find = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self)
        find.activated.connect(lambda: (self.search.setFocus(), self.search.selectAll()))
        self.show_box = QComboBox()
        for text, value in SHOW:
            self.show_box.addItem(text, value)
        self.show_box.currentIndexChanged.connect(self.choose_show)
        self.count = QLabel()
        self.count.setObjectName("quality-count")
        # what to do and the explanations: a box of its own height, scrolled, so a long history never
        # pushes the buttons below the window
        self.detail = QTextBrowser()
        self.detail.setObjectName("quality-detail")
        self.detail.setOpenLinks(False)
        self.detail.setMaximumHeight(self.fontMetrics().height() * 6 + 12)
        self.detail.setMinimumHeight(self.fontMetrics().height() * 2 + 12)  # the problems list keeps the height
        self.open_button = QPushButton("&Open the record")
        self.open_button.setToolTip("Open the case, submission, meeting or letter to correct it (Enter)")
        self.open_button.clicked.connect(self.open_record)
        self.explain_button = QPushButton("E&xplain…")
        self.explain_button.setToolTip("Keep an explanation with the selected warnings: who, when and why (audited, "
                                       "printed in the self-audit). An error is corrected, not explained.")
        self.may_explain = gate(db, Permission.REVIEW, self.explain_button)
        self.explain_button.clicked.connect(self.ask_explanation)
        self.clear_cell = QPushButton("Every period")
        self.clear_cell.setToolTip("List the problems of every period and project again")
        self.clear_cell.clicked.connect(self.every_period)
        self.clear_cell.hide()
        top = FlowLayout()  # wraps on a narrow window
        top.addWidget(QLabel("<h2>Data quality</h2>"))
        top.addStretch(1)
        top.addWidget(QLabel("As of"))
        top.addWidget(date_edit(as_of))
        filters = FlowLayout()
        filters.addWidget(self.search, 1)
        filters.addWidget(self.show_box)
        filters.addWidget(self.clear_cell)
        filters.addWidget(self.count)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(filters)
        right_layout.addWidget(self.table, 1)
        right_layout.addWidget(self.detail)
        buttons = FlowLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.explain_button)
        right_layout.addLayout(buttons)
        splitter = QSplitter()
        splitter.addWidget(self.rules)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([self.rules.minimumWidth(), 1000])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.statement)
        layout.addWidget(self.readiness)
        layout.addWidget(splitter, 1)
        self.show_detail()
        self.refresh()

    # -- loading ----------------------------------------------------------------------------------
    def stop_busy(self) -> None:
        self.statement.setText("The data-quality rules could not be evaluated.")

    def show_no_facility(self, _reason: str) -> None:
        self.statement.setText("No facility yet: enter its details under Settings.")

    def refresh(self) -> None:
        day, db = self.as_of.day, self.db
        self.count.setText("Checking…")
        # the report the Dashboard's readiness tile made, when nothing changed since (else made now)
        run_in_background(lambda: quality_at(db, day), self.show_report)

    reload = refresh

    def show_report(self, report: QualityReport) -> None:
        kept = self._selected_keys()
        position = self.table.currentIndex().row()
        self.report = report
        warnings = sum(p.severity == "warning" for p in report.problems)
        self.statement.setText(
            f"<b>{MARK[report.status]} {READINESS_WORDS[report.status]}</b> as of {shown(report.as_of)}: "
            f"{report.errors} error(s) to correct, {report.open_warnings} of {warnings} warning(s) to correct or "
            f"explain. <small>{html.escape(report.in_force.statement)}; a submission period is the enrollment "
            f"period from {report.period_start}.</small>")
        self._fill_readiness(report)
        self._fill_rules(report)
        self.model.set_report(report)
        self._size_columns()
        self._reselect(kept, position)
        self._count()
        if self.first_open:
            self.show_open()

    def _size_columns(self) -> None:
        """Widths from what the columns hold at most, not from the rows listed now (an empty list
        after the last warning is explained would squeeze them); the problem takes the rest."""
        header, fm = self.table.horizontalHeader(), self.fontMetrics()
        for column, sample in enumerate(("MRQ-0000000", "Bone metastases", "2026–27", "Warning ✓", "",
                                         "Dosimetry missing past i…")):
            if column != ProblemModel.PROBLEM:
                header.resizeSection(column, fm.horizontalAdvance(sample) + 14)
        header.setSectionResizeMode(ProblemModel.PROBLEM, QHeaderView.ResizeMode.Stretch)

    def _fill_readiness(self, report: QualityReport) -> None:
        columns = [*PROJECTS, FACILITY]
        self.readiness.setRowCount(len(report.periods))
        self.readiness.setVerticalHeaderLabels([p.label for p in report.periods])
        for r, period in enumerate(report.periods):
            for c, project in enumerate(columns):
                cell = report.cell(period, project)
                status = cell.status if cell is not None else "green"
                item = QTableWidgetItem(f"{MARK[status]} {cell.words if cell else 'Ready'}")
                colour = status_colour(status, self.palette())
                if colour is not None:
                    item.setForeground(QBrush(colour))
                if status != "green":
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                item.setToolTip(f"{period.label} ({shown(period.start)} to {shown(period.end)}), "
                                f"{project_words(project)}: {cell.words if cell else 'Ready'}"
                                + (f"; {cell.reviewed} warning(s) explained" if cell and cell.reviewed else ""))
                self.readiness.setItem(r, c, item)
        # as many rows as there are periods, up to five, without a scroll bar for a short history
        rows = min(len(report.periods), 5)
        height = self.readiness.horizontalHeader().height() + rows * (self.readiness.verticalHeader().defaultSectionSize()) + 4
        self.readiness.setFixedHeight(height)

    def _fill_rules(self, report: QualityReport) -> None:
        chosen = self.filter.rule
        counts = report.counts()
        self.rules.blockSignals(True)
        self.rules.setRowCount(len(counts) + 1)
        total = len(report.problems)
        still = sum(c.open for c in counts)
        self.rules.setItem(0, 0, QTableWidgetItem("Every rule"))
        self.rules.setItem(0, 1, self._number(total))
        self.rules.setItem(0, 2, self._number(still))
        for r, count in enumerate(counts, start=1):
            rule = count.rule
            item = QTableWidgetItem(f"{rule.title} [{rule.id}]")
            item.setData(SORT, rule.id)
            item.setToolTip(f"{rule.title} [{rule.id}], {SEVERITY_WORDS[rule.severity].lower()}.\nWhat to do: "
                            f"{rule.action}\nWhere it comes from: {' '.join(rule.source.split())}")
            colour = status_colour("red" if rule.severity == "error" and count.open else
                                   "yellow" if count.open else "green", self.palette())
            number = self._number(count.open)
            if colour is not None and count.count:
                number.setForeground(QBrush(colour))
            self.rules.setItem(r, 0, item)
            self.rules.setItem(r, 1, self._number(count.count))
            self.rules.setItem(r, 2, number)
            if rule.id == chosen:
                self.rules.selectRow(r)
        if chosen is None:
            self.rules.selectRow(0)
        self.rules.resizeRowsToContents()
        self.rules.blockSignals(False)

    @staticmethod
    def _number(n: int) -> QTableWidgetItem:
        item = QTableWidgetItem(f"{n:,}")
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return item

    # -- filtering --------------------------------------------------------------------------------
    def _count(self) -> None:
        shown_rows = self.filter.rowCount()
        total = len(self.report.problems) if self.report else 0
        self.count.setText(f"{shown_rows:,} of {total:,}")

    def choose_rule(self) -> None:
        rows = self.rules.selectionModel().selectedRows()
        item = self.rules.item(rows[0].row(), 0) if rows else None
        self.filter.rule = item.data(SORT) if item is not None else None
        self.filter.refilter()
        self._count()
        self.show_detail()

    def choose_cell(self, row: int, column: int) -> None:
        """List one period's and project's problems (``every_period`` lists them all again)."""
        if self.report is None or row >= len(self.report.periods):
            return
        self.filter.cell = (self.report.periods[row], [*PROJECTS, FACILITY][column])
        self.clear_cell.show()
        self.filter.refilter()
        self._count()

    def every_period(self) -> None:
        self.filter.cell = None
        self.readiness.clearSelection()
        self.clear_cell.hide()
        self.filter.refilter()
        self._count()

    def choose_show(self) -> None:
        self.filter.show = self.show_box.currentData()
        self.filter.refilter()
        self._count()

    def choose_words(self, text: str) -> None:
        self.filter.words = text.strip().lower()
        self.filter.refilter()
        self._count()

    def show_open(self) -> None:
        """From the Dashboard's tile: every open problem, errors first, the first selected (once the
        evaluation is in, if it is still running)."""
        self.first_open = self.report is None
        self.every_period()
        self.search.clear()
        self.show_box.setCurrentIndex(0)
        self.rules.selectRow(0)
        self.table.sortByColumn(3, Qt.SortOrder.AscendingOrder)
        if self.filter.rowCount():
            self.table.selectRow(0)
        self.table.setFocus()

    # -- the selected problems ------------------------------------------------------------------
    def selected_rows(self) -> list[int]:
        """Which of the report's problems are selected (indexes into ``report.problems``)."""
        rows = {self.model.report_index(self.filter.mapToSource(i).row())
                for i in self.table.selectionModel().selectedRows()}
        return sorted(rows)

    def selected(self) -> list[Problem]:
        return [self.report.problems[i] for i in self.selected_rows()] if self.report else []

    def _selected_keys(self) -> list[tuple[str, str]]:
        return [(p.rule, str(p.subject)) for p in self.selected()]

    def _reselect(self, keys: list[tuple[str, str]], position: int) -> None:
        """After a reload: the same problems if they are still there, else the row now in the place of
        the one corrected (so Enter opens the next)."""
        if self.report is None:
            return
        wanted = set(keys)
        selection = self.table.selectionModel()
        first = None
        for r in range(self.filter.rowCount()):
            p = self.model.problem(self.filter.mapToSource(self.filter.index(r, 0)).row())
            if (p.rule, str(p.subject)) in wanted:
                selection.select(self.filter.index(r, 0), selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
                first = r if first is None else first
        if first is None and keys and self.filter.rowCount():
            first = min(max(position, 0), self.filter.rowCount() - 1)
            self.table.selectRow(first)
        if first is not None:
            self.table.setCurrentIndex(self.filter.index(first, 0))
            self.table.scrollTo(self.filter.index(first, 0))
        self.show_detail()

    def show_detail(self, *_args: Any) -> None:
        chosen = self.selected()
        self.open_button.setEnabled(len(chosen) == 1)
        warnings = [p for p in chosen if p.severity == "warning"]
        self.explain_button.setEnabled(self.may_explain and bool(warnings) and len(warnings) == len(chosen))
        self.explain_button.setText(f"E&xplain {len(warnings)} warnings…" if len(warnings) > 1 else "E&xplain…")
        if not chosen or self.report is None:
            self.detail.setHtml("Select a problem to see what to do; select warnings to explain them.")
            return
        if len(chosen) > 1:
            self.detail.setHtml(f"{len(chosen)} problems selected ({len(warnings)} warning(s)).")
            return
        row = self.selected_rows()[0]
        p, review, history = self.report.problems[row], self.report.reviews[row], self.report.history[row]
        rule = self.report.rules.rule(p.rule)
        lines = [f"<b>{html.escape(rule.title)}</b> [{p.rule}] · {SEVERITY_WORDS[p.severity].lower()}"
                 + (" (keeps the period from being ready until corrected)" if p.severity == "error" else ""),
                 html.escape(p.message), f"<b>What to do:</b> {html.escape(rule.action)}"]
        if review is not None:
            lines.append(f"<b>{html.escape(review.line)}</b>")
        earlier = [r for r in history if r is not review]
        if earlier:
            lines.append(f"<small>{len(earlier)} earlier explanation(s) kept: "
                         + "; ".join(html.escape(r.line) for r in earlier[:3]) + "</small>")
        self.detail.setHtml("<br/>".join(lines))

    def open_record(self) -> None:
        """Open the selected problem's record: a case's form here; a submission, meeting or letter on
        its screen. A saved correction reaches this list through the change hub."""
        chosen = self.selected()
        if len(chosen) != 1:
            return
        p = chosen[0]
        if p.record == "case":
            self.open_case(p.subject["case"])
        elif p.record == "dosimetry":
            self.show_record.emit("submission", f"{p.subject['case']}|{p.subject['submitted_on']}")
        elif p.record == "attendance" and p.day is not None:
            self.show_record.emit("meeting", p.day.isoformat())
        elif p.record == "letter":
            self.show_record.emit("letter", p.subject["letter"])

    def open_case(self, case_id: str) -> None:
        from app.services.cases import get_case
        from app.services.editing import NotFound
        from ui.case_form import CaseForm

        try:
            record = get_case(self.db, case_id)
        except NotFound as exc:
            QMessageBox.information(self, "Case not found", str(exc))
            return
        form = CaseForm(self.db, record, self)
        form.setModal(True)
        form.open()
        self.case_form = form  # kept for tests and so it is not collected while open

    def ask_explanation(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        warnings = self.selected()
        if not warnings:
            return
        note, ok = QInputDialog.getMultiLineText(
            self, "Explain", f"What explains {'these ' + str(len(warnings)) + ' warnings' if len(warnings) > 1 else 'this warning'}"
            " (or what was done about it)?\nIt is kept with each (who and when) and printed in the self-audit: do not "
            "name patients.")
        if ok:
            self.explain(note)

    def explain(self, note: str) -> bool:
        """Keep ``note`` with the selected warnings (audited); the page reloads through the hub."""
        try:
            explain(self.db, self.selected(), note, self.as_of.day)
        except ReviewError as exc:
            QMessageBox.information(self, "Explain", str(exc))
            return False
        return True
