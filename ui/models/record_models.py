"""The models of a record list (``ui.record_page``): what a cell shows and sorts by, a short list
held whole, and a long one read a page at a time.

- ``RecordListModel``: the records of a list of thousands (a dosimetry history, the staff), read
  at once. A cell's text is made when the view draws it, not for every cell when the list is
  read: filling 5,000 submissions into a ``QTableWidget`` (45,000 items, each sorted through a
  Python comparison) was most of opening Dosimetry and of every save there (issue 28). Sorting is
  one Python sort of the records by ``sort_key``, blanks last in either order.
- ``PagedRecordModel``: a list too long to read whole (half a million data-entry sessions at
  200,000 cases), over the register's machinery (``ui.models.windowed``): the service counts the
  rows its query lists and reads the page the view shows; sorting and filtering are the query's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

from app.domain.vocabulary import CODES, label
from ui.date_field import shown as shown_date
from ui.models.windowed import WindowedTableModel

Index = QModelIndex | QPersistentModelIndex
#: Where a cell keeps what it sorts by (``sort_key``): dates by day whatever the date format shown.
SORT_ROLE = Qt.ItemDataRole.UserRole + 1


def shown(value: Any) -> str:
    """A value as a list's cell shows it: dates in the facility's format, codes in words."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return shown_date(value)  # as the facility shows dates (Settings)
    if isinstance(value, str):
        return label(value) if value in CODES else value
    return str(value)


def sort_key(value: Any) -> Any:
    """What a cell sorts by: None for a blank (kept last), numbers as numbers, dates as ISO text
    (so 03/05/2025 sorts by day in any date format), anything else by its words, ignoring case."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    return shown(value).casefold()


def sorted_rows(keys: Sequence[Any], rows: Sequence[int], descending: bool) -> list[int]:
    """``rows`` ordered by their ``keys[row]`` (``sort_key`` values), blanks last in either order;
    rows that sort alike keep their order (a stable sort, as Qt's). Keys of different kinds in
    one column (a number beside a text) sort by their text."""
    filled = [r for r in rows if keys[r] is not None]
    blanks = [r for r in rows if keys[r] is None]
    kinds = {str if isinstance(keys[r], str) else float for r in filled}
    if len(kinds) > 1:
        filled.sort(key=lambda r: str(keys[r]), reverse=descending)
    else:
        filled.sort(key=keys.__getitem__, reverse=descending)
    return filled + blanks


def reorder_rows(model: QAbstractTableModel, order: list[int], new: list[int]) -> None:
    """Show ``model``'s rows in the ``new`` order (both lists of what each row shows), the views'
    selection and current cell kept on the same things: one layout change, persistent indexes moved."""
    model.layoutAboutToBeChanged.emit()
    where = {at: row for row, at in enumerate(new)}
    before = model.persistentIndexList()
    after = [model.createIndex(where[order[i.row()]], i.column()) for i in before]
    order[:] = new
    model.changePersistentIndexList(before, after)
    model.layoutChanged.emit()


class _Headed:
    """A table model's columns from ``columns``, (key, heading) pairs: the count and the headings."""

    columns: list[tuple[str, str]]

    def columnCount(self, parent: Any = QModelIndex()) -> int:  # noqa: N802, B008 (Qt's name)
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section][1]
        return None


