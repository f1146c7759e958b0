"""Two panes one above the other where the height lets each show what it needs, else two tabs.

On a laptop at 150 % (910×512 logical pixels) a screen of two stacked tables (Meetings: the
meetings and their attendance above the year's coverage) leaves each a handful of rows; as tabs,
each gets the whole height. On a taller window they stay stacked, so the coverage stays in sight
while attendance is entered. Printing follows the screen: a tab out of sight is not printed.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget


class StackOrTabs(QWidget):
    """``panes`` (widget, tab title) stacked in a splitter while ``fits(height)`` says each gets
    the rows it needs at that height, else in tabs; ``margin`` pixels of height either way before
    it changes back, so a height near the line does not flip it to and fro."""

    def __init__(self, panes: list[tuple[QWidget, str]], fits: Callable[[int], bool], margin: int,
                 stretch: tuple[int, ...] = ()) -> None:
        super().__init__()
        self.panes = [widget for widget, _title in panes]
        self.titles = [title for _widget, title in panes]
        self._fits = fits
        self._margin = margin
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.setChildrenCollapsible(False)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)  # no frame around the page: the tables keep the room
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.split)
        layout.addWidget(self.tabs)
        self._stretch = stretch
        self.tabbed: bool | None = None
        self._check = QTimer(self)
        self._check.setSingleShot(True)
        self._check.setInterval(0)
        self._check.timeout.connect(self._rearrange)
        self.arrange(tabbed=False)

    def arrange(self, tabbed: bool) -> None:
        """Stack the panes, or put them in tabs (the first tab shown)."""
        if tabbed == self.tabbed:
            return
        self.tabbed = tabbed
        for index, widget in enumerate(self.panes):
            if tabbed:
                self.tabs.addTab(widget, self.titles[index])
            else:
                self.split.addWidget(widget)
                widget.show()  # a tab's page out of sight was hidden
        for index, factor in enumerate(self._stretch):
            self.split.setStretchFactor(index, factor)
        self.split.setVisible(not tabbed)
        self.tabs.setVisible(tabbed)

    def set_title(self, index: int, title: str) -> None:
        """A pane's title, as its tab shows it."""
        self.titles[index] = title
        if self.tabbed:
            self.tabs.setTabText(index, title)

    def show_pane(self, index: int) -> None:
        """Bring a pane into sight (its tab, when tabbed)."""
        if self.tabbed:
            self.tabs.setCurrentIndex(index)

    def _rearrange(self) -> None:
        height = self.height()
        if self.tabbed:
            self.arrange(tabbed=not self._fits(height - self._margin))
        else:
            self.arrange(tabbed=not self._fits(height))

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._check.start()  # once the layouts have placed the panes at the new size
