"""The as-of date every evaluating screen shares: change it once, every page re-evaluates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import QWidget

from ui.date_field import DateField


class AsOf(QObject):
    """The date the screens show things as of (``day``), and the real one (``current_day``): a
    record made while looking at another day is dated the real day unless the user chooses
    otherwise (``ui.record_day``)."""

    changed = Signal(object)

    def __init__(self, day: dt.date | None = None, clock: Callable[[], dt.datetime] | None = None,
                 parent: QObject | None = None) -> None:
        """``clock``: the window's (``MainWindow.clock``, which tests replace); the computer's by default.
        ``parent``: the window, so the date goes with it, and with it what its ``changed`` holds
        (a connected function holding a screen would otherwise keep the screen, and the window)."""
        super().__init__(parent)
        self.clock: Callable[[], dt.datetime] = clock or dt.datetime.now
        #: The calendar day when the window opened: what ``t`` means in the as-of field itself.
        self.today = self.clock().date()
        self.day = day or self.today

    def current_day(self) -> dt.date:
        """Today by the window's clock, now (not when the window opened: it may stay open overnight)."""
        return self.clock().date()

    def set(self, day: dt.date) -> None:
        if day != self.day:
            self.day = day
            self.changed.emit(day)


def follow_when_shown(page: QWidget, as_of: AsOf, show: Callable[[], object]) -> None:
    """``show()`` whenever the as-of date moves: at once while ``page`` is on screen (or is a window
    of its own), else once when it is next shown. A screen out of sight in the window re-read its
    figures on every step of the date from any other screen, on the GUI thread: at 200,000 cases
    Dosimetry's missing list, the register's count, the role warnings and the policies took 30-60 ms
    of each as-of change on the Dashboard."""
    _FollowWhenShown(page, as_of, show)


class _FollowWhenShown(QObject):
    def __init__(self, page: QWidget, as_of: AsOf, show: Callable[[], object]) -> None:
        super().__init__(page)
        self.page = page
        self.show = show
        self.stale = False
        as_of.changed.connect(self.moved)
        page.installEventFilter(self)

    def moved(self, *_day: object) -> None:
        if self.page.parentWidget() is not None and not self.page.isVisible():
            self.stale = True
            return
        self.stale = False
        self.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Show and self.stale:
            self.stale = False
            self.show()
        return False


def date_edit(as_of: AsOf) -> DateField:
    """A date field bound both ways to the shared as-of date (``t`` there is today's date)."""
    edit = DateField(as_of.day, reference=lambda: as_of.today, required=True)
    edit.edit.setToolTip("Evaluate everything as it stood on this date (t: today)")
    edit.committed.connect(as_of.set)
    as_of.changed.connect(edit.set_date)
    return edit
