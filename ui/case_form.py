"""Add or correct a case: every field checked as the user types, with the record rules the
import uses; PHI fields hidden until the user asks for them."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.domain.records import CaseRecord, case_advice, validate_case
from app.domain.vocabulary import (
    BONE_METS_PRIMARY_SITES,
    CASE_STATUSES,
    INELIGIBLE_PRIMARY_SITES,
    NOT_ENROLLED_REASONS,
    PAYERS,
    PROJECTS,
    label,
)
from app.services.cases import may_see_identifiers, save_case
from app.services.editing import Change, Conflict, ValidationFailed
from app.storage.database import Database
from app.storage.errors import DatabaseError
from ui.date_field import DateField
from ui.form_guard import DiscardGuard


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


def choice_box(values: tuple[str, ...], blank: str | None = None) -> QComboBox:
    box = QComboBox()
    if blank is not None:
        box.addItem(blank, None)
    for v in values:
        box.addItem(label(v), v)
    return box


class CaseForm(DiscardGuard, QDialog):
    def __init__(self, db: Database, record: CaseRecord | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.original_id = record.case_id if record else None
        self.version = record.version if record else None  # as read: a save is refused if it changed since
        self.change: Change | None = None
        self.reloaded = False
        self.setWindowTitle("Correct case" if record else "New case")
        self.case_id = QLineEdit()
        self.project = choice_box(PROJECTS)
        self.primary_site = choice_box(BONE_METS_PRIMARY_SITES, "(not bone metastases)")
        self.primary_site.insertSeparator(self.primary_site.count())
        for code in INELIGIBLE_PRIMARY_SITES:  # offered to be told plainly: such a case is not MROQC-eligible
            self.primary_site.addItem(f"{label(code)} (not MROQC-eligible)", code)
        self.advice = QLabel()
        self.advice.setWordWrap(True)
        self.advice.setObjectName("case-advice")
        # the data-quality rules on the case as typed (app.services.quality): saved either way, but an
        # error keeps its submission period from being ready until it is corrected
        self.quality = QLabel()
        self.quality.setWordWrap(True)
        self.quality.setTextFormat(Qt.TextFormat.PlainText)
        self.quality.setObjectName("case-quality")
        self.quality_problems: list = []
        self.eligible_on = optional_date()
        self.status = choice_box(CASE_STATUSES)
        self.enrolled_on = optional_date()
        self.reason = choice_box(NOT_ENROLLED_REASONS, "")
        self.reason.setItemData(self.reason.findData("measure_criteria"),
                                "Not accepted by MROQC: exactly what the selective-enrollment trigger (QIP-ENR-SELECTIVE) "
                                "reports", Qt.ItemDataRole.ToolTipRole)
        self.note = QLineEdit()
        self.payer = choice_box(PAYERS, "")
        self.show_phi = QCheckBox("S&how patient identifiers (MRN, name, birth date)")
        self.mrn, self.name = QLineEdit(), QLineEdit()
        self.birth_date = optional_date()
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setTextFormat(Qt.TextFormat.PlainText)
        form = self.form = QFormLayout()
        self.rows = {}
        self.captions: dict[str, str] = {}
        for text, key, widget in (("Case &ID", "case_id", self.case_id), ("&Project", "project", self.project),
                                  ("Primary &site", "primary_site", self.primary_site),
                                  ("&Eligible on", "eligible_on", self.eligible_on), ("S&tatus", "status", self.status),
                                  ("Enrolled o&n", "enrolled_on", self.enrolled_on),
                                  ("Not-enrolled &reason", "not_enrolled_reason", self.reason),
                                  ("N&ote", "note", self.note), ("Pa&yer", "payer", self.payer)):
            form.addRow(text, widget)
            self.rows[key] = widget
            self.captions[key] = text.replace("&", "")
        form.addRow("", self.show_phi)
        # the identifiers are rows of the same form (aligned with the others), hidden until asked for
        for text, key, widget in (("&MRN", "mrn", self.mrn), ("Patient n&ame", "name", self.name),
                                  ("&Birth date", "birth_date", self.birth_date)):
            form.addRow(text, widget)
            self.rows[key] = widget
            self.captions[key] = text.replace("&", "")
        self.set_phi_visible(False)
        if not may_see_identifiers(db):  # (a shared database's server would not let them read these either)
            self.show_phi.setEnabled(False)
            self.show_phi.setToolTip("Only a coordinator (CDA) or an administrator may see patient identifiers.")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.setMinimumWidth(420)  # room for a full note or patient name without scrolling inside the field
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.advice)
        layout.addWidget(self.quality)
        layout.addWidget(self.problems)
        layout.addWidget(self.buttons)
        if record:
            self.load(record)
            self.case_id.setReadOnly(True)
        else:
            set_date(self.eligible_on, self.eligible_on.today())
        self.show_phi.toggled.connect(self.set_phi_visible)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)
        for w in (self.case_id, self.note, self.mrn, self.name):
            w.textChanged.connect(self.check)
        for w in (self.project, self.primary_site, self.status, self.reason, self.payer):
            w.currentIndexChanged.connect(self.check)
        for w in (self.eligible_on, self.enrolled_on, self.birth_date):
            w.dateChanged.connect(self.check)
        self.check()
        self.remember_state()

    def guarded_widgets(self) -> dict[str, QWidget]:
        return self.rows

    def reject(self) -> None:
        if self.may_close():
            super().reject()

    def set_phi_visible(self, visible: bool) -> None:
        for widget in (self.mrn, self.name, self.birth_date):
            self.form.setRowVisible(widget, visible)
        self.adjustSize()  # shrink back when hidden instead of leaving a blank band

    def describe(self, problems: dict[str, str]) -> str:
        """Problems in the words of the form's own captions ("Case ID", not "Case id")."""
        return "\n".join(f"• {self.captions.get(k, label(k))}: {m}" for k, m in problems.items())

    def load(self, r: CaseRecord) -> None:
        self.case_id.setText(r.case_id)
        for box, value in ((self.project, r.project), (self.primary_site, r.primary_site), (self.status, r.status),
                           (self.reason, r.not_enrolled_reason), (self.payer, r.payer)):
            box.setCurrentIndex(max(box.findData(value), 0))
        set_date(self.eligible_on, r.eligible_on)
        set_date(self.enrolled_on, r.enrolled_on)
        set_date(self.birth_date, r.birth_date)
        self.note.setText(r.note or "")
        self.mrn.setText(r.mrn or "")
        self.name.setText(r.name or "")

    def record(self) -> CaseRecord:
        return CaseRecord(
            case_id=self.case_id.text().strip(), project=self.project.currentData(), eligible_on=date_of(self.eligible_on),
            status=self.status.currentData(), primary_site=self.primary_site.currentData(),
            enrolled_on=date_of(self.enrolled_on), not_enrolled_reason=self.reason.currentData(),
            note=self.note.text().strip() or None, payer=self.payer.currentData(), mrn=self.mrn.text().strip() or None,
            name=self.name.text().strip() or None, birth_date=date_of(self.birth_date), version=self.version)

    def check(self) -> dict[str, str]:
        """Mark the fields with a problem and say what to fix, as the user types."""
        record = self.record()
        problems = date_problems(self.rows) or validate_case(record)
        self.advice.setText(case_advice(record.project, record.primary_site, record.not_enrolled_reason))
        self.advice.setVisible(bool(self.advice.text()))
        for key, widget in self.rows.items():
            widget.setToolTip(problems.get(key, ""))
            widget.setProperty("invalid", key in problems)
            widget.setStyleSheet("border: 1px solid palette(highlight);" if key in problems else "")
        self.problems.setText(self.describe(problems))
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(not problems)
        self.check_quality(record, problems)
        return problems

    def check_quality(self, record: CaseRecord, problems: dict[str, str]) -> None:
        """The data-quality rules' messages for the case as typed, judged at the window's as-of
        date; none while the record itself is invalid (its problems come first)."""
        from app.services.quality import check_case, form_words

        day = self.eligible_on.today()
        try:
            self.quality_problems = [] if problems else check_case(self.db, record, day)
        except (DatabaseError, ValueError):  # a rule file or database that cannot answer: the form still works
            self.quality_problems = []
        self.quality.setText(form_words(self.quality_problems, day))
        self.quality.setVisible(bool(self.quality_problems))

    def save(self) -> None:
        if self.check():
            return
        try:
            self.change = save_case(self.db, self.record(), original_id=self.original_id)
        except ValidationFailed as exc:  # e.g. a case ID taken meanwhile: keep the input, say what to fix
            self.problems.setText(self.describe(exc.problems))
            return
        except Conflict as exc:  # saved at another workstation since this form opened: the person decides
            from ui import conflict

            choice = conflict.resolve(exc, {key: label(key) for key in self.rows}, self)
            if choice == conflict.RELOAD:
                self.reloaded = True
                self.close_anyway()
            elif choice == conflict.OVERWRITE:
                self.version = exc.version
                try:
                    self.change = save_case(self.db, self.record(), original_id=self.original_id, overwrite=True)
                except (Conflict, ValidationFailed, DatabaseError) as again:
                    self.problems.setText(f"Not saved: {again}")
                    return
                self.accept()
            return
        except DatabaseError as exc:  # the server went away: nothing saved, the form keeps what was typed
            self.problems.setText(f"Not saved: {exc}.")
            return
        self.accept()