class RecordListModel(_Headed, QAbstractTableModel):
    """The records of a list read whole (``set_records``), in the order of the column chosen."""

    def __init__(self, columns: list[tuple[str, str]], parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = columns
        self.keys = [key for key, _ in columns]
        self.records: list[dict] = []
        self._order: list[int] = []  # the records shown, row by row (indexes into ``records``)
        self._sort: tuple[int, bool] | None = None  # (column, descending), once the view asked
        self._texts: list[str | None] = []  # each record's cells as the filter reads them, made on demand
        #: the sort column's key of each record read, by the record's identity: a list read again after
        #: one save hands back the same dicts for the rest (``ui.dosimetry``), whose keys are not made again
        self._keys_for: str | None = None
        self._keys: dict[int, tuple[dict, Any]] = {}

    # -- what the view asks ------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 (Qt's name)
        return 0 if parent.isValid() else len(self._order)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # the view asks each cell for a dozen roles: the ones a list has none of are answered first
        if role != Qt.ItemDataRole.DisplayRole and role != Qt.ItemDataRole.UserRole and role != SORT_ROLE:
            return None
        row = index.row()  # -1 for an invalid index
        if not 0 <= row < len(self._order):
            return None
        at = self._order[row]
        if role == Qt.ItemDataRole.DisplayRole:
            return shown(self.records[at].get(self.keys[index.column()]))
        if role == Qt.ItemDataRole.UserRole:  # which record the row shows (as a list's cell kept it)
            return at
        return sort_key(self.records[at].get(self.keys[index.column()]))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """The rows by ``column`` (the view's header), the selection kept on the same records."""
        self._sort = (column, order == Qt.SortOrder.DescendingOrder)
        if not self._order:
            return
        reorder_rows(self, self._order, self._sorted(self._order))

    def _sorted(self, rows: Sequence[int]) -> list[int]:
        if self._sort is None:
            return list(rows)
        column, descending = self._sort
        return sorted_rows(self._sort_keys(self.keys[column]), rows, descending)

    def _sort_keys(self, key: str) -> list[Any]:
        """Each record's ``sort_key`` of ``key``: kept for a record read before (the same dict; a
        record changed is read as a new one), made for the others."""
        kept = self._keys if self._keys_for == key else {}
        keys, now = [], {}
        for record in self.records:
            hit = kept.get(id(record))
            value = hit[1] if hit is not None and hit[0] is record else sort_key(record.get(key))
            now[id(record)] = (record, value)
            keys.append(value)
        self._keys, self._keys_for = now, key
        return keys

    # -- what the page asks --------------------------------------------------------------------------
    def set_records(self, records: list[dict]) -> None:
        """The list read again: its records, in the order chosen (a reset: the page re-selects)."""
        self.beginResetModel()
        self.records = records
        self._texts = [None] * len(records)
        self._order = self._sorted(range(len(records)))
        self.endResetModel()

    def record(self, row: int) -> dict | None:
        return self.records[self._order[row]] if 0 <= row < len(self._order) else None

    def matches(self, row: int, text: str) -> bool:
        """Whether row ``row`` shows ``text`` (casefolded) in any column."""
        at = self._order[row]
        words = self._texts[at]
        if words is None:
            record = self.records[at]
            words = self._texts[at] = "\0".join(shown(record.get(k)) for k in self.keys).casefold()
        return text in words

    def row_where(self, wanted: Callable[[dict], bool]) -> int:
        """The first row whose record is ``wanted``, or -1."""
        for row, at in enumerate(self._order):
            if wanted(self.records[at]):
                return row
        return -1


@dataclass(frozen=True)
class ListQuery:
    """What a long list asks its service for: the filter text (and the day it names, when it is a
    whole date as the facility writes dates), the column key it sorts by and the direction."""

    search: str = ""
    on: dt.date | None = None
    sort_column: str = ""
    descending: bool = False


@dataclass(frozen=True)
class PagedRecords:
    """A long list's service calls (``RecordPage(..., paged=...)``): ``count(query)``, the rows it
    lists; ``page(query, offset, limit, total)``, those rows as dicts; ``position(query, record)``,
    where a record now is (None: not listed), so a re-read keeps it selected. ``sortable``: the
    column keys the service sorts by (the others' headers do nothing)."""

    count: Callable[[ListQuery], int]
    page: Callable[[ListQuery, int, int, int], list[dict]]
    sortable: frozenset[str]
    position: Callable[[ListQuery, dict], int | None] | None = None


class PagedRecordModel(_Headed, WindowedTableModel):
    """A long list's rows, a page at a time from its service (``PagedRecords``); nothing is read
    until ``reload()`` (a list on a tab nobody opened costs nothing)."""

    def __init__(self, columns: list[tuple[str, str]], source: PagedRecords, parent: Any = None) -> None:
        super().__init__(parent)
        self.columns = columns
        self.keys = [key for key, _ in columns]
        self.source = source
        self.query = ListQuery()
        self.loaded = False
        #: how many times the rows were counted (each reload, sort and filter: one count)
        self.counts = 0

    def read_count(self) -> int:
        self.counts += 1
        return self.source.count(self.query)

    def read_page(self, offset: int, limit: int, total: int) -> list[dict]:
        return self.source.page(self.query, offset, limit, total)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole and role != Qt.ItemDataRole.UserRole and role != SORT_ROLE:
            return None
        if not index.isValid():
            return None
        record = self.row_values(index.row())
        if record is None:
            return None
        if role == Qt.ItemDataRole.UserRole:
            return index.row()
        value = record.get(self.keys[index.column()])
        return shown(value) if role == Qt.ItemDataRole.DisplayRole else sort_key(value)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorted by the service (a column it cannot sort by is left as it is)."""
        key = self.keys[column] if 0 <= column < len(self.keys) else ""
        if key not in self.source.sortable:
            return
        self.set_query(ListQuery(self.query.search, self.query.on, key, order == Qt.SortOrder.DescendingOrder))

    def set_query(self, query: ListQuery) -> None:
        """A new filter or order: read again if the list is open, else remembered for when it is."""
        if query == self.query:
            return
        if not self.loaded:
            self.query = query
            return
        same_rows = (query.search, query.on) == (self.query.search, self.query.on)  # only the order moved
        self.reset_rows(before=lambda: setattr(self, "query", query), recount=not same_rows)

    def reload(self) -> None:
        """Count again and forget the pages read (the list opened, or something changed)."""
        self.loaded = True
        self.reset_rows()

    def record(self, row: int) -> dict | None:
        return self.row_values(row)  # type: ignore[no-any-return]

    def position(self, record: dict, near: int, identity: Callable[[dict], object]) -> int | None:
        """Where ``record`` now is: asked of the service when it can say, else looked for near row
        ``near`` (``WindowedTableModel.find_rows``)."""
        if self.source.position is not None:
            return self.source.position(self.query, record)
        key = identity(record)
        found = self.find_rows([key], near, lambda values: identity(values))  # type: ignore[arg-type]
        return found.get(key)  # type: ignore[call-overload, no-any-return]
