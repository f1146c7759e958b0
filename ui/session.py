"""Who is signed in at the window, and what guards it: the idle lock, File → Lock (Ctrl+L), File →
Switch user, and the password change (forced when an administrator set the password).

Kept out of ``MainWindow`` so the window lays out screens and this decides who may see them. The
window hears of a change of person by ``another_user_signed_in`` (it rebuilds every screen for
their role) and of Quit on the lock by ``quit_chosen``.

Imported once the database is open (``ui.lock`` and the sign-in load SQLAlchemy).
"""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from app.domain.security_policy import security_policy
from app.security.signin import record_lock
from app.services.facility import get_facility
from app.storage.database import Database
from ui.lock import IdleWatcher, LockDialog, cover_every_window
from ui.sign_in import ChangePasswordDialog


def lock_minutes(db: Database) -> int:
    """The facility's idle minutes before the lock; the security policy's default before the
    facility is set up."""
    facility = get_facility(db)
    return facility.lock_after_minutes if facility is not None else security_policy().idle_default_minutes


def discard_open_dialogs(exclude: set[QWidget]) -> int:
    """Close every open dialog but ``exclude`` without asking (another user signed in: the first
    user's unsaved forms are not theirs to see); how many were closed."""
    count = 0
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QDialog) and widget.isVisible() and widget not in exclude:
            getattr(widget, "close_anyway", widget.reject)()  # another user: discarded without asking
            count += 1
    return count


class UserSession(QObject):
    """The person signed in at ``window`` on ``db``; ``facility_name`` names the facility on the lock."""

    another_user_signed_in = Signal()  # someone else unlocked: every screen is built again for their role
    quit_chosen = Signal()  # Quit on the lock: the window closes

    def __init__(self, window: QWidget, db: Database, facility_name: Callable[[], str]) -> None:
        super().__init__(window)
        self.window = window
        self.db = db
        self.facility_name = facility_name
        self._lock_dialog: LockDialog | None = None
        self.idle = IdleWatcher(lock_minutes(db), self)
        self.idle.idle.connect(lambda: self.lock(reason="idle"))

    @property
    def locked(self) -> bool:
        return self._lock_dialog is not None

    def set_lock_minutes(self, minutes: int) -> None:
        """Settings changed the facility's idle minutes: the lock follows at once."""
        self.idle.set_minutes(minutes)

    def ask_for_first_password_later(self) -> None:
        """After what is queued now (the first screen, the digest): a password an administrator
        set is changed before anything else is done."""
        if self.db.actor is not None and self.db.actor.must_change_password:
            QTimer.singleShot(0, self.force_password_change)

    def force_password_change(self) -> None:
        """A password an administrator set is changed before anything else; declining goes back
        to signing in (the same person, or someone else), never out of the app."""
        if not shiboken6.isValid(self) or not shiboken6.isValid(self.window):
            return
        if not ChangePasswordDialog(self.db, forced=True, parent=self.window).exec():
            self.lock(reason="first password not changed")  # "Someone else" is there too

    def change_password(self) -> None:
        """File → Change my password…"""
        if ChangePasswordDialog(self.db, parent=self.window).exec():
            QMessageBox.information(self.window, "Password changed", "Your password was changed.")

    def switch_user(self) -> None:
        self.lock(switching=True)

    def lock(self, reason: str = "locked by the user", switching: bool = False) -> None:
        """Cover every window and ask for the password (File → Lock, Ctrl+L, or idle minutes).

        The same user finds everything as they left it. When someone else signs in, the first
        user's open forms are discarded (with a notice) and ``another_user_signed_in`` has every
        screen rebuilt for the new user's role."""
        if self.db.actor is None or self._lock_dialog is not None:
            return
        self.idle.pause()
        covers = cover_every_window()
        record_lock(self.db, "switching user" if switching else reason)
        before = self.db.actor
        dialog = LockDialog(self.db, self.facility_name(), switching=switching, parent=self.window)
        self._lock_dialog = dialog
        try:
            dialog.exec()
        finally:
            self._lock_dialog = None
        if dialog.quit_requested:
            for cover in covers:
                cover.remove()
            self.quit_chosen.emit()
            return
        if dialog.actor is not None and dialog.actor.name != before.name:
            discarded = discard_open_dialogs(exclude={dialog})
            for cover in covers:
                cover.remove()
            self.another_user_signed_in.emit()
            if discarded:
                QMessageBox.information(self.window, "Unsaved forms discarded",
                                        f"{before.name} left {discarded} unsaved form(s) open; they were discarded "
                                        f"when {dialog.actor.name} signed in.")
            if dialog.actor.must_change_password:
                QTimer.singleShot(0, self.force_password_change)
        else:
            for cover in covers:
                cover.remove()
            if self.db.actor is not None and self.db.actor.must_change_password:
                QTimer.singleShot(0, self.force_password_change)  # back again: still their first password
        self.idle.resume()

    def stop(self) -> None:
        """The window closes: no more idle lock (its filter on each window's input goes)."""
        self.idle.stop()
