"""The one date field of every form: typed (``app.domain.dates`` reads it), with a calendar
popup; empty means no date; shown in the facility's date format; Tab leaves it like any field.

``dateChanged(date | None)`` follows the text as it is typed; ``committed(date)`` fires when a
valid date is settled (Enter, leaving the field, a pick in the calendar) — what an as-of field
re-evaluates on. ``problem()`` says why the text is not a date (forms show it and refuse to save).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

from PySide6 import QtCore
from PySide6.QtCore import QDate, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCalendarWidget,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QTableWidgetItem,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from app.domain.dates import (
    DEFAULT_DATE_FORMAT,
    HINT,
    DateInputError,
    dates_in,
    format_date,
    parse_date,
)

_style = {"format": DEFAULT_DATE_FORMAT}
_reference: dict[str, Callable[[], dt.date] | None] = {"today": None}


def use_date_format(style: str) -> None:
    """Show dates in new fields as the facility chose (``iso`` or ``us``)."""
    _style["format"] = style or DEFAULT_DATE_FORMAT


def date_format() -> str:
    return _style["format"]


def use_reference(today: Callable[[], dt.date] | None) -> None:
    """What ``t`` and ``+7`` count from in fields without their own reference (the window's as-of date)."""
    _reference["today"] = today


def forget_reference(today: Callable[[], dt.date]) -> None:
    """A closing window's reference given back (if it is still the one in use): a date typed in a
    dialog opened afterwards counts from today, and the closed window is not kept alive by it."""
    if _reference["today"] is today:
        _reference["today"] = None


def reference_day() -> dt.date:
    """The window's as-of date (what ``t`` means in a field), else today: for a dialog that judges
    what it shows at the date the screens show (the screening wizard's data-quality check)."""
    source = _reference["today"]
    return source() if source else dt.date.today()


def shown(value: dt.date | None) -> str:
    """A date as the facility shows dates."""
    return _formatted(value, _style["format"])


@functools.lru_cache(maxsize=8192)
def _formatted(value: dt.date | None, style: str) -> str:
    """``format_date`` remembered: a long list shows the same few thousand days over and over, and
    ``strftime`` was a third of filling one (54,000 data-entry sessions)."""
    return format_date(value, style)


def dates_shown(text: str) -> str:
    """``text`` from a rule (which words its reasons with ISO dates, knowing no facility) with each
    date as the facility shows dates; what is not a real date is left as it is."""
    return dates_in(text, _style["format"])


class DateItem(QTableWidgetItem):
    """A table cell showing a date as the facility shows dates and sorting by the date itself
    (01/15/2024 after 12/31/2023, which text order would not give)."""

    def __init__(self, value: dt.date | None) -> None:
        super().__init__(shown(value))
        self.date = value

    def __lt__(self, other: QTableWidgetItem) -> bool:  # noqa: D105
        if isinstance(other, DateItem):
            return (self.date or dt.date.min) < (other.date or dt.date.min)
        return super().__lt__(other)


class _LineEdit(QLineEdit):
    """Up/Down step the date by a day (only when there is one); Alt+Down or F4 opens the calendar."""

    def __init__(self, owner: DateField) -> None:
        super().__init__()
        self.owner = owner

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt)
        key, mods = event.key(), event.modifiers()
        Qt = QtCore.Qt  # noqa: N806 (read here, not at the top: see ``ui.sign_in``'s note)
        if key == Qt.Key.Key_F4 or (key == Qt.Key.Key_Down and mods & Qt.KeyboardModifier.AltModifier):
            self.owner.open_calendar()
            return
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and not mods:
            self.owner.step(1 if key == Qt.Key.Key_Up else -1)
            return
        super().keyPressEvent(event)


