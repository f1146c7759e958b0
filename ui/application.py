"""Start the window: choose the database (first-run setup if there is none), show errors
as dialogs, never as tracebacks.

The window appears before SQLAlchemy is imported and the database opened (``Session.show_opening``):
importing the ORM alone takes most of a second, and a window that shows at once and then fills in
feels faster than one that shows late and full.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

from app.paths import (
    DB_URL_ENV,
    database_name,
    default_db_path,
    resource,
    sqlite_url,
    written_sqlite_path,
)
from app.storage.errors import DatabaseError
from ui.collector import collect_on_gui_thread

if TYPE_CHECKING:  # both import SQLAlchemy: loaded only once the window is on screen
    from app.storage.database import Database
    from ui.main_window import MainWindow

log = logging.getLogger(__name__)
QUIT_AFTER_ENV = "MROQC_DESK_QUIT_AFTER_MS"  # smoke tests and benchmarks: quit N ms after the first page is built
EXIT_CANNOT_OPEN = 2  # as the CLI's unusable input
EXIT_INTERNAL = 3


def install_exception_hook() -> None:
    """Log an unexpected error and tell the user, instead of dying silently (as Vorta does)."""

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if isinstance(error, DatabaseError) and QApplication.instance() is not None:
            # a database that cannot be used (replaced underneath, its server gone): said plainly, not a crash
            log.info("an action stopped: %s", type(error).__name__)
            QMessageBox.warning(None, "Not done", str(error))
            return
        log.error("unexpected error:\n%s", "".join(traceback.format_exception(kind, error, tb)))
        if QApplication.instance() is not None:
            QMessageBox.critical(None, "Something went wrong",
                                 f"MROQC Facility Desk hit an unexpected problem and stopped that action:\n\n{error}\n\n"
                                 "Your saved data is safe. The details are in the log file in the data folder.")

    sys.excepthook = hook


def make_app(*, version: bool = True) -> QApplication:
    """The application, named and with its icon. ``version=False`` leaves the version to be set
    later (``set_version``): reading it costs some 50 ms the window's start-up does without."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("MROQC Facility Desk")
    app.setOrganizationName("MROQC")
    if version:
        set_version()
    app.setWindowIcon(QIcon(str(resource("icons", "mroqc-desk-256.png"))))
    collect_on_gui_thread(app)  # never in a background job's thread, where Qt objects would be destroyed
    return app  # type: ignore[return-value]


def set_version() -> None:
    from app import __version__

    QApplication.setApplicationVersion(__version__)


def let_go(window: QWidget) -> None:
    """Free a replaced window and what it holds once control is back in the event loop (it may be
    the caller's own: a restore or a re-key replaces the window it runs from). Its screens were
    kept out of the collector's way (``MainWindow.page``'s ``gc.freeze``), so they are let back in;
    without this, every File → Open kept the old window's pages, models and caches for the session."""
    window.deleteLater()

    def collect() -> None:
        gc.unfreeze()
        gc.collect()

    window.destroyed.connect(lambda *_: QTimer.singleShot(0, collect))


