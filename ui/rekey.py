"""Settings → Users → Change the database key…: the window's ``mroqc-desk rekey``.

Like a restore, a re-key writes the whole file again, so the window lets go of its database first
(refused, naming them, while anyone else has it open), re-keys in the background
(``app.security.rekey``), shows the new recovery key once, and asks the administrator to sign in
again (their password now opens the new key). If it fails, the window opens the database it had.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QProgressDialog

from app.paths import database_name as database_words
from app.security.rekey import RekeyReport, rekey_database
from app.storage.database import Database, open_database
from app.storage.errors import DatabaseError
from ui.restore import others_holding, reason
from ui.sign_in import RecoveryKeyDialog, SignInCancelled, ask_sign_in
from ui.workers import pool, run_in_background


def perform_rekey(window, replace_database: Callable[[Database], object]) -> None:  # type: ignore[no-untyped-def]
    db: Database = window.db
    others = others_holding(db)
    if others:
        QMessageBox.warning(window, "The key was not changed",
                            f"{db.path.name if db.path else 'The database'} is open elsewhere: {'; '.join(others)}.\n\n"
                            "Close it there first (every other window and command), then change the key.")
        return
    url, key, actor = db.url, db.key, db.actor
    if window.hub is not None:
        window.hub.stop_watching()
    pool().waitForDone(30000)
    progress = QProgressDialog("Writing the database again under its new key…", "", 0, 0, window)
    progress.setCancelButton(None)
    progress.setWindowTitle("Change the database key")
    progress.setWindowModality(Qt.WindowModality.WindowModal)
    progress.setMinimumDuration(0)
    progress.show()

    def done(report: RekeyReport) -> None:
        progress.close()
        RecoveryKeyDialog(report.recovery_key, window).exec()
        lost = (f" {', '.join(report.lose)} need a new first password (Reset password)." if report.lose else "")
        QMessageBox.information(window, "The database key was changed",
                                f"Done in {report.seconds:.1f} s. Sign in again with your password.{lost}")
        try:
            opened = ask_sign_in(window, url, database_words(url), actor.name if actor else None)
        except SignInCancelled:
            window.close()
            return
        replace_database(opened)

    def failed(exc: Exception) -> None:
        progress.close()
        try:
            again = open_database(url, key=key)
            again.actor = actor
        except DatabaseError:
            QMessageBox.critical(window, "The key was not changed", f"{reason(exc)}\n\nOpen the database again.")
            return
        new_window = replace_database(again)
        QMessageBox.warning(new_window, "The key was not changed", f"{reason(exc)}\n\nNothing was changed.")

    run_in_background(lambda: rekey_database(db, "changed in Settings → Users"), done, failed, owner=None)
