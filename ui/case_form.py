"""Add or correct a case: every field checked as the user types, with the record rules the
import uses; PHI fields hidden until the user asks for them.

The generic record form (``ui.record_form``) built from the case's field schema
(``app.domain.fields.CASE``), plus what only a case has: the ineligible primary sites offered to
be told plainly, the advice and the data-quality rules on the case as typed.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from app.domain import fields
from app.domain.records import CaseRecord, case_advice, validate_case
from app.domain.vocabulary import INELIGIBLE_PRIMARY_SITES, label
from app.services.cases import may_see_identifiers, save_case
from app.services.editing import Change
from app.storage.database import Database
from app.storage.errors import DatabaseError
from ui.date_field import reference_day
from ui.record_form import Field, RecordForm, fields_of

#: Free text a case keeps as None when left blank (a note, the MRN, the patient's name).
_BLANK_IS_NONE = tuple(f.key for f in fields.CASE if f.kind == "text" and not f.required)


class CaseForm(RecordForm):
    def __init__(self, db: Database, record: CaseRecord | None = None, parent: QWidget | None = None) -> None:
        self.db = db  # read by check(), which the generic form runs while it builds itself
        self.original_id = record.case_id if record else None
        self.version = record.version if record else None  # as read: a save is refused if it changed since
        self.quality_problems: list = []
        super().__init__(
            "Correct case" if record else "New case", fields_of(fields.CASE), self._save_case,
            values=dataclasses.asdict(record) if record else None,
            validate=lambda _values: validate_case(self.record()), parent=parent,
            defaults={"eligible_on": reference_day()},
            identifiers_toggle="S&how patient identifiers (MRN, name, birth date)",
            may_see_identifiers=may_see_identifiers(db))
        w = self.widgets  # by the names the screens and their tests know them
        self.case_id, self.project, self.primary_site = w["case_id"], w["project"], w["primary_site"]
        self.eligible_on, self.status, self.enrolled_on = w["eligible_on"], w["status"], w["enrolled_on"]
        self.reason, self.note, self.payer = w["not_enrolled_reason"], w["note"], w["payer"]
        self.mrn, self.name, self.birth_date = w["mrn"], w["name"], w["birth_date"]
        self.advice.setObjectName("case-advice")
        self.setMinimumWidth(420)  # room for a full note or patient name without scrolling inside the field
        if record:  # the ID stays readable and copyable, never changed here
            self.case_id.setEnabled(True)
            self.case_id.setReadOnly(True)

    @property
    def rows(self) -> dict[str, QWidget]:
        return self.widgets

    def _widget(self, f: Field) -> QWidget:
        widget = super()._widget(f)
        if f.key == "primary_site" and isinstance(widget, QComboBox):
            widget.insertSeparator(widget.count())
            for code in INELIGIBLE_PRIMARY_SITES:  # offered to be told plainly: such a case is not MROQC-eligible
                widget.addItem(f"{label(code)} (not MROQC-eligible)", code)
        elif f.key == "not_enrolled_reason" and isinstance(widget, QComboBox):
            widget.setItemData(widget.findData("measure_criteria"),
                               "Not accepted by MROQC: exactly what the selective-enrollment trigger "
                               "(QIP-ENR-SELECTIVE) reports", Qt.ItemDataRole.ToolTipRole)
        return widget

    def notes(self) -> list[QWidget]:
        # the data-quality rules on the case as typed (app.services.quality): saved either way, but an
        # error keeps its submission period from being ready until it is corrected
        self.quality = QLabel()
        self.quality.setWordWrap(True)
        self.quality.setTextFormat(Qt.TextFormat.PlainText)
        self.quality.setObjectName("case-quality")
        return [self.quality]

    # -- the record -------------------------------------------------------------------------------
    def load(self, r: CaseRecord) -> None:
        self.set_values(dataclasses.asdict(r))

    def record(self) -> CaseRecord:
        values = self.values()
        for key in _BLANK_IS_NONE:
            values[key] = values[key] or None
        return CaseRecord(**values, version=self.version)

    def _save_case(self, _values: dict[str, Any], overwrite_version: int | None) -> Change:
        """Saves the case as typed; after a conflict, over the newer version the person chose."""
        if overwrite_version is not None:
            self.version = overwrite_version
        return save_case(self.db, self.record(), original_id=self.original_id,
                         overwrite=overwrite_version is not None)

    def conflict_captions(self) -> dict[str, str]:
        return {key: label(key) for key in self.widgets}

    # -- checking as the user types --------------------------------------------------------------------
    def check(self) -> dict[str, str]:
        """Mark the fields with a problem and say what to fix, as the user types; the advice and
        the data-quality rules on the case as typed."""
        problems = super().check()
        record = self.record()
        self.advice.setText(case_advice(record.project, record.primary_site, record.not_enrolled_reason))
        self.advice.setVisible(bool(self.advice.text()))
        self.check_quality(record, problems)
        return problems

    def check_quality(self, record: CaseRecord, problems: dict[str, str]) -> None:
        """The data-quality rules' messages for the case as typed, judged at the window's as-of
        date; none while the record itself is invalid (its problems come first)."""
        from app.services.quality import check_case, form_words

        day = self.widgets["eligible_on"].today()  # type: ignore[attr-defined]
        try:
            self.quality_problems = [] if problems else check_case(self.db, record, day)
        except (DatabaseError, ValueError):  # a rule file or database that cannot answer: the form still works
            self.quality_problems = []
        self.quality.setText(form_words(self.quality_problems, day))
        self.quality.setVisible(bool(self.quality_problems))

