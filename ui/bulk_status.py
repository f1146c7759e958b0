"""Change the status of several selected cases at once (one transaction, all or none)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.vocabulary import CASE_STATUSES, NOT_ENROLLED_REASONS
from app.domain.wording import sentence
from app.services.cases import set_status
from app.services.editing import Change, Conflict, NotFound, ValidationFailed
from app.storage.database import Database
from app.storage.errors import DatabaseError
from ui.dialog_fit import grows_to_fit
from ui.form_guard import DiscardGuard
from ui.record_form import choice_box, date_of, optional_date, set_date


class BulkStatusDialog(DiscardGuard, QDialog):
    def __init__(self, db: Database, case_ids: list[str], parent: QWidget | None = None, *,
                 versions: dict[str, int | None] | None = None) -> None:
        """``versions``: each case's version as the register showed it (a case changed since at
        another workstation refuses the whole change)."""
        super().__init__(parent)
        self.db = db
        self.case_ids = case_ids
        self.versions = {cid: v for cid, v in (versions or {}).items() if v is not None}
        self.changes: list[Change] = []
        self.reloaded = False
        self.setWindowTitle(f"Set the status of {len(case_ids)} case(s)")
        self.status = choice_box(CASE_STATUSES)
        self.enrolled_on = optional_date()
        set_date(self.enrolled_on, self.enrolled_on.today())
        self.reason = choice_box(NOT_ENROLLED_REASONS, "")
        self.note = QLineEdit()
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        form = QFormLayout()
        form.addRow("&Status", self.status)
        form.addRow("Enrolled &on", self.enrolled_on)
        form.addRow("Not-enrolled &reason", self.reason)
        form.addRow("&Note (for reason 'other')", self.note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.apply)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(", ".join(case_ids[:12]) + (" …" if len(case_ids) > 12 else "")))
        layout.addLayout(form)
        layout.addWidget(self.problems)
        layout.addWidget(buttons)
        grows_to_fit(self)  # a refusal's words push the buttons down, never squeeze the lists
        self.status.currentIndexChanged.connect(self._fields)
        self._fields()
        self.remember_state()

    def guarded_widgets(self) -> dict[str, QWidget]:
        return {"status": self.status, "enrolled_on": self.enrolled_on, "reason": self.reason, "note": self.note}

    def reject(self) -> None:
        """Esc or Cancel asks first when a status, date, reason or note was chosen."""
        if self.may_close():
            super().reject()

    def _fields(self) -> None:
        status = self.status.currentData()
        self.enrolled_on.setEnabled(status == "enrolled")
        self.reason.setEnabled(status == "not_enrolled")
        self.note.setEnabled(status == "not_enrolled")

    def apply(self) -> None:
        status = self.status.currentData()
        if status == "enrolled" and self.enrolled_on.problem():
            self.problems.setText(f"• Enrolled on: {self.enrolled_on.problem()}")
            return
        try:
            self.changes = set_status(self.db, self.case_ids, status, enrolled_on=date_of(self.enrolled_on),
                                      reason=self.reason.currentData(), note=self.note.text().strip() or None,
                                      versions=self.versions)
        except Conflict as exc:
            QMessageBox.warning(self, "Nothing was changed",
                                f"Case {exc.key[0]} was changed at another workstation since the register showed it, "
                                "so no case was changed. The register now shows them as saved; select and try again.")
            self.reloaded = True
            self.close_anyway()
            return
        except (ValidationFailed, NotFound) as exc:
            problems = getattr(exc, "problems", None)
            self.problems.setText("Nothing was changed. " + " ".join(sentence(p) for p in problems.values())
                                  if problems else f"Nothing was changed. {sentence(str(exc))}")
            return
        except DatabaseError as exc:  # the server went away: no case changed
            self.problems.setText(f"Nothing was changed: {exc}.")
            return
        self.accept()
