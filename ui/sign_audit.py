"""Reports → Review and sign: the signed-in person, who has read the previewed self-audit, chooses
which of their roles they sign in (the clinical champion's or the administrative lead's, held today
in Staff & roles) and confirms the attestation; the app signs it with their own key
(``app.reports.signing``). There is no name to type: the signer is who is signed in."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app.reports.signing import Signer


class SignDialog(QDialog):
    def __init__(self, facility: str, year: int, as_of: str, findings: int, signer: Signer,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign the self-audit")
        self.signer = signer
        self.name = QLabel(f"{signer.staff_name} (staff {signer.staff_id}), signed in as {signer.user}")
        self.role = QComboBox()
        self.role.addItems(list(signer.roles))
        self.confirm = QCheckBox("I have reviewed the self-audit shown and attest to it")
        text = QLabel(f"You sign the {year} self-audit of {facility}, evaluated as of {as_of}, with {findings} "
                      "finding(s). The PDF carries your name, staff record, role, the date and time and where the "
                      "audit log stands, and a digital signature made with your own key, which the facility's "
                      "certificate vouches for; the signing is recorded in the audit log.")
        text.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Signed by", self.name)
        form.addRow("&Role", self.role)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(form)
        layout.addWidget(self.confirm)
        layout.addWidget(self.buttons)
        self.confirm.toggled.connect(self._update)
        self._update()

    def _update(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.confirm.isChecked())
