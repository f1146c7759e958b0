"""The as-of date every evaluating screen shares: change it once, every page re-evaluates."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QObject, Signal

from ui.date_field import DateField


class AsOf(QObject):
    changed = Signal(object)

    def __init__(self, day: dt.date | None = None) -> None:
        super().__init__()
        #: The calendar day when the window opened: what ``t`` means in the as-of field itself.
        self.today = dt.date.today()
        self.day = day or self.today

    def set(self, day: dt.date) -> None:
        if day != self.day:
            self.day = day
            self.changed.emit(day)


def date_edit(as_of: AsOf) -> DateField:
    """A date field bound both ways to the shared as-of date (``t`` there is today's date)."""
    edit = DateField(as_of.day, reference=lambda: as_of.today, required=True)
    edit.edit.setToolTip("Evaluate everything as it stood on this date (t: today)")
    edit.committed.connect(as_of.set)
    as_of.changed.connect(edit.set_date)
    return edit
