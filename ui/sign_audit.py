"""Reports → Review and sign: the reviewer who has read the previewed self-audit types their
name, chooses the role they sign in, and confirms the attestation; the app signs it
(``app.reports.signing``)."""

from __future__ import annotations

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

from app.reports.signing import SIGNER_ROLES


class SignDialog(QDialog):
    def __init__(self, facility: str, year: int, as_of: str, findings: int, name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign the self-audit")
        self.name = QLineEdit(name)
        self.role = QComboBox()
        self.role.addItems(list(SIGNER_ROLES))
        self.confirm = QCheckBox("I have reviewed the self-audit shown and attest to it")
        text = QLabel(f"You sign the {year} self-audit of {facility}, evaluated as of {as_of}, with {findings} "
                      "finding(s). The PDF carries your name, role, the date and time, and a digital signature made "
                      "with the facility's certificate; the signing is recorded in the audit log.")
        text.setWordWrap(True)
        form = QFormLayout()
        form.addRow("&Name", self.name)
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
        self.name.textChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        ok = self.confirm.isChecked() and bool(self.name.text().strip())
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
