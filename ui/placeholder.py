"""The stand-in for a screen that failed to open: it says so plainly instead of pretending."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class ScreenFailedPage(QWidget):
    """Shown in place of a screen whose building failed, so the user is told so in plain words."""

    def __init__(self, title: str, reason: str) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        heading = QLabel(f"<h2>{escape(title)}</h2>")
        self.message = QLabel(
            f"This screen could not be opened: {escape(reason)}.<br><br>"
            "Your data is safe; the details are in the log file. Choose the screen again to retry.")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(heading)
        layout.addWidget(self.message, 1)
