"""Start the window: choose the database (first-run setup if there is none), show errors
as dialogs, never as tracebacks."""

from __future__ import annotations

import gc
import logging
import os
import sys
import traceback
from types import TracebackType

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from app import __version__
from app.paths import default_db_path, resource
from app.storage.database import Database, DatabaseError, open_database, sqlite_url

log = logging.getLogger(__name__)
QUIT_AFTER_ENV = "MROQC_DESK_QUIT_AFTER_MS"  # smoke tests and benchmarks: close after N ms


def install_exception_hook() -> None:
    """Log an unexpected error and tell the user, instead of dying silently (as Vorta does)."""

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        log.error("unexpected error:\n%s", "".join(traceback.format_exception(kind, error, tb)))
        if QApplication.instance() is not None:
            QMessageBox.critical(None, "Something went wrong",
                                 f"MROQC Facility Desk hit an unexpected problem and stopped that action:\n\n{error}\n\n"
                                 "Your saved data is safe. The details are in the log file in the data folder.")

    sys.excepthook = hook


def make_app() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("MROQC Facility Desk")
    app.setOrganizationName("MROQC")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(resource("icons", "mroqc-desk-256.png"))))
    return app  # type: ignore[return-value]


class Session:
    """The open database and its window; replaced when the user opens another file."""

    def __init__(self) -> None:
        self.window = None

    def show(self, db: Database) -> None:
        from ui.main_window import MainWindow

        old = self.window
        self.window = MainWindow(db, open_other=self.open_other)
        self.window.show()
        if old is not None:
            old.close()
            old.db.dispose()

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
        gc.collect()
        db.dispose()

    def open_other(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self.window, "Open database", str(default_db_path().parent),
                                              "MROQC database (*.sqlite3 *.db);;All files (*)")
        if not name:
            return
        try:
            self.show(open_database(sqlite_url(name)))
        except DatabaseError as exc:
            QMessageBox.warning(self.window, "Cannot open that file", str(exc))


def choose_database(url: str | None) -> str | None:
    if url is not None:
        return url
    path = default_db_path()
    if path.exists():
        return sqlite_url(path)
    from ui.first_run import FirstRunDialog

    dialog = FirstRunDialog(path)
    return dialog.chosen_url if dialog.exec() else None


def run_gui(url: str | None) -> int:
    app = make_app()
    install_exception_hook()
    chosen = choose_database(url)
    if chosen is None:
        return 0
    try:
        db = open_database(chosen)
    except DatabaseError as exc:
        QMessageBox.critical(None, "Cannot open the database", str(exc))
        return 2
    session = Session()
    session.show(db)
    quit_after = os.environ.get(QUIT_AFTER_ENV)
    if quit_after:
        QTimer.singleShot(int(quit_after), app.quit)
    code = app.exec()
    session.close()
    return code