class Session:
    """The open database and its window; replaced when the user opens another file."""

    def __init__(self) -> None:
        self.window: MainWindow | None = None

    def show(self, db: Database) -> MainWindow:
        """The window on a database already open and signed in (first run, File → Open)."""
        from ui.main_window import MainWindow

        old = self.window
        self.window = MainWindow(db, open_other=self.open_other)
        self.window.replace_database = self.show
        self.window.show()
        if old is not None:
            old.close()
            if old.db is not None:
                old.db.dispose()
            let_go(old)
        return self.window

    def show_opening(self, url: str, sign_in: Callable[[str], Database] | None = None,
                     user: str | None = None) -> MainWindow:
        """Show the window for ``url`` at once; it signs in (the sign-in dialog over the empty
        window, or ``sign_in`` when the command line brought the password) and opens (and
        migrates) the database right after.

        A shared database whose server cannot be reached shows the server-away dialog (retry, open
        a file, change the address: ``ui.server_away``). Any other database that cannot be opened
        ends the app as it always did: one clear dialog and exit code 2 (see ``_open_failed``);
        closing the sign-in dialog ends it quietly.
        """
        from ui.main_window import MainWindow

        def opener() -> Database:
            from ui.server_away import sign_in_reaching

            # a shared database that cannot be reached: the server-away dialog, not an exit
            db = sign_in_reaching(self.window, url, user, first=sign_in)
            # left out of make_app(version=False) to show the window sooner, and set after the
            # sign-in dialog, which shows ~20 ms sooner without importlib.metadata (-X importtime)
            set_version()
            return db

        self.window = MainWindow.opening(opener, database_name(url), open_other=self.open_other)
        self.window.replace_database = self.show
        self.window.open_failed.connect(self._open_failed)
        self.window.show()
        return self.window

    def _open_failed(self, exc: Exception) -> None:
        """The file is unusable (damaged, foreign, from a newer version): say so in one dialog and
        end with exit code 2, never a traceback. Anything unexpected goes to the log, exit code 3."""
        from ui.main_window import plain_reason
        from ui.sign_in import SignInCancelled

        if isinstance(exc, SignInCancelled):
            QApplication.exit(0)
            return
        if isinstance(exc, DatabaseError | PermissionError | ValueError):  # a failed sign-in is a PermissionError
            reason, code = str(exc), EXIT_CANNOT_OPEN
        else:
            log.error("the database could not be opened:\n%s", "".join(traceback.format_exception(exc)))
            reason = f"{plain_reason(exc)}.\n\nThe details are in the log file in the data folder."
            code = EXIT_INTERNAL
        if self.window is not None:
            self.window.hide()  # the dialog stands alone, as when the window used to open last
        QMessageBox.critical(None, "Cannot open the database", reason)
        QApplication.exit(code)

    def close(self) -> None:
        """Tear the window down while Qt still runs (not during interpreter shutdown)."""
        from ui.workers import pool

        if self.window is None:
            return
        pool().waitForDone(30000)
        db = self.window.db
        self.window.close()
        self.window.deleteLater()
        QApplication.sendPostedEvents(None, 0)
        QApplication.processEvents()
        self.window = None
        gc.unfreeze()  # the window's screens were kept out of the collector's way (``MainWindow.page``)
        gc.collect()
        if db is not None:  # None: the database never opened
            db.dispose()

    def open_other(self, url: str | None = None) -> None:
        """File → Open: a database file chosen here, or ``url`` (the shared database just moved to;
        if its server cannot be reached, the server-away dialog says so and offers what to do)."""
        from ui.server_away import sign_in_reaching
        from ui.sign_in import SignInCancelled

        if url is None:
            name, _ = QFileDialog.getOpenFileName(self.window, "Open database", str(default_db_path().parent),
                                                  "MROQC database or backup (*.sqlite3 *.db *.backup);;All files (*)")
            if not name:
                return
            from ui.restore import offer_backup

            if offer_backup(self.window, Path(name), self.window, self.show):  # a backup: restored, not opened
                return
            url = sqlite_url(name)
        try:
            self.show(sign_in_reaching(self.window, url))
        except SignInCancelled:
            return
        except DatabaseError as exc:
            QMessageBox.warning(self.window, "Cannot open that file", str(exc))


def choose_database(url: str | None) -> str | Database | None:
    """The URL to sign in to, or (first run) the new database already signed in, or None (cancelled).

    A file named on the command line (``--db``) that does not exist yet gets the first-run setup
    for that file, as the default one does: it used to ask for a password, then say there was no
    database there and name a command to type."""
    if url is not None:
        missing = new_file_named(url)
        return url if missing is None else _first_run(missing)
    from ui.settings_file import remembered_shared_url

    shared = os.environ.get(DB_URL_ENV) or remembered_shared_url()  # the facility moved to a shared database
    if shared:
        return shared
    path = default_db_path()
    if path.exists():
        return sqlite_url(path)
    return _first_run(path)


def new_file_named(url: str) -> Path | None:
    """The database file ``url`` names when it does not exist yet (None: it exists, or ``url`` is a
    server's, or not one ``app.paths.sqlite_url`` wrote for ``--db``, which is always absolute). Read
    from the URL as that writes it: SQLAlchemy is not loaded yet."""
    path = written_sqlite_path(url)
    return None if path is None or path.exists() else path


def _first_run(path: Path) -> str | Database | None:
    """The first-run setup for a new database at ``path`` (or another chosen there)."""
    from ui.first_run import FirstRunDialog

    dialog = FirstRunDialog(path)
    if not dialog.exec():
        return None
    return dialog.db if dialog.db is not None else dialog.chosen_url


def run_gui(url: str | None, sign_in: Callable[[str], Database] | None = None, user: str | None = None) -> int:
    """The window on ``url`` (or the default database, or first-run setup); the exit code.
    ``sign_in(url)`` opens it signed in without the dialog (the password came on standard input)."""
    app = make_app(version=False)  # set once the window is on screen (show_opening)
    install_exception_hook()
    from ui.settings_file import move_old_settings

    move_old_settings()  # an earlier version's settings, from the account's into the data folder, once
    chosen = choose_database(url)
    if chosen is None:
        return 0
    session = Session()
    if isinstance(chosen, str):
        window = session.show_opening(chosen, sign_in, user)
    else:
        window = session.show(chosen)
    quit_after = os.environ.get(QUIT_AFTER_ENV)
    if quit_after:  # counted from a usable window (database open, first page built), not from exec
        # exit(0), not quit(): after Qt 6's quit() every later event loop in this process ends at
        # once (the tests run the GUI more than once in one process)
        window.ready.connect(lambda: QTimer.singleShot(int(quit_after), lambda: app.exit(0)))
    code = app.exec()
    session.close()
    return code