class DateField(QWidget):
    dateChanged = Signal(object)  # noqa: N815 (the Qt name forms connect to)
    committed = Signal(object)

    def __init__(self, value: dt.date | None = None, parent: QWidget | None = None, *,
                 reference: Callable[[], dt.date] | None = None, required: bool = False) -> None:
        """``reference``: what ``t`` means (default: the window's as-of date, else today).
        ``required``: an emptied or mistyped field goes back to its last date when left."""
        super().__init__(parent)
        self._reference = reference
        self.required = required
        self.edit = _LineEdit(self)
        self.edit.setPlaceholderText("yyyy-mm-dd" if _style["format"] == "iso" else "mm/dd/yyyy")
        self.edit.setToolTip(HINT[0].upper() + HINT[1:])
        self.edit.setMinimumWidth(self.edit.fontMetrics().horizontalAdvance("00/00/00000") + 16)
        self.button = QToolButton()
        self.button.setText("▾")
        self.button.setToolTip("Pick from a calendar (Alt+Down)")
        self.button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)  # Tab goes from the field to the next field
        self.button.clicked.connect(self.open_calendar)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)
        self.setFocusProxy(self.edit)
        # a label's Alt+letter (a form's "&Eligible on") focuses its buddy only if the buddy itself
        # takes focus: the proxy then hands it to the typing field
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)
        self._value: dt.date | None = None
        self._problem: str | None = None
        self._settled: dt.date | None = None
        self.edit.textChanged.connect(self._typed)
        self.edit.editingFinished.connect(self._finish)
        self.set_date(value)

    # -- the value ------------------------------------------------------------------------------
    def today(self) -> dt.date:
        source = self._reference or _reference["today"]
        return source() if source else dt.date.today()

    def date(self) -> dt.date | None:
        """The date typed (None when empty or not a date: ``problem()`` tells them apart)."""
        return self._value

    def problem(self) -> str | None:
        return self._problem

    def text(self) -> str:
        return self.edit.text()

    def set_date(self, value: dt.date | QDate | None) -> None:
        if isinstance(value, QDate):
            value = dt.date(value.year(), value.month(), value.day()) if value.isValid() else None
        self.edit.setText(shown(value))
        self._problem = None
        self._settled = value
        self._set_value(value)

    setDate = set_date  # noqa: N815 (what QDateEdit callers and tests call)

    def clear(self) -> None:
        self.set_date(None)

    def set_text(self, text: str) -> None:
        """As if typed (tests, paste)."""
        self.edit.setText(text)
        self._typed(text)

    def _typed(self, text: str) -> None:
        try:
            value, self._problem = parse_date(text, self.today()), None
        except DateInputError as exc:
            value, self._problem = None, str(exc)
        if self.required and value is None and self._problem is None:
            self._problem = "a date is needed here"
        self.edit.setToolTip(self._problem[0].upper() + self._problem[1:] if self._problem else HINT[0].upper() + HINT[1:])
        self._set_value(value)

    def _set_value(self, value: dt.date | None) -> None:
        if value != self._value:
            self._value = value
            self.dateChanged.emit(value)

    def _finish(self) -> None:
        """Leaving the field (or Enter): a date is shown in the facility's format."""
        if self._problem is None:
            self.edit.setText(shown(self._value))
            if self._value is not None and self._value != self._settled:
                self._settled = self._value
                self.committed.emit(self._value)
        elif self.required and self._settled is not None:
            self.set_date(self._settled)

    def step(self, days: int) -> None:
        if self._value is None:
            return
        self.set_date(self._value + dt.timedelta(days=days))
        self.committed.emit(self._value)

    # -- the calendar ---------------------------------------------------------------------------
    def open_calendar(self) -> None:
        menu = QMenu(self)
        calendar = QCalendarWidget()
        start = self._value or self.today()
        calendar.setSelectedDate(QDate(start.year, start.month, start.day))
        action = QWidgetAction(menu)
        action.setDefaultWidget(calendar)
        menu.addAction(action)

        def picked(day: QDate) -> None:
            menu.close()
            self.set_date(day)
            self.committed.emit(self._value)
            self.edit.setFocus()

        calendar.activated.connect(picked)
        calendar.clicked.connect(picked)
        self._calendar = calendar  # tests pick from it
        menu.popup(self.mapToGlobal(self.rect().bottomLeft()))
