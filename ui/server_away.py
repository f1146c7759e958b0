"""The shared database's server is away when the window starts (or File → Open reaches for it):
say so in plain words and offer what can be done, instead of ending the app.

``sign_in_reaching`` is how the window signs in to a database: the sign-in dialog as always, and,
when the shared database cannot be reached (``app.storage.server_trouble.ServerUnreachable``), the
``ServerAwayDialog``: which server and database (the address without its password), what failed
in plain words and what to do, **Retry now** and an automatic retry with a visible countdown
(each retry connects in the background, so the window stays responsive), **Open another database
(a file)…** for working on a local file meanwhile, and **Change the address…**.

Changing the address is open to whoever is at the workstation (nobody is signed in yet), but a new
address is remembered (``ui.settings_file``) only after an administrator of the database there
has signed in: anyone else uses it for this start only. So a coordinator can reach a server that
moved, and nobody can quietly send the next person's password to a server of their choosing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QLayout,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.paths import database_name, default_db_path, sqlite_url
from app.storage.errors import DatabaseError
from app.storage.server_trouble import ServerUnreachable
from ui.sign_in import SignInCancelled, ask_sign_in, fit_to_text

if TYPE_CHECKING:  # both import SQLAlchemy, which the sign-in dialog shows without (ui.sign_in)
    from app.storage.database import Database
    from app.storage.server_probe import DatabaseState

#: Seconds between automatic attempts while the dialog is open.
RETRY_SECONDS = 30


class ServerAwayDialog(QDialog):
    """Accepted with ``choice`` ``"retry"`` (the server answers now), ``"file"`` or ``"address"``
    (``chosen_url``); rejected when the person quits."""

    def __init__(self, trouble: ServerUnreachable, url: str, parent: QWidget | None = None,
                 retry_seconds: int = RETRY_SECONDS) -> None:
        super().__init__(parent)
        self.url = url
        self.trouble = trouble
        self.retry_seconds = retry_seconds
        self.remaining = retry_seconds
        self.attempts = 0
        self.choice = ""
        self.chosen_url: str | None = None
        self._trying = False
        self.setWindowTitle("The shared database cannot be reached — MROQC Facility Desk")
        heading = QLabel("<h3>The facility's shared database cannot be reached</h3>")
        w = trouble.where
        self.server = QLabel(f"Server: <b>{_escape(w.server)}</b> · database <b>{_escape(w.database)}</b>"
                             f"<br><small>{_escape(w.address)}</small>")
        self.server.setObjectName("server")
        self.server.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.server.setWordWrap(True)
        self.reason = QLabel()
        self.reason.setObjectName("reason")
        self.reason.setWordWrap(True)
        self.advice = QLabel()
        self.advice.setObjectName("advice")
        self.advice.setWordWrap(True)
        self.countdown = QLabel()
        self.countdown.setObjectName("countdown")
        self.countdown.setStyleSheet("color: palette(dark);")
        self.meanwhile = QLabel("Nothing was lost: everything saved is on the server. Meanwhile you can work in "
                                "a database file on this computer, or correct the address if the server moved.")
        self.meanwhile.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.retry_button = QPushButton("&Retry now")
        self.retry_button.setDefault(True)
        self.file_button = QPushButton("Open another &database (a file)…")
        self.address_button = QPushButton("Change the &address…")
        self.address_button.setToolTip("Another server or database name; remembered once an administrator has "
                                       "signed in there")
        self.quit_button = QPushButton("&Quit")
        for button in (self.retry_button, self.file_button, self.address_button):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.quit_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.retry_button.clicked.connect(self.retry_now)
        self.file_button.clicked.connect(self.open_file)
        self.address_button.clicked.connect(self.change_address)
        self.quit_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.server)
        layout.addWidget(self.reason)
        layout.addWidget(self.advice)
        layout.addWidget(self.countdown)
        layout.addWidget(self.meanwhile)
        layout.addWidget(buttons)
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self._tick)
        self._show_trouble(trouble)
        self._count_from_start()
        self.setMinimumWidth(620)
        # wrapped labels get the height their text needs at this width, also when a retry changes it
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)

    # -- what is wrong ------------------------------------------------------------------------

    def _show_trouble(self, trouble: ServerUnreachable) -> None:
        self.trouble = trouble
        self.reason.setText(f"<b>{_escape(trouble.reason[0].upper() + trouble.reason[1:])}.</b>")
        self.advice.setText(_escape(trouble.advice))
        fit_to_text(self)  # another reason may need more lines

    def _show_state(self, state: DatabaseState) -> None:
        """The server answers, but the database is not one to sign in to (empty, foreign, newer)."""
        self.reason.setText(f"<b>{_escape(state.words(self.trouble.where))}</b>")
        self.advice.setText("Ask the facility's administrator or whoever runs the server.")
        fit_to_text(self)

    # -- retrying -----------------------------------------------------------------------------

    def _count_from_start(self) -> None:
        self.remaining = self.retry_seconds
        self._show_countdown()
        self.timer.start()

    def _show_countdown(self) -> None:
        self.countdown.setText("Trying again now…" if self._trying else
                               f"Trying again in {self.remaining} second{'s' if self.remaining != 1 else ''}…")

    def _tick(self) -> None:
        self.remaining -= 1
        if self.remaining <= 0:
            self.retry_now()
        else:
            self._show_countdown()

    def retry_now(self) -> None:
        """Connect again in the background; the dialog closes itself when the server answers."""
        if self._trying:
            return
        self._trying = True
        self.attempts += 1
        self.timer.stop()
        self.retry_button.setEnabled(False)
        self._show_countdown()
        url = self.url
        from app.storage.server_probe import probe_or_trouble
        from ui.workers import run_in_background

        run_in_background(lambda: probe_or_trouble(url), self._answered, self._still_away, owner=self)

    def _answered(self, state: DatabaseState | ServerUnreachable) -> None:
        if isinstance(state, ServerUnreachable):  # still away: the expected answer, nothing to log
            self._still_away(state)
            return
        self._trying = False
        self.retry_button.setEnabled(True)
        if not self.isVisible():
            return
        if state.can_sign_in:
            self.timer.stop()
            self.choice = "retry"
            self.accept()
            return
        self._show_state(state)
        self._count_from_start()

    def _still_away(self, exc: Exception) -> None:
        self._trying = False
        self.retry_button.setEnabled(True)
        if not self.isVisible():
            return
        if isinstance(exc, ServerUnreachable):
            self._show_trouble(exc)
        self._count_from_start()

    # -- doing something else -------------------------------------------------------------------

    def open_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Open database", str(default_db_path().parent),
                                              "MROQC database (*.sqlite3 *.db);;All files (*)")
        if name:
            self._leave("file", sqlite_url(name))

    def change_address(self) -> None:
        from ui.join_shared import Purpose, SharedDatabaseDialog

        self.timer.stop()
        dialog = SharedDatabaseDialog(Purpose.CHANGE, self.url, self)
        if dialog.exec() and dialog.url:
            self._leave("address", dialog.url)
            return
        self._count_from_start()

    def _leave(self, choice: str, url: str) -> None:
        self.timer.stop()
        self.choice, self.chosen_url = choice, url
        self.accept()

    def done(self, result: int) -> None:  # accept, reject, Esc: the countdown stops with the dialog
        self.timer.stop()
        super().done(result)


def _escape(text: str) -> str:
    import html

    return html.escape(text, quote=False)


def sign_in_reaching(parent: QWidget | None, url: str, user: str | None = None,
                     first: Callable[[str], Database] | None = None) -> Database:
    """Sign in to ``url`` (``first(url)`` when the command line brought the password, else the
    sign-in dialog); while the shared database cannot be reached, the ``ServerAwayDialog`` decides
    what next. Raises ``SignInCancelled`` when the person quits or closes a dialog."""
    shared = url  # the shared database the dialog is about
    target = url  # what is tried next: the shared database, a file, or a changed address
    changed = False  # target is an address typed in "Change the address"
    sign = first
    while True:
        try:
            db = sign(target) if sign is not None else ask_sign_in(parent, target, database_name(target), user)
        except ServerUnreachable as trouble:
            shared, dialog_trouble = target, trouble
        except (SignInCancelled, DatabaseError) as exc:
            if target == shared:  # the shared database answered but was not opened: as before
                raise
            if isinstance(exc, DatabaseError):  # the file chosen meanwhile cannot be used: say so, back to the server
                QMessageBox.warning(parent, "Cannot open that file", str(exc))
            target = shared
            sign = None
            continue
        else:
            if changed and target == shared:
                _remember_if_administrator(parent, db, target)
            return db
        sign = None
        dialog = ServerAwayDialog(dialog_trouble, shared, parent)
        if not dialog.exec():
            raise SignInCancelled()
        if dialog.choice == "file" and dialog.chosen_url:
            target = dialog.chosen_url
        elif dialog.choice == "address" and dialog.chosen_url:
            target = shared = dialog.chosen_url
            changed = True
        else:  # the server answers now
            target = shared


def _remember_if_administrator(parent: QWidget | None, db: Database, url: str) -> None:
    """A changed address is remembered once an administrator of the database there signed in."""
    from ui.settings_file import remember_shared_url

    if db.actor is not None and db.actor.role == "admin":
        remember_shared_url(url)
        return
    QMessageBox.information(parent, "The new address is used this time only",
                            "This computer opens the shared database at the new address this time. It remembers "
                            "the address once an administrator signs in there from this computer; until then the "
                            "old address is tried at the next start.")
