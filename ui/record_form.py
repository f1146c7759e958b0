"""A form built from field declarations: typed widgets, problems shown as the user types,
input kept when a save is refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
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
from ui.case_form import date_of, date_problems, optional_date, set_date
from ui.form_guard import DiscardGuard


@dataclass(frozen=True)
class Field:
    key: str
    caption: str
    kind: str = "text"  # text, date, bool, choice, int, float
    choices: tuple[tuple[str, Any], ...] = ()  # (shown, value); a None value means "none"
    read_only_when_editing: bool = False


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
    return Field(spec.key, caption or spec.label, kind, choices, read_only_when_editing=spec.fixed_once_saved)


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
                 defaults: dict[str, Any] | None = None) -> None:
        """``defaults``: what a new record's form offers (a generated ID), changeable like anything typed."""
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
        form = QFormLayout()
        for f in fields:
            widget = self._widget(f)
            self.widgets[f.key] = widget
            form.addRow(f.caption, widget)
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
        layout.addWidget(self.problems)
        layout.addWidget(self.buttons)
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

    def guarded_widgets(self) -> dict[str, QWidget]:
        return self.widgets

    def reject(self) -> None:
        if self.may_close():
            super().reject()

    @staticmethod
    def _widget(f: Field) -> QWidget:
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
        captions = {f.key: f.caption.replace("&", "") for f in self.fields}
        for key, w in self.widgets.items():
            w.setToolTip(problems.get(key, ""))
            w.setStyleSheet("border: 1px solid palette(highlight);" if key in problems else "")
        self.problems.setText("\n".join(f"• {captions.get(k, label(k))}: {m}" for k, m in problems.items()))

    def check(self) -> dict[str, str]:
        values = self.values()
        problems = date_problems(self.widgets) or (self._validate(values) if self._validate else {})
        self.show_problems(problems)
        if self._advise:
            self.advice.setText(self._advise(values))
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(not problems)
        return problems

    def save(self) -> None:
        if self.check():
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

    def _resolve(self, exc: Conflict, values: dict[str, Any]) -> None:
        captions = {f.key: f.caption.replace("&", "") for f in self.fields}
        choice = conflict.resolve(exc, captions, self)
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
