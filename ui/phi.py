"""The one question asked before anything leaves the app with patient identifiers in it."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


def confirm_identifiers(parent: QWidget, what: str) -> bool:
    """Ask before an identified export; ``what`` names the file ("The file", "The exported workbook").

    Identified exports are a deliberate choice: the default is de-identified, and saying Cancel
    (the default button) keeps it so."""
    answer = QMessageBox.warning(
        parent, "Include patient identifiers?",
        f"{what} will hold protected health information (MRN, name, birth date). Only do this when the "
        "recipient is entitled to it, and store the file securely.",
        QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
    return answer == QMessageBox.StandardButton.Ok
