"""A form built from field declarations: typed widgets, problems shown as the user types,
input kept when a save is refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.fields import FieldSpec, RecordSpec
from app.domain.vocabulary import CODES, label
from app.services.editing import Change, Conflict, NotFound, ValidationFailed
from app.storage.errors import DatabaseError
from ui import conflict
from ui.date_field import DateField
from ui.dialog_fit import grows_to_fit
from ui.form_guard import DiscardGuard
from ui.wheel_guard import guard_fields


def optional_date() -> DateField:
    """A date field that may be empty (empty is no date, never a placeholder date)."""
    return DateField()


def date_of(edit: DateField) -> dt.date | None:
    return edit.date()


def set_date(edit: DateField, value: dt.date | None) -> None:
    edit.set_date(value)


def date_problems(fields: dict[str, QWidget]) -> dict[str, str]:
    """What is wrong with the text of the date fields among ``fields`` (typed but not a date)."""
    return {key: w.problem() for key, w in fields.items() if isinstance(w, DateField) and w.problem()}  # type: ignore[misc]


#: The tint of a field with a problem (its tooltip says which).
INVALID_TINT = QColor("#fde2e1")


def mark_invalid(widget: QWidget, invalid: bool) -> None:
    """Tint a field with a problem, or clear the tint. A colour of the palette, not a style sheet:
    a style sheet's border redraws a combo box or a date in another style, up to a third lower,
    and the field moves under the mouse as the person types."""
    if not invalid:
        widget.setPalette(QPalette())  # nothing of its own: the dialog's colours again
        return
    palette = widget.palette()
    for role in (QPalette.ColorRole.Base, QPalette.ColorRole.Button):
        palette.setColor(role, INVALID_TINT)
    widget.setPalette(palette)


def choice_box(values: tuple[str, ...], blank: str | None = None) -> QComboBox:
    box = QComboBox()
    for shown, value in choices_of(values, blank):
        box.addItem(shown, value)
    return box


@dataclass(frozen=True)
class Field:
    key: str
    caption: str
    kind: str = "text"  # text, date, bool, choice, int, float
    choices: tuple[tuple[str, Any], ...] = ()  # (shown, value); a None value means "none"
    read_only_when_editing: bool = False
    #: Hidden until the person asks to see patient identifiers (``app.domain.fields``).
    identifies_patient: bool = False
    #: The declared field it was built from (``form_field``); None for a form that is no record's
    spec: FieldSpec | None = field(default=None, compare=False, repr=False)


def choices_of(values: tuple[str, ...], blank: str | None = None) -> tuple[tuple[str, Any], ...]:
    """(shown, value) pairs: codes in words, other values (a technique) as written."""
    return ((blank, None),) * (blank is not None) + tuple((label(v) if v in CODES else v, v) for v in values)


#: The form widget for each kind of field (``app.domain.fields.Kind``).
FORM_KINDS: dict[str, str] = {"text": "text", "id": "text", "metrics": "text", "date": "date", "bool": "bool",
                              "choice": "choice", "int": "int", "year": "int", "float": "float"}

Choices = tuple[tuple[str, Any], ...]


def form_field(spec: FieldSpec, choices: Choices | None = None, caption: str | None = None) -> Field:
    """The form's field for one declared field. ``choices``: what to offer when they come from
    the database (people), which makes an ID field a choice; ``caption``: a label that carries
    a number of the policy in force (a letter's reply days)."""
    if choices is not None:
        kind = "choice"
    elif spec.kind == "choice":
        kind, choices = "choice", choices_of(spec.choices, spec.blank)
    else:
        kind, choices = FORM_KINDS[spec.kind], ()
    return Field(spec.key, caption or spec.label, kind, choices, read_only_when_editing=spec.fixed_once_saved,
                 identifies_patient=spec.identifies_patient, spec=spec)


def fields_of(record: RecordSpec, *keys: str, choices: dict[str, Choices] | None = None,
              captions: dict[str, str] | None = None) -> list[Field]:
    """A record's form fields in ``keys``' order (every field when none is named)."""
    choices, captions = choices or {}, captions or {}
    return [form_field(record[key], choices.get(key), captions.get(key)) for key in keys or record.keys]


def columns_of(record: RecordSpec, *keys: str | tuple[str, str]) -> list[tuple[str, str]]:
    """A list's (key, heading) columns: a declared field by its key, a value the list derives
    (the person's name, a status) as its own (key, heading)."""
    return [key if isinstance(key, tuple) else (key, record[key].column_heading) for key in keys]


class RecordForm(DiscardGuard, QDialog):
    """A record's fields; ``save(values, overwrite_version)`` saves them (``overwrite_version``:
    the newer version the person chose to save over after a ``Conflict``, else None)."""

    def __init__(self, title: str, fields: list[Field], save: Callable[[dict[str, Any], int | None], Change],
                 values: dict[str, Any] | None = None, validate: Callable[[dict[str, Any]], dict[str, str]] | None = None,
                 parent: QWidget | None = None, advise: Callable[[dict[str, Any]], str] | None = None,
                 defaults: dict[str, Any] | None = None, identifiers_toggle: str = "S&how patient identifiers",
                 may_see_identifiers: bool = True) -> None:
        """``defaults``: what a new record's form offers (a generated ID), changeable like anything typed.
        Fields that identify a patient are rows hidden behind a ``identifiers_toggle`` check box,
        which stays off for a person who may not see them (``may_see_identifiers``)."""
        super().__init__(parent)
        self.setWindowTitle(title)
        self.fields = fields
        self._save = save
        self._validate = validate
        self._advise = advise
        self.advice = QLabel()
        self.advice.setWordWrap(True)
        self.change: Change | None = None
        self.reloaded = False  # the person chose the other workstation's version (ConflictDialog)
        self.widgets: dict[str, QWidget] = {}
        form = self.form = QFormLayout()
        self.show_phi = QCheckBox(identifiers_toggle)
        for f in fields:
            widget = self._widget(f)
            self.widgets[f.key] = widget
            if f.identifies_patient and form.indexOf(self.show_phi) < 0:
                form.addRow("", self.show_phi)
            form.addRow(f.caption, widget)
        # the identifiers are rows of the same form (aligned with the others), hidden until asked for
        self.set_phi_visible(False)
        if not may_see_identifiers:  # (a shared database's server would not let them read these either)
            self.show_phi.setEnabled(False)
            self.show_phi.setToolTip("Only a coordinator (CDA) or an administrator may see patient identifiers.")
        self.show_phi.toggled.connect(self.set_phi_visible)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setTextFormat(Qt.TextFormat.PlainText)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.advice)
        for note in self.notes():
            layout.addWidget(note)
        layout.addWidget(self.problems)
        layout.addWidget(self.buttons)
        grows_to_fit(self)  # advice and problems push the buttons down, never squeeze the fields
        guard_fields(self)  # a wheel turn over a field the person has not chosen leaves it alone
        if values:
            self.set_values(values)
            for f in fields:
                if f.read_only_when_editing:
                    self.widgets[f.key].setEnabled(False)
        elif defaults:
            self.set_values(defaults)
        for w in self.widgets.values():
            for signal in ("textChanged", "currentIndexChanged", "dateChanged", "toggled", "valueChanged"):
                if hasattr(w, signal):
                    getattr(w, signal).connect(self.check)
        self.check()
        self.remember_state()

    def make_read_only(self, title: str) -> None:
        """Show the record without a way to change it (a role that may only read): every field
        readable, selectable and copyable but not editable, one Close button, Ctrl+S saving nothing."""
        self.setWindowTitle(title)
        for widget in self.widgets.values():
            if hasattr(widget, "setReadOnly"):
                widget.setReadOnly(True)
                widget.setEnabled(True)
            else:  # a combo box or check box has no read-only state: it stays shown, not changeable
                widget.setEnabled(False)
        self._save = None
        self.buttons.clear()
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close).setDefault(True)  # rejected: reject, as Cancel
        self.problems.hide()
        self.remember_state()  # nothing can change: Esc closes without asking

    @property
    def read_only(self) -> bool:
        return self._save is None

    def guarded_widgets(self) -> dict[str, QWidget]:
        return self.widgets

    def reject(self) -> None:
        if self.may_close():
            super().reject()

    def notes(self) -> list[QWidget]:
        """What a form adds below its advice (the case form: the data-quality rules' words)."""
        return []

    def set_phi_visible(self, visible: bool) -> None:
        rows = [self.widgets[f.key] for f in self.fields if f.identifies_patient]
        for widget in rows:
            self.form.setRowVisible(widget, visible)
        if rows:
            self.adjustSize()  # shrink back when hidden instead of leaving a blank band

    def captions(self) -> dict[str, str]:
        """The fields' names as the form shows them ("Case ID", not "Case id")."""
        return {f.key: f.caption.replace("&", "") for f in self.fields}

    def describe(self, problems: dict[str, str]) -> str:
        """Problems in the words of the form's own captions."""
        captions = self.captions()
        return "\n".join(f"• {captions.get(k, label(k))}: {m}" for k, m in problems.items())

    def _widget(self, f: Field) -> QWidget:
        if f.kind == "date":
            return optional_date()
        if f.kind == "bool":
            return QCheckBox()
        if f.kind == "choice":
            box = QComboBox()
            for shown, value in f.choices:
                box.addItem(shown, value)
            return box
        if f.kind == "int":
            spin = QSpinBox()
            spin.setRange(0, 100000)
            return spin
        if f.kind == "float":
            spin = QDoubleSpinBox()
            spin.setRange(0, 1000)
            spin.setDecimals(2)
            return spin
        return QLineEdit()

    def set_values(self, values: dict[str, Any]) -> None:
        for f in self.fields:
            w, v = self.widgets[f.key], values.get(f.key)
            if f.kind == "date":
                set_date(w, v)  # type: ignore[arg-type]
            elif f.kind == "bool":
                w.setChecked(bool(v))  # type: ignore[attr-defined]
            elif f.kind == "choice":
                w.setCurrentIndex(max(w.findData(v), 0))  # type: ignore[attr-defined]
            elif f.kind in ("int", "float"):
                w.setValue(v or 0)  # type: ignore[attr-defined]
            else:
                w.setText("" if v is None else str(v))  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for f in self.fields:
            w = self.widgets[f.key]
            if f.kind == "date":
                result[f.key] = date_of(w)  # type: ignore[arg-type]
            elif f.kind == "bool":
                result[f.key] = w.isChecked()  # type: ignore[attr-defined]
            elif f.kind == "choice":
                result[f.key] = w.currentData()  # type: ignore[attr-defined]
            elif f.kind in ("int", "float"):
                result[f.key] = w.value()  # type: ignore[attr-defined]
            else:
                result[f.key] = w.text().strip()  # type: ignore[attr-defined]
        return result

    def show_problems(self, problems: dict[str, str]) -> None:
        for key, w in self.widgets.items():
            w.setToolTip(problems.get(key, ""))
            w.setProperty("invalid", key in problems)
            mark_invalid(w, key in problems)
        self.problems.setText(self.describe(problems))

    def check(self) -> dict[str, str]:
        values = self.values()
        problems = date_problems(self.widgets) or (self._validate(values) if self._validate else {})
        self.show_problems(problems)
        if self._advise:
            self.advice.setText(self._advise(values))
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        if save is not None:  # (none on a read-only view)
            save.setEnabled(not problems)
        return problems

    def save(self) -> None:
        if self._save is None or self.check():  # read only: Ctrl+S saves nothing
            return
        values = self.values()
        try:
            self.change = self._save(values, None)
        except ValidationFailed as exc:
            self.show_problems(exc.problems)
            return
        except Conflict as exc:  # someone saved this record first: theirs or mine, the person decides
            self._resolve(exc, values)
            return
        except (NotFound, ValueError) as exc:
            self.problems.setText(str(exc))
            return
        except DatabaseError as exc:  # the server went away: nothing saved, the form keeps what was typed
            self.problems.setText(f"Not saved: {exc}.")
            return
        self.accept()

    def conflict_captions(self) -> dict[str, str]:
        """How the conflict dialog names the fields that differ."""
        return self.captions()

    def _resolve(self, exc: Conflict, values: dict[str, Any]) -> None:
        choice = conflict.resolve(exc, self.conflict_captions(), self)
        if choice == conflict.RELOAD:
            self.reloaded = True
            self.close_anyway()
        elif choice == conflict.OVERWRITE:
            try:
                self.change = self._save(values, exc.version)
            except (Conflict, ValidationFailed, NotFound, ValueError, DatabaseError) as again:
                self.problems.setText(f"Not saved: {again}")
                return
            self.accept()


def as_date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""
