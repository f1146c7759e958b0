"""What the Data panel and the dialogs it opens (move to a shared database, restore) share.

Its own module so that ``ui.data_transfer`` can open ``ui.moving`` and ``ui.restore`` while they
word their errors the same way, without importing each other.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel
from sqlalchemy.exc import SQLAlchemyError

from app.storage.database import DatabaseError
from app.storage.files import CannotWrite

BACKUP_FILTER = "MROQC Facility Desk backup (*.backup)"


def explain(exc: Exception) -> str:
    """One or two sentences for the coordinator; never a traceback, never a SQL statement."""
    if isinstance(exc, DatabaseError | ValueError | LookupError | CannotWrite):  # already one sentence
        return str(exc)
    if isinstance(exc, PermissionError):
        return f"The file cannot be written or read here: permission denied ({exc.filename or 'unknown file'})."
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"The file could not be read or written: {exc.strerror or type(exc).__name__}{where}."
    if isinstance(exc, SQLAlchemyError):
        orig = getattr(exc, "orig", None)  # the driver's one-line reason, without the statement or its values
        reason = str(orig).splitlines()[0] if orig is not None and str(orig) else type(exc).__name__
        return f"The database refused the change: {reason}."
    return f"An unexpected error occurred ({type(exc).__name__})."


class HelpLabel(QLabel):
    """A wrapped explanation that claims the height its text needs at the width it gets: a grid in
    a scroll area does not ask wrapped labels for it, and would cut their last line."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.setWordWrap(True)

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        needed = self.heightForWidth(self.width())
        if needed > 0 and needed != self.minimumHeight():
            self.setMinimumHeight(needed)
