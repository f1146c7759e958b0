"""Settings → Users → Change the database key…: the window's ``mroqc-desk rekey``.

Like a restore, a re-key writes the whole file again, so the window lets go of its database first
(refused, naming them, while anyone else has it open), re-keys in the background
(``app.security.rekey``), shows the new recovery key once, and asks the administrator to sign in
again (their password now opens the new key). If it fails, the window opens the database it had.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox

from app.paths import database_name as database_words
from app.security.rekey import RekeyReport, rekey_database
from app.storage.database import Database
from ui.letting_go import let_go, take_back
from ui.restore import reason
from ui.sign_in import RecoveryKeyDialog, SignInCancelled, ask_sign_in
from ui.workers import run_in_background


def perform_rekey(window, replace_database: Callable[[Database], object]) -> None:  # type: ignore[no-untyped-def]
    db: Database = window.db
    held = let_go(window, "Change the database key", "change the key", "Writing the database again under its new key…")
    if held is None:
        return
    actor = held.actor

    def done(report: RekeyReport) -> None:
        held.progress.close()  # type: ignore[union-attr]
        RecoveryKeyDialog(report.recovery_key, window).exec()
        lost = (f" {', '.join(report.lose)} need a new first password (Reset password)." if report.lose else "")
        QMessageBox.information(window, "The database key was changed",
                                f"Done in {report.seconds:.1f} s. Sign in again with your password.{lost}")
        try:
            opened = ask_sign_in(window, held.url, database_words(held.url), actor.name if actor else None)  # type: ignore[attr-defined]
        except SignInCancelled:
            window.close()
            return
        replace_database(opened)

    def failed(exc: Exception) -> None:
        held.progress.close()  # type: ignore[union-attr]
        take_back(window, held, reason(exc), "The key was not changed", replace_database)

    run_in_background(lambda: rekey_database(db, "changed in Settings → Users"), done, failed, owner=None)
