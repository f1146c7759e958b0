"""Esc on a form with unsaved changes asks first: the one helper every form dialog mixes in."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


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

    def guarded_widgets(self) -> dict[str, QWidget]:
        raise NotImplementedError

    def remember_state(self) -> None:
        self._start = typed_state(self.guarded_widgets())

    def has_changes(self) -> bool:
        return typed_state(self.guarded_widgets()) != self._start

    def close_anyway(self) -> None:
        self._asked_already = True
        self.reject()  # type: ignore[attr-defined]

    def may_close(self) -> bool:
        return self._asked_already or not self.has_changes() or confirm_discard(self)  # type: ignore[arg-type]
