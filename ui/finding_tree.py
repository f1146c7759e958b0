"""The Findings tree: each finding's title and subject wrap onto more lines instead of being cut
to "…", the columns sized to the width there is.

On a laptop at 150 % (910×512 logical pixels) the tree beside the evidence is about 420 pixels
wide: at fixed widths the titles and subjects were cut and the subject column sat past the right
edge. Here the title and subject columns share what severity and review leave, each as wide as its
longest text where that fits, wrapping where it does not; the message column follows them,
filling a wide window and scrolled to on a narrow one (the selected finding's message also heads
the evidence beside it).
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, QTimer
from PySide6.QtWidgets import (
    QHeaderView,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QTreeWidget,
    QWidget,
)

#: The columns, as ``FindingsPage`` fills them.
TITLE, SUBJECT, SEVERITY, REVIEWED, WHAT = range(5)
HEADERS = ["Finding", "Subject", "Severity", "Reviewed", "What"]
#: The columns that wrap; the others are a word each, or a sentence scrolled to (``WHAT``).
WRAPPED = (TITLE, SUBJECT)
#: The title's share of the room left when the title and subject cannot both have their length.
TITLE_SHARE = 0.6
#: The evidence's share of the width beside the tree (never less than its buttons need): the
#: tree gets the rest, so its titles wrap onto fewer lines.
EVIDENCE_SHARE = 0.38
#: The tree's least width beside the evidence (its four columns, a title wrapping onto three
#: lines); narrower, the evidence goes under it.
TREE_LEAST = 420
#: The message column's least width where it shows beside the others on a wide window, and its
#: most when it lies past the right edge (a long message reads in the evidence and its tooltip).
WHAT_LEAST, WHAT_MOST = 160, 600


def text_margin(view: QWidget) -> int:
    """Qt's margin either side of a cell's text (``QCommonStyle``'s ``PM_FocusFrameHMargin`` + 1)."""
    return view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1


def depth_of(index: QModelIndex | QPersistentModelIndex) -> int:
    depth, parent = 0, index.parent()
    while parent.isValid():
        depth, parent = depth + 1, parent.parent()
    return depth


def indent_of(view: QTreeView, index: QModelIndex | QPersistentModelIndex) -> int:
    """How far the first column's text of ``index`` starts right of its column (the branches)."""
    return view.indentation() * (depth_of(index) + (1 if view.rootIsDecorated() else 0))


class WrappingDelegate(QStyledItemDelegate):
    """Wraps the text of the ``WRAPPED`` columns, and tells the tree the height the wrapped lines
    need at the column's present width (the tree asks without saying the width)."""

    def __init__(self, view: QTreeView) -> None:
        super().__init__(view)
        self.view = view

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        # a row's cells start on its first line: a one-line subject beside a three-line title
        option.displayAlignment = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
        if index.column() in WRAPPED:
            option.features |= QStyleOptionViewItem.ViewItemFeature.WrapText

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        if index.column() not in WRAPPED:
            return super().sizeHint(option, index)
        width = self.view.header().sectionSize(index.column())
        if index.column() == TITLE:
            width -= indent_of(self.view, index)
        sized = QStyleOptionViewItem(option)
        sized.rect = QRect(0, 0, max(width, 1), max(option.rect.height(), 1))  # valid: Qt wraps only then
        return super().sizeHint(sized, index)


class FindingTree(QTreeWidget):
    """The tree of findings, its columns fitted to its width (``fit_columns``) as it resizes."""

    def __init__(self) -> None:
        super().__init__()
        self.setHeaderLabels(HEADERS)
        self.setWordWrap(True)
        self.setItemDelegate(WrappingDelegate(self))
        header = self.header()
        header.setStretchLastSection(True)
        header.setMinimumSectionSize(self.fontMetrics().horizontalAdvance("Subject") + 2 * text_margin(self))
        for column in (SEVERITY, REVIEWED):  # a word each: as wide as the widest
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self._relayout = QTimer(self)
        self._relayout.setSingleShot(True)
        self._relayout.setInterval(0)
        self._relayout.timeout.connect(self.doItemsLayout)  # the rows' heights follow the columns' widths
        header.sectionResized.connect(lambda *_: self._relayout.start())

    def longest(self, column: int) -> int:
        """The width the longest text of ``column`` needs on one line, its branches included."""
        metrics, margin = self.fontMetrics(), 2 * text_margin(self)
        longest = 0
        stack = [self.topLevelItem(i) for i in range(self.topLevelItemCount())]
        while stack:
            item = stack.pop()
            index = self.indexFromItem(item, column)
            indent = indent_of(self, index) if column == TITLE else 0
            longest = max(longest, metrics.horizontalAdvance(item.text(column)) + margin + indent)
            stack += [item.child(i) for i in range(item.childCount())]
        return longest

    def fit_columns(self) -> None:
        """Title and subject share the width severity and review leave, each no wider than its
        longest text; the message column takes what is left, or lies past the right edge."""
        header = self.header()
        room = self.viewport().width() - header.sectionSize(SEVERITY) - header.sectionSize(REVIEWED)
        title, subject = self.longest(TITLE), self.longest(SUBJECT)
        if title + subject + WHAT_LEAST > room:
            subject = min(subject, max(round(room * (1 - TITLE_SHARE)), room - title))
            title = max(room - subject, header.minimumSectionSize())
        header.resizeSection(TITLE, title)
        header.resizeSection(SUBJECT, subject)
        if title + subject + WHAT_LEAST > room:  # past the right edge: as wide as its text, within reason
            header.resizeSection(WHAT, min(self.longest(WHAT), WHAT_MOST))

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self.fit_columns()


class TreeAndEvidence(QSplitter):
    """The tree and the evidence side by side: the evidence gets ``EVIDENCE_SHARE`` of the width
    or the least its buttons need, the tree the rest. Where that would leave the tree less than
    ``TREE_LEAST`` (half a 1366 screen) the evidence goes under the tree instead, sharing the
    height the same way. Once the person moves the handle, the sizes are theirs."""

    def __init__(self, tree: QWidget, evidence: QWidget) -> None:
        super().__init__()
        self.addWidget(tree)
        self.addWidget(evidence)
        self.setChildrenCollapsible(False)
        self.by_hand = False
        self.splitterMoved.connect(self._moved)

    def _moved(self, *_args: object) -> None:
        self.by_hand = True

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        evidence = self.widget(1).minimumSizeHint()
        side_by_side = self.width() - self.handleWidth() - evidence.width() >= TREE_LEAST
        wanted = Qt.Orientation.Horizontal if side_by_side else Qt.Orientation.Vertical
        if wanted != self.orientation():
            self.setOrientation(wanted)
            self.by_hand = False
        if self.by_hand:
            return
        room = (self.width() if side_by_side else self.height()) - self.handleWidth()
        least = evidence.width() if side_by_side else evidence.height()
        share = max(least, round(room * EVIDENCE_SHARE))
        self.setSizes([room - share, share])
