"""Dialogs grow to fit their messages and never shrink their inputs.

Qt sizes a window by its layout's minimum, which does not follow word-wrapped labels: when a
message appears (a substitute's verdict, a form's problems, "wrong password" in the lock), the
layout squeezes every row to make room, combo boxes shrink to half height and move under the
mouse, and the message itself is cut. ``grows_to_fit`` watches the dialog's layout and makes the
dialog as tall as the wrapped words need at its width (up to the screen's height), and keeps the
inputs at their own height (``fixed_height``), so any extra room goes to the messages.
"""

from __future__ import annotations

from PySide6 import QtCore
from PySide6.QtCore import QEvent, QObject, QSize
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QFrame,
    QLineEdit,
    QScrollArea,
    QSizePolicy,
    QWidget,
)

from ui.date_field import DateField
from ui.wheel_guard import guard_fields

#: What a dialog's one-line inputs are: they keep their height.
INPUTS = (QComboBox, QLineEdit, QCheckBox, QAbstractSpinBox, DateField)

#: The height ``fit`` last grew a dialog to (a property of the dialog): only that height shrinks back.
GROWN_TO = "grown_to_fit"

#: Room the window manager's title bar and frame take above the dialog on the screen.
FRAME_HEIGHT = 40


def needed_height(dialog: QWidget) -> int:
    """The height the dialog's layout needs at the dialog's present width, wrapped words included."""
    layout = dialog.layout()
    if layout is None:
        return dialog.minimumSizeHint().height()
    layout.activate()
    width = dialog.width()
    wrapped = layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else -1
    return max(wrapped, layout.totalMinimumSize().height())


def fit(dialog: QWidget) -> None:
    """Make ``dialog`` at least as tall as it needs (never taller than its screen allows): its
    minimum follows the words, so the person cannot squeeze it either."""
    needed = needed_height(dialog)
    screen = dialog.screen()
    if screen is not None:
        needed = min(needed, screen.availableGeometry().height() - FRAME_HEIGHT)
    was, grown_to = dialog.height(), dialog.property(GROWN_TO)
    if dialog.minimumHeight() != needed:
        dialog.setMinimumHeight(needed)  # (Qt grows a shown window to its new minimum at once)
    if was < needed:
        if dialog.height() < needed:
            dialog.resize(dialog.width(), needed)
        dialog.setProperty(GROWN_TO, needed)
    elif grown_to is not None and was == grown_to and needed < grown_to:
        # the message that made it grow went away: back down (a height the person chose stays)
        dialog.resize(dialog.width(), needed)
        dialog.setProperty(GROWN_TO, needed)


class _GrowToFit(QObject):
    """Refits its dialog whenever the dialog's layout changed (a label's text, a row shown) or the
    dialog was shown or resized (a narrower dialog wraps into more lines)."""

    EVENTS = frozenset({QEvent.Type.LayoutRequest, QEvent.Type.Show, QEvent.Type.Resize})

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in self.EVENTS and isinstance(watched, QWidget) and watched.isVisible():
            fit(watched)
        return False


def fixed_height(*inputs: QWidget) -> None:
    """Inputs keep their own height whatever the dialog's: extra room goes to the messages."""
    for widget in inputs:
        policy = widget.sizePolicy()
        policy.setVerticalPolicy(QSizePolicy.Policy.Fixed)
        widget.setSizePolicy(policy)


def grows_to_fit(dialog: QWidget) -> QWidget:
    """Have ``dialog`` grow to fit its messages from now on; its one-line inputs keep their
    height. Returns the dialog (for chaining in a constructor)."""
    if dialog.findChild(_GrowToFit, "grows_to_fit") is not None:
        return dialog
    fixed_height(*(w for w in dialog.findChildren(QWidget) if isinstance(w, INPUTS)
                   and not isinstance(w.parentWidget(), QComboBox)))
    watcher = _GrowToFit(dialog)
    watcher.setObjectName("grows_to_fit")
    dialog.installEventFilter(watcher)
    return dialog


class _FitItsWindow(QObject):
    """Once its widget is first shown: the window holding it grows to fit (``grows_to_fit``)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Show and isinstance(watched, QWidget):
            watched.removeEventFilter(self)
            window = watched.window()
            grows_to_fit(window)
            fit(window)
        return False


def fit_the_window_of(message: QWidget) -> None:
    """A message that goes into other dialogs' forms (the password rule): whichever dialog shows it
    grows to fit it, without each dialog having to ask."""
    message.installEventFilter(_FitItsWindow(message))


class FittingScrollArea(QScrollArea):
    """A frameless scroll area as tall as its widget needs at its width, up to the screen (less
    ``reserve`` for what the dialog shows beside it): a dialog taller than a small screen (150 % on
    a 1366×768 laptop) scrolls its body instead of squashing its words into each other."""

    def __init__(self, body: QWidget, reserve: int = 0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reserve = reserve
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # words wrap instead
        self.setWidget(body)
        guard_fields(body)  # the wheel scrolls the body, not the field under the pointer

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        body = self.widget()
        width = body.sizeHint().width()
        layout = body.layout()
        height = body.sizeHint().height()
        if layout is not None and layout.hasHeightForWidth():
            height = max(height, layout.totalHeightForWidth(max(self.viewport().width(), width)))
        screen = self.screen()
        if screen is not None:
            height = min(height, screen.availableGeometry().height() - FRAME_HEIGHT - self.reserve)
        return QSize(width + self.verticalScrollBar().sizeHint().width(), height)
