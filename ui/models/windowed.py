"""A table of rows read a page at a time from a service: the register's machinery (issue 28).

``rowCount`` is the service's count over the query; ``row_values`` asks for the page a row falls
in and keeps only a few pages cached, so 200,000 cases or 500,000 data-entry sessions cost a few
thousand rows of memory, and opening the list reads one count and one page. Sorting and filtering
belong to the query (the service's SQL), never to a proxy over every row.

A subclass says how to count and how to read a page (``read_count``, ``read_page``); the
enrollment register (``ui.models.case_table_model``) and the long record lists
(``ui.record_page``, the data-entry sessions) are both made of it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex

#: Rows per page read, and pages kept (the view shows a few dozen rows; a scroll reads the next).
PAGE_SIZE = 500
MAX_CACHED_PAGES = 8
Index = QModelIndex | QPersistentModelIndex


class WindowedTableModel(QAbstractTableModel):
    """Pages of rows fetched on demand. ``read_count()`` and ``read_page(offset, limit, total)``
    are the subclass's (each a service call); ``reset_rows()`` reads the count again and forgets
    the pages (a new query, or a change saved)."""

    page_size = PAGE_SIZE
    max_cached_pages = MAX_CACHED_PAGES

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._count = 0
        self._pages: OrderedDict[int, list[Any]] = OrderedDict()
        #: how many pages were read from the service since the model was made (tests, the benchmark)
        self.pages_read = 0

    # -- what a subclass supplies -------------------------------------------------------------
    def read_count(self) -> int:
        raise NotImplementedError

    def read_page(self, offset: int, limit: int, total: int) -> list[Any]:
        raise NotImplementedError

    # -- what the view asks --------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008 (Qt's name)
        return 0 if parent.isValid() else self._count

    # -- reading -------------------------------------------------------------------------------
    def reset_rows(self, before: Callable[[], None] | None = None, *, recount: bool = True) -> None:
        """The count read again and the cached pages forgotten, as one model reset (``before``
        runs inside it: a new query set while the view holds no row). ``recount=False``: the same
        rows in another order (a sort), so the count stands."""
        self.beginResetModel()
        try:
            if before is not None:
                before()
            self._pages.clear()
            if recount:
                self._count = self.read_count()
        finally:
            self.endResetModel()

    def row_values(self, row: int) -> Any | None:
        """Row ``row`` as the service gave it (None past the end), its page read if not cached."""
        if not 0 <= row < self._count:
            return None
        page = row // self.page_size
        rows = self._pages.get(page)
        if rows is None:
            rows = self.read_page(page * self.page_size, self.page_size, self._count)
            self.pages_read += 1
            self._pages[page] = rows
            while len(self._pages) > self.max_cached_pages:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page)
        offset = row - page * self.page_size
        return rows[offset] if offset < len(rows) else None

    def find_rows(self, keys: Iterable[Hashable], near: int, key_of: Callable[[Any], Hashable],
                  span: int = 200) -> dict[Hashable, int]:
        """Where the rows of these keys now are, looked for around row ``near`` (a change elsewhere
        moves a row a little if at all; looking further would read the whole list)."""
        wanted = set(keys)
        found: dict[Hashable, int] = {}
        if not wanted:
            return found
        for row in range(max(0, near - span), min(self._count, near + span + 1)):
            values = self.row_values(row)
            key = key_of(values) if values is not None else None
            if key in wanted:
                found[key] = row
                if len(found) == len(wanted):
                    break
        return found

    @property
    def cached_pages(self) -> int:
        return len(self._pages)

    @property
    def cached_rows(self) -> int:
        """Rows held in memory now (a few pages, whatever the count)."""
        return sum(len(rows) for rows in self._pages.values())
