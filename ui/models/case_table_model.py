"""The enrollment register model: pages of cases fetched on demand from the register service.

``rowCount`` is the SQL count; ``data`` asks for the page a row falls in and keeps only a few
pages cached, so 200,000 cases cost a few hundred rows of memory (``ui.models.windowed``, which
the long record lists share).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from app.domain.vocabulary import label
from app.services.register import COLUMNS, FLAGS, RegisterQuery, count_cases, fetch_page
from app.storage.database import Database
from ui.date_field import shown
from ui.models.windowed import MAX_CACHED_PAGES, PAGE_SIZE, WindowedTableModel

__all__ = ["COLUMNS", "MAX_CACHED_PAGES", "PAGE_SIZE", "CaseTableModel"]

#: the register columns that hold dates
DATE_COLUMNS = frozenset({"eligible_on", "enrolled_on"})

LABELLED = {"project", "status", "not_enrolled_reason", "payer", "primary_site"}
#: The flag column, after the stored columns (``app.services.register.FLAGS``; not sortable:
#: it is judged at the as-of date, so no index orders it)
FLAG_COLUMN = len(COLUMNS)
FLAG_HEADER = "Flag"
Index = QModelIndex | QPersistentModelIndex


class CaseTableModel(WindowedTableModel):
    def __init__(self, db: Database, parent: Any = None) -> None:
        super().__init__(parent)
        self.db = db
        self.query = RegisterQuery()
        self._count = count_cases(db, self.query)

    # -- the windowed model's reads ------------------------------------------------------
    def read_count(self) -> int:
        return count_cases(self.db, self.query)

    def read_page(self, offset: int, limit: int, total: int) -> list[tuple[Any, ...]]:
        return fetch_page(self.db, self.query, offset, limit, total=total)

    # -- what the view asks -------------------------------------------------------------
    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS) + 1

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return FLAG_HEADER if section == FLAG_COLUMN else COLUMNS[section][1]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.UserRole, Qt.ItemDataRole.ToolTipRole):
            return None
        row = self.row_values(index.row())
        if row is None:
            return None
        if index.column() == FLAG_COLUMN:
            flag = row[FLAG_COLUMN + 1] if len(row) > FLAG_COLUMN + 1 else None
            return flag if role == Qt.ItemDataRole.UserRole else FLAGS.get(flag, "") if flag else ""
        value = row[index.column()]
        if role == Qt.ItemDataRole.UserRole:
            return value
        key = COLUMNS[index.column()][0]
        if key in DATE_COLUMNS and value:  # SQLite hands the page's dates back as ISO text
            day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
            return shown(day)  # the facility's date format (sorting happens in SQL)
        if isinstance(value, dt.date):
            return shown(value)
        if key in LABELLED:
            return label(value)
        return "" if value is None else str(value)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if column >= len(COLUMNS):  # the flag: filter by it instead
            return
        self.set_query(replace(self.query, sort_column=COLUMNS[column][0],
                               descending=order == Qt.SortOrder.DescendingOrder))

    # -- what the page asks --------------------------------------------------------------
    def set_query(self, query: RegisterQuery) -> None:
        self.reset_rows(before=lambda: setattr(self, "query", query))

    def refresh(self) -> None:
        self.set_query(self.query)

    def case_id(self, row: int) -> str | None:
        values = self.row_values(row)
        return values[0] if values else None

    def version(self, row: int) -> int | None:
        """The case's version as this row shows it (fetched with the page, after the shown columns)."""
        values = self.row_values(row)
        return values[len(COLUMNS)] if values and len(values) > len(COLUMNS) else None

    def find_rows(self, case_ids: set[str], near: int, span: int = 200) -> dict[str, int]:  # type: ignore[override]
        """Where these cases now are, looked for around row ``near`` (a change elsewhere moves a
        row a little if at all; looking further would read the whole register)."""
        return super().find_rows(case_ids, near, lambda values: values[0], span)  # type: ignore[return-value]
