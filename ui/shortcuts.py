"""Help → Keyboard shortcuts: the sheet of every key the window answers to (docs/keyboard.md
says the same)."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QScrollArea, QVBoxLayout, QWidget

#: (where, keys, what they do), in the order the sheet shows them.
SHORTCUTS: tuple[tuple[str, str, str], ...] = (
    ("Anywhere", "Ctrl+1 … Ctrl+9", "go to the screen in that place of the list on the left"),
    ("Anywhere", "F5", "read everything again"),
    ("Anywhere", "Ctrl+L", "lock the window"),
    ("Anywhere", "Ctrl+O", "open another database"),
    ("Anywhere", "Ctrl+Q", "quit"),
    ("Anywhere", "Ctrl+P", "print the screen you are on: a list as shown, or the Dashboard (a preview first)"),
    ("Anywhere", "F1", "the user guide, at the screen you are on"),
    ("Anywhere", "Shift+F1", "this sheet"),
    ("Lists", "Ctrl+N", "add a record to the list you are in"),
    ("Lists", "Ctrl+F", "go to the list's filter"),
    ("Lists", "Enter or double-click", "open the selected record"),
    ("Lists", "Delete", "delete the selected record (asks first)"),
    ("Lists", "Ctrl+Z", "undo your last edit in this list; again for the one before"),
    ("Lists", "Ctrl+Shift+Z or Ctrl+Y", "redo what you undid"),
    ("Forms", "Tab / Shift+Tab", "next / previous field"),
    ("Forms", "Ctrl+S", "save"),
    ("Forms", "Esc", "close the form (asks first when something is not saved)"),
    ("Date fields", "2024-01-15, 01/15/2024, 1/15/24", "type a date; month first in the US order"),
    ("Date fields", "t", "the as-of date (in the as-of field itself: today)"),
    ("Date fields", "+7 / -7", "seven days after / before the as-of date"),
    ("Date fields", "Up / Down", "the next / previous day"),
    ("Date fields", "Alt+Down or F4", "open the calendar"),
)


def sheet_html() -> str:
    rows, where = [], None
    for place, keys, what in SHORTCUTS:
        if place != where:
            rows.append(f"<tr><td colspan='2'><h3>{place}</h3></td></tr>")
            where = place
        rows.append(f"<tr><td style='padding-right:16px'><b>{keys}</b></td><td>{what}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


class ShortcutSheet(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.text = QLabel(sheet_html())
        self.text.setWordWrap(True)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        layout.addWidget(buttons)
        room = (parent or self).screen().availableGeometry()  # at 150 % a 720-pixel screen holds 480 of these
        self.resize(min(560, room.width() - 40), min(520, room.height() - 60))
