"""When someone else saved the same record first: what they saved and what you typed, field by
field, and two ways on — take theirs (Reload: keep nothing of mine), or save yours over theirs
(an explicit, audited overwrite). Nothing is ever written without one of the two being chosen.
"""

from __future__ import annotations

import html

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.vocabulary import label
from app.domain.wording import to_local, value_words
from app.services.editing import Conflict

RELOAD, OVERWRITE = "reload", "overwrite"


def who_and_when(conflict: Conflict) -> tuple[str, str]:
    """("cda2", " at 14:05 EST on 2026-12-01") from the audit log, or ("the other person", "")."""
    who = conflict.by or "the other person"
    if conflict.at is None:
        return who, ""
    local = to_local(conflict.at)
    return who, f" at {local:%H:%M %Z} on {local:%Y-%m-%d}"


class ConflictDialog(QDialog):
    """``choice`` after ``exec``: ``RELOAD``, ``OVERWRITE`` or None (closed: keep editing)."""

    def __init__(self, conflict: Conflict, captions: dict[str, str] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.conflict = conflict
        self.choice: str | None = None
        captions = captions or {}
        self.setWindowTitle("Someone else saved this first")
        deleted = conflict.theirs is None
        who, when = who_and_when(conflict)
        if deleted and conflict.mine is not None and not conflict.mine:
            text = (f"<h3>This {conflict.what} was changed at another workstation</h3>"
                    "<p>It changed while you were saving. Reload it to see what is saved now; your entries are "
                    "kept in the form until you do.</p>")
        elif deleted:
            text = (f"<h3>This {conflict.what} was deleted at another workstation</h3>"
                    f"<p>{html.escape(who.capitalize() if who == 'the other person' else who)} deleted it{when}. "
                    "Nothing was saved. Reload to see the list as it is now.</p>")
        else:
            text = (f"<h3>This {conflict.what} was changed at another workstation</h3>"
                    f"<p>{html.escape(who.capitalize() if who == 'the other person' else who)} saved it{when}, after "
                    "you opened it, so nothing of yours was saved. Compare below, then either take their version, "
                    "or save yours over it (the audit log will show you did).</p>")
        self.heading = heading = QLabel(text)
        heading.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Field", f"Saved by {who}", "What you typed"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        rows = conflict.differences() if not deleted else []
        self.table.setRowCount(len(rows))
        for r, (field, theirs, mine) in enumerate(rows):
            for c, text_value in enumerate((captions.get(field, label(field)), value_words(theirs), value_words(mine))):
                self.table.setItem(r, c, QTableWidgetItem(text_value))
        self.table.resizeColumnsToContents()
        self.table.setVisible(bool(rows))
        buttons = QDialogButtonBox()
        self.reload_button = QPushButton("&Reload (keep nothing of mine)")
        self.overwrite_button = QPushButton("&Save mine over theirs")
        buttons.addButton(self.reload_button, QDialogButtonBox.ButtonRole.RejectRole)
        if not deleted and conflict.version is not None:
            buttons.addButton(self.overwrite_button, QDialogButtonBox.ButtonRole.AcceptRole)
        # Enter takes theirs: overwriting a colleague's save is never what a stray key does
        self.overwrite_button.setAutoDefault(False)
        self.reload_button.setDefault(True)
        self.reload_button.clicked.connect(lambda: self._choose(RELOAD))
        self.overwrite_button.clicked.connect(lambda: self._choose(OVERWRITE))
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(640, 360 if rows else 200)
        self.reload_button.setFocus()

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept() if choice == OVERWRITE else self.done(QDialog.DialogCode.Rejected)


def resolve(conflict: Conflict, captions: dict[str, str] | None = None, parent: QWidget | None = None) -> str | None:
    """Show the conflict and return what the person chose (``RELOAD``, ``OVERWRITE`` or None)."""
    dialog = ConflictDialog(conflict, captions, parent)
    dialog.exec()
    return dialog.choice
