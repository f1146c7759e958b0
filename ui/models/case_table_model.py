"""The enrollment register model: pages of cases fetched on demand from the register service.

``rowCount`` is the SQL count; ``data`` asks for the page a row falls in and keeps only a few
pages cached, so 200,000 cases cost a few hundred rows of memory.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from app.domain.vocabulary import label
from app.services.register import COLUMNS, FLAGS, RegisterQuery, count_cases, fetch_page
from app.storage.database import Database
from ui.date_field import shown

#: the register columns that hold dates
DATE_COLUMNS = frozenset({"eligible_on", "enrolled_on"})

PAGE_SIZE = 500
MAX_CACHED_PAGES = 8
LABELLED = {"project", "status", "not_enrolled_reason", "payer", "primary_site"}
#: The flag column, after the stored columns (``app.services.register.FLAGS``; not sortable:
#: it is judged at the as-of date, so no index orders it)
FLAG_COLUMN = len(COLUMNS)
FLAG_HEADER = "Flag"
Index = QModelIndex | QPersistentModelIndex


class CaseTableModel(QAbstractTableModel):
    def __init__(self, db: Database, parent: Any = None) -> None:
        super().__init__(parent)
        self.db = db
        self.query = RegisterQuery()
        self._count = count_cases(db, self.query)
        self._pages: OrderedDict[int, list[tuple[Any, ...]]] = OrderedDict()

    # -- what the view asks -------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else self._count

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
        self.beginResetModel()
        self.query = query
        self._pages.clear()
        self._count = count_cases(self.db, query)
        self.endResetModel()

    def refresh(self) -> None:
        self.set_query(self.query)

    def row_values(self, row: int) -> tuple[Any, ...] | None:
        if not 0 <= row < self._count:
            return None
        page = row // PAGE_SIZE
        rows = self._pages.get(page)
        if rows is None:
            rows = fetch_page(self.db, self.query, page * PAGE_SIZE, PAGE_SIZE, total=self._count)
            self._pages[page] = rows
            while len(self._pages) > MAX_CACHED_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page)
        offset = row - page * PAGE_SIZE
        return rows[offset] if offset < len(rows) else None

    def case_id(self, row: int) -> str | None:
        values = self.row_values(row)
        return values[0] if values else None

    def version(self, row: int) -> int | None:
        """The case's version as this row shows it (fetched with the page, after the shown columns)."""
        values = self.row_values(row)
        return values[len(COLUMNS)] if values and len(values) > len(COLUMNS) else None

    def find_rows(self, case_ids: set[str], near: int, span: int = 200) -> dict[str, int]:
        """Where these cases now are, looked for around row ``near`` (a change elsewhere moves a
        row a little if at all; looking further would read the whole register)."""
        found: dict[str, int] = {}
        for row in range(max(0, near - span), min(self._count, near + span + 1)):
            case_id = self.case_id(row)
            if case_id in case_ids:
                found[case_id] = row
                if len(found) == len(case_ids):
                    break
        return found

    @property
    def cached_pages(self) -> int:
        return len(self._pages)
