"""The as-of date every evaluating screen shares: change it once, every page re-evaluates."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QObject, Signal
from PySide6.QtWidgets import QDateEdit


class AsOf(QObject):
    changed = Signal(object)

    def __init__(self, day: dt.date | None = None) -> None:
        super().__init__()
        self.day = day or dt.date.today()

    def set(self, day: dt.date) -> None:
        if day != self.day:
            self.day = day
            self.changed.emit(day)


def date_edit(as_of: AsOf) -> QDateEdit:
    """A date picker bound both ways to the shared as-of date."""
    edit = QDateEdit(QDate(as_of.day.year, as_of.day.month, as_of.day.day))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    edit.setToolTip("Evaluate everything as it stood on this date")
    edit.dateChanged.connect(lambda d: as_of.set(dt.date(d.year(), d.month(), d.day())))
    as_of.changed.connect(lambda d: edit.setDate(QDate(d.year, d.month, d.day)))
    return edit
