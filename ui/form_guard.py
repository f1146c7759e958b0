"""Esc on a form with unsaved changes asks first: the one helper every form dialog mixes in.

When such a dialog closes, by Save, Esc or Esc → Discard, the keyboard focus goes back where it
was when the dialog opened (the list that Ctrl+N was pressed in) if Qt left the window without
it: after the question box, Ctrl+N did nothing until a click."""

from __future__ import annotations

import shiboken6
from PySide6 import QtCore
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget


def confirm_discard(parent: QWidget, text: str = "This form has changes that are not saved. Discard them?") -> bool:
    """Esc or Cancel on a form (or a wizard) with unsaved work: ask before throwing it away."""
    box = QMessageBox(QMessageBox.Icon.Question, "Discard your changes?", text,
                      QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel, parent)
    box.button(QMessageBox.StandardButton.Cancel).setText("Keep editing")
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    return box.exec() == QMessageBox.StandardButton.Discard


def typed_state(widgets: dict[str, QWidget]) -> tuple:  # type: ignore[type-arg]
    """What the person has typed in ``widgets``, to tell whether a form was changed."""
    state = []
    for key, w in widgets.items():
        for getter in ("text", "currentIndex", "isChecked", "value"):
            if hasattr(w, getter):
                state.append((key, getattr(w, getter)()))
                break
    return tuple(state)


class DiscardGuard:
    """Mixed into a form dialog: Esc/Cancel asks first when something was changed since it opened
    (``remember_state()`` marks the start); ``close_anyway()`` closes without asking (after a reload)."""

    _start: tuple = ()  # type: ignore[type-arg]
    _asked_already = False
    _opener: QWidget | None = None  # the widget that had the keyboard focus when the dialog opened
    _opener_active = False  # its window was the active one then (a window never active is not made so)

    def return_focus_to(self, widget: QWidget | None) -> None:
        """Where the keyboard focus goes when this dialog closes (by default: where it was when it opened)."""
        self._opener = widget
        self._opener_active = widget is not None and widget.window().isActiveWindow()

    def guarded_widgets(self) -> dict[str, QWidget]:
        raise NotImplementedError

    def remember_state(self) -> None:
        self._start = typed_state(self.guarded_widgets())
        if self._opener is None:
            focus = QApplication.focusWidget()
            if focus is not None and not self.isAncestorOf(focus):  # type: ignore[attr-defined]
                self.return_focus_to(focus)

    def has_changes(self) -> bool:
        return typed_state(self.guarded_widgets()) != self._start

    def close_anyway(self) -> None:
        self._asked_already = True
        self.reject()  # type: ignore[attr-defined]

    def may_close(self) -> bool:
        return self._asked_already or not self.has_changes() or confirm_discard(self)  # type: ignore[arg-type]

    def done(self, result: int) -> None:
        """Close (``QDialog.done``); then, once Qt has given the window back, make sure the keys
        reach the opener (``restore_focus``)."""
        super().done(result)  # type: ignore[misc]
        opener, was_active = self._opener, self._opener_active
        QTimer.singleShot(0, lambda: restore_focus(opener, activate=was_active))


def restore_focus(widget: QWidget | None, *, activate: bool = True) -> None:
    """If the keyboard focus was lost when a dialog closed (no window active, the closed dialog
    still taken as the active one, or no widget with the focus), give it back to ``widget`` (if it still exists and shows) in its window, making
    that window active again if it was when the dialog opened (``activate``). Where Qt restored
    the focus already, or another dialog has it, nothing is changed."""
    if widget is None or not shiboken6.isValid(widget) or not widget.isVisible() or not widget.isEnabled():
        return
    if QApplication.activeModalWidget() is not None:
        return
    active = QApplication.activeWindow()
    lost = active is None or not active.isVisible()  # nothing active, or the closed dialog still "active"
    if lost and activate:
        widget.window().activateWindow()
    if lost or QApplication.focusWidget() is None:
        widget.setFocus(QtCore.Qt.FocusReason.ActiveWindowFocusReason)
