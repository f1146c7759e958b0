"""The Dashboard's tiles in rows that reflow with the width, in a scroll area of their own.

On a short window (1366×768 at 150 % leaves 910×512 logical pixels) ten tiles and the chart do not
fit one above the other: the rows of tiles past the first scroll here, inside the page, so the
page itself never scrolls and the chart, the lists and the as-of date stay where they are.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QScrollArea, QWidget

#: tiles per row: two rows fit a 768-pixel-high screen with the chart below
TILE_COLUMNS = 5
#: narrower than this (a 1280×720 screen at 150 % leaves about 660 px for a screen), three a row
NARROW_WIDTH, NARROW_TILE_COLUMNS = 900, 3


def columns_for(width: int) -> int:
    """Five tiles a row where they fit (1366 px), fewer on a narrow page (1280×720 at 150 %)."""
    return TILE_COLUMNS if width >= NARROW_WIDTH else NARROW_TILE_COLUMNS


class TileBoard(QScrollArea):
    """The tiles (any widgets), ``columns`` a row; scrolls down, never sideways."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("tile-board")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        holder = QWidget()
        self.grid = QGridLayout(holder)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.setWidget(holder)
        self.tiles: list[QWidget] = []
        self.columns = 0

    def show_tiles(self, tiles: list[QWidget], columns: int) -> None:
        """Replace the tiles shown (one shown already and among ``tiles`` is kept, only placed again;
        the same tiles in the same order stay where they are)."""
        if list(tiles) == self.tiles and columns == self.columns:
            return
        kept = {id(widget) for widget in tiles}
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() and id(item.widget()) not in kept:
                item.widget().deleteLater()
        self.tiles = list(tiles)
        self.columns = 0
        self.arrange(columns)

    def arrange(self, columns: int) -> None:
        """``columns`` tiles a row (nothing to do when they already are)."""
        if columns == self.columns:
            return
        self.columns = columns
        for widget in self.tiles:
            self.grid.removeWidget(widget)
        for i, widget in enumerate(self.tiles):
            self.grid.addWidget(widget, i // columns, i % columns)

    def whole_rows_within(self, limit: int) -> int:
        """The height of as many whole rows as fit in ``limit`` (the first row at least): a short
        board cuts no tile in half, the scroll bar beside it saying more rows follow."""
        spacing = max(self.grid.verticalSpacing(), 0)
        columns = max(self.columns, 1)
        width = (self.viewport().width() - spacing * (columns - 1)) // columns
        height = 2 * self.frameWidth()
        for start in range(0, len(self.tiles), columns):
            row = max(tile.heightForWidth(width) if tile.hasHeightForWidth() else tile.sizeHint().height()
                      for tile in self.tiles[start:start + columns])
            if start and height + spacing + row > limit:
                break
            height += (spacing if start else 0) + row
        return height

    def needed_height(self) -> int:
        """How high every row is at the present width: the height at which nothing scrolls here."""
        holder = self.widget()
        width = self.viewport().width()
        wanted = holder.heightForWidth(width) if holder.hasHeightForWidth() else -1
        return max(wanted, holder.minimumSizeHint().height()) + 2 * self.frameWidth()
