"""The mouse wheel scrolls the page, not the field the pointer happens to pass over.

Qt gives a combo box or a spin box every wheel turn over it, focused or not: scrolling down the
Settings screen turned "Program (policy) year" to another year on the way, and a turn over the
register's project filter changed the list. As in well-kept Qt applications (Krita, QGIS), such a
field takes the wheel only once it has the keyboard (clicked or tabbed into); before that the turn
goes on to what holds it, the page's scroll area. Fields take focus by click or Tab, never by the
wheel (``Qt.StrongFocus``).

``guard_fields(root)`` is called on each screen once it is built (``ui.main_window``), on each
dialog body that scrolls (``ui.dialog_fit.FittingScrollArea``) and on every record form
(``ui.record_form``); other dialogs have no page to scroll and keep Qt's way. One watcher serves
them all, on those fields only (not an application-wide filter: see ``ui.window_events``).
"""

from __future__ import annotations

import functools

from PySide6 import QtCore
from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QWidget

#: The fields a wheel turn would change.
TURNABLE = (QComboBox, QAbstractSpinBox)
#: A property set on a field once watched (a field is watched once, whatever calls guard_fields)
GUARDED = "wheel_guarded"


class _WheelWatcher(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() != QEvent.Type.Wheel or not isinstance(watched, QWidget) or watched.hasFocus():
            return False
        holder = watched.parentWidget()
        while holder is not None:  # on up to what takes it: the scroll area that holds the field
            event.ignore()  # (Qt passes a turn sent by hand to its receiver only)
            QCoreApplication.sendEvent(holder, event)
            if event.isAccepted():
                break
            holder = holder.parentWidget()
        return True  # the field itself never sees it


@functools.cache
def _the_watcher() -> _WheelWatcher:
    return _WheelWatcher()  # one for every field (it keeps nothing of its own)


def guard(field: QWidget) -> None:
    """Let ``field`` take the wheel only while it has the keyboard."""
    if field.property(GUARDED):
        return
    field.setProperty(GUARDED, True)
    field.setFocusPolicy(QtCore.Qt.FocusPolicy.StrongFocus)  # (``Qt`` built on first use: ui.sign_in's note)
    field.installEventFilter(_the_watcher())


def guard_fields(root: QWidget) -> None:
    """Guard every combo box and spin box in ``root`` (``guard``)."""
    for kind in TURNABLE:
        for field in root.findChildren(kind):
            guard(field)
    if isinstance(root, TURNABLE):
        guard(root)
