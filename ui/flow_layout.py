"""A row of buttons or filters that wraps onto the next line when the window is narrow.

At 150 % on a 1366×768 laptop (about 910×512 logical pixels) or with two windows side by side,
a toolbar in one ``QHBoxLayout`` is wider than the page: Qt then either clips the last buttons or
makes the whole page scroll sideways. ``FlowLayout`` places its items left to right and starts a
new line where the next one would not fit, so every control stays on the page; the page grows
by a line instead (``heightForWidth``).

It takes the calls a ``QHBoxLayout`` toolbar is built with (``addWidget(widget, stretch)``,
``addStretch``, ``addSpacing``), so a screen switches by changing one constructor: an item with
a stretch (a search field) takes the room left on its line, an ``addStretch`` pushes what
follows to the line's right end.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QSizePolicy, QSpacerItem, QStyle, QWidget


class FlowLayout(QLayout):
    def __init__(self, parent: QWidget | None = None, spacing: int = -1) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._stretch: list[int] = []
        self._spacing = spacing

    # -- what a QHBoxLayout toolbar is built with ----------------------------------------------------
    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 (Qt's name)
        self._items.append(item)
        self._stretch.append(0)

    def addWidget(self, widget: QWidget, stretch: int = 0,  # type: ignore[override]  # noqa: N802
                  alignment: Qt.AlignmentFlag | None = None) -> None:
        """As ``QBoxLayout.addWidget``: a ``stretch`` above 0 takes the room left on its line."""
        self.addChildWidget(widget)
        from PySide6.QtWidgets import QWidgetItem

        self._items.append(QWidgetItem(widget))
        self._stretch.append(stretch)
        self.invalidate()

    def addStretch(self, stretch: int = 1) -> None:  # noqa: N802 (Qt's name)
        """Push what follows to the right end of its line (nothing when the line wraps there)."""
        self._items.append(QSpacerItem(0, 0, QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum))
        self._stretch.append(max(stretch, 1))
        self.invalidate()

    def addSpacing(self, size: int) -> None:  # noqa: N802 (Qt's name)
        self._items.append(QSpacerItem(size, 0, QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Minimum))
        self._stretch.append(0)
        self.invalidate()

    # -- QLayout ---------------------------------------------------------------------------------------
    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt's name)
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 (Qt's name)
        if 0 <= index < len(self._items):
            self._stretch.pop(index)
            return self._items.pop(index)
        return None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 (Qt's name)
        return Qt.Orientation.Horizontal

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt's name)
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 (Qt's name)
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """Everything on one line, as the toolbar was before it could wrap."""
        width, height = 0, 0
        shown = [item for item in self._items if not item.isEmpty()]
        for item in shown:
            hint = item.sizeHint()
            width += hint.width()
            height = max(height, hint.height())
        width += self._gap() * max(len(shown) - 1, 0)
        margins = self.contentsMargins()
        return QSize(width + margins.left() + margins.right(), height + margins.top() + margins.bottom())

    def minimumSize(self) -> QSize:  # noqa: N802 (Qt's name)
        """The widest single item: narrower than that, nothing can wrap any more."""
        size = QSize()
        for item in self._items:
            if not item.isEmpty():
                size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    # -- placing ---------------------------------------------------------------------------------------
    def _gap(self, metric: QStyle.PixelMetric = QStyle.PixelMetric.PM_LayoutHorizontalSpacing) -> int:
        if self._spacing >= 0:
            return self._spacing
        widget = self.parentWidget()
        found = widget.style().pixelMetric(metric, None, widget) if widget is not None else -1
        return found if found >= 0 else 6

    def _lines(self, width: int) -> list[list[int]]:
        """The items' indexes, line by line, at ``width``."""
        lines: list[list[int]] = [[]]
        used = 0
        for index, item in enumerate(self._items):
            if item.isEmpty() and not isinstance(item, QSpacerItem):  # a hidden widget takes no room
                continue
            wanted = item.sizeHint().width() if self._stretch[index] == 0 else item.minimumSize().width()
            if isinstance(item, QSpacerItem) and self._stretch[index]:
                wanted = 0
            gap = self._gap() if lines[-1] else 0
            if lines[-1] and used + gap + wanted > width:
                lines.append([])
                used, gap = 0, 0
            lines[-1].append(index)
            used += gap + wanted
        return lines

    def _place(self, rect: QRect, move: bool) -> int:
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        y = area.y()
        gap = self._gap()
        for line in self._lines(area.width()):
            widths = {}
            for index in line:
                item = self._items[index]
                if isinstance(item, QSpacerItem) and self._stretch[index]:
                    widths[index] = 0
                elif self._stretch[index]:
                    widths[index] = item.minimumSize().width()
                else:
                    widths[index] = min(item.sizeHint().width(), area.width())
            spare = area.width() - sum(widths.values()) - gap * max(len(line) - 1, 0)
            stretches = sum(self._stretch[i] for i in line)
            if spare > 0 and stretches:
                for index in line:
                    if self._stretch[index]:
                        extra = spare * self._stretch[index] // stretches
                        item = self._items[index]
                        widths[index] = min(widths[index] + extra, item.maximumSize().width())
            height = max((self._items[i].sizeHint().height() for i in line), default=0)
            x = area.x()
            for index in line:
                item = self._items[index]
                if move:
                    hint = item.sizeHint().height()
                    item.setGeometry(QRect(QPoint(x, y + (height - hint) // 2), QSize(widths[index], hint)))
                x += widths[index] + gap
            y += height + self._gap(QStyle.PixelMetric.PM_LayoutVerticalSpacing)
        if y > area.y():
            y -= self._gap(QStyle.PixelMetric.PM_LayoutVerticalSpacing)
        return y - area.y() + margins.top() + margins.bottom()
