"""The window lets go of its database for work that replaces the file (a restore, a re-key), and
takes it back if that work fails.

Both need the database alone (``app.storage.locks``): the window first says who else has it open
(and does nothing), else stops watching for changes, waits for its background work, and hands back
what it takes to open the same file again — its key and the signed-in person, whose audit entries
keep being signed by them (``app.security.people``) — with a progress dialog for the long part.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QProgressDialog

from app.storage.database import Database, open_database
from app.storage.errors import DatabaseError
from app.storage.locks import holders
from ui.workers import pool


@dataclass
class Held:
    """What opens the same file again without a new sign-in, and the progress shown meanwhile."""

    url: str
    key: bytes | None
    actor: object | None
    person: object | None
    progress: QProgressDialog | None = None


def others_holding(db: Database) -> list[str]:
    """Whoever else has the file open (another window, a command), in words."""
    import os

    if db.path is None:
        return []
    return [h.words() for h in holders(db.path) if h.pid != os.getpid()]


def let_go(window, title: str, doing: str, busy: str) -> Held | None:  # type: ignore[no-untyped-def]
    """Ready the window's database to be replaced: None (and said why) when someone else has it
    open; else its watcher stopped, its work waited for, a progress dialog saying ``busy``."""
    db: Database = window.db
    others = others_holding(db)
    if others:
        QMessageBox.warning(window, f"{title}: not started",
                            f"{db.path.name if db.path else 'The database'} is open elsewhere: {'; '.join(others)}.\n\n"
                            f"Close it there first (every other window and command), then {doing}.")
        return None
    held = Held(db.url, db.key, db.actor, db.person)
    if window.hub is not None:
        window.hub.stop_watching()
    pool().waitForDone(30000)
    progress = QProgressDialog(busy, "", 0, 0, window)
    progress.setCancelButton(None)
    progress.setWindowTitle(title)
    progress.setWindowModality(Qt.WindowModality.WindowModal)
    progress.setMinimumDuration(0)
    progress.show()
    held.progress = progress
    return held


def take_back(window, held: Held, said: str, title: str,  # type: ignore[no-untyped-def]
              replace_database: Callable[[Database], object]) -> None:
    """The work failed and changed nothing: the window opens the same file again, as the same person
    (their entries still signed by them), and says what went wrong."""
    try:
        again = open_database(held.url, key=held.key)
    except DatabaseError as reopen_failed:
        QMessageBox.critical(window, title, f"{said}\n\n{reopen_failed}")
        return
    again.actor = held.actor  # type: ignore[assignment]
    if held.person is not None:
        again.person, again.signer = held.person, held.person.sign_transaction  # type: ignore[attr-defined]
    if again.lock is not None and held.actor is not None:
        again.lock.set_user(held.actor.name)  # type: ignore[attr-defined]
    new_window = replace_database(again)
    QMessageBox.warning(new_window, title, f"{said}\n\nNothing was changed.")
