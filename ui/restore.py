"""Restore from a backup, in the window (File → Restore from a backup…, Settings → Data).

An administrator chooses a backup file and sees what it says of itself (facility, when and by
whom it was taken, the app version, rows per table); with the password of one of the backup's
administrators (or its recovery key) the backup is checked page by page and its rows counted
from its own database, beside today's — all before anything changes. Restoring then asks once
more, naming the file the current database will be kept as.

The window lets go of its database for the restore (``app.storage.locks``: a restore needs the
file alone, and is refused, naming them, while anyone else has it open), runs
``app.services.maintenance.restore_database`` in the background, and opens the restored database
signed in as the administrator who restored it. If the restore fails, the window opens the
database it had again (nothing was changed).

Opening a ``.backup`` file with File → Open database lands here too (``offer_backup``): a backup
is not a database; it is restored into this one, or into a new file to look at it apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.permissions import NotAllowed
from app.domain.wording import records_words
from app.security.signin import SignInFailed, sign_in, sign_in_with_recovery_key
from app.services.maintenance import (
    BackupContents,
    RestoreReport,
    current_counts,
    describe_backup,
    inspect_backup,
    restore_database,
)
from app.storage.backup import free_aside_name
from app.storage.database import Database, sqlite_url
from app.storage.errors import DatabaseError
from ui.data_files import BACKUP_FILTER, HelpLabel, explain
from ui.letting_go import let_go, others_holding, take_back  # noqa: F401 (others_holding: its old home)
from ui.save_dialog import ask_save_path
from ui.workers import run_in_background


def ask(parent: QWidget | None, title: str, text: str, choices: list[str], safe: str) -> str | None:
    """A question with ``choices`` (button texts); ``safe`` is the default, so Enter never loses
    anything. The text of the button chosen, or None (closed)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=parent)
    buttons = {box.addButton(choice, QMessageBox.ButtonRole.ActionRole): choice for choice in choices}
    safe_button = next((b for b, c in buttons.items() if c == safe), None)
    if safe_button is None:  # the safe answer is to do nothing
        safe_button = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(safe_button)
    box.setEscapeButton(safe_button)
    box.exec()
    return buttons.get(box.clickedButton())


@dataclass(frozen=True)
class RestoreRequest:
    backup: Path
    name: str
    secret: str
    recovery: bool
    contents: BackupContents


def reason(exc: Exception) -> str:
    """A refused password or role says so (it is a ``PermissionError``, not a file problem)."""
    if isinstance(exc, SignInFailed | NotAllowed):
        return str(exc).removeprefix("sign-in failed: ").capitalize()
    return explain(exc)


def _when(value: dt.datetime | None) -> str:
    if value is None:
        return "an unknown time"
    local = value.replace(tzinfo=dt.UTC).astimezone()
    return f"{local:%Y-%m-%d %H:%M} ({local:%Z})"


def describe(contents: BackupContents) -> str:
    """The backup in one paragraph of plain words."""
    who = f" by {contents.taken_by}" if contents.taken_by else ""
    version = f", MROQC Facility Desk {contents.app_version}" if contents.app_version else ""
    checked = ("checked page by page with your password" if contents.verified
               else "as its label says; check it with a password of the backup")
    return (f"<b>{contents.facility or 'A facility'}</b>, taken {_when(contents.taken_at)}{who}{version} — "
            f"{checked}.")


class RestoreDialog(QDialog):
    """Choose a backup, see what it holds, confirm. ``request`` is set when the user confirmed."""

    checked = Signal(object)  # BackupContents, once the backup was opened with a password

    def __init__(self, db: Database | None, parent: QWidget | None = None, backup: Path | None = None, *,
                 target: Path | None = None) -> None:
        """``db``: the open database the backup replaces; or None with ``target``, a new file to make
        from the backup (to look at it apart)."""
        super().__init__(parent)
        self.db = db
        self.target = target if db is None else db.path
        self.url = db.url if db is not None else sqlite_url(target) if target is not None else ""
        self.request: RestoreRequest | None = None
        self.contents: BackupContents | None = None
        self.setWindowTitle("Restore from a backup")
        intro = QLabel("Replaces this database with a backup. The current database is not deleted: it is kept "
                       "under another name, and opens with today's passwords." if db is not None else
                       f"Makes {target.name if target else 'a new file'} from a backup, to look at it apart; "
                       "nothing else changes.")
        intro.setWordWrap(True)
        self.file = QLineEdit(str(backup) if backup else "")
        self.file.setPlaceholderText("a .backup file")
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self.choose)
        row = QHBoxLayout()
        row.addWidget(self.file, 1)
        row.addWidget(browse)
        self.label = HelpLabel("")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.user = QLineEdit(db.actor.name if db is not None and db.actor else "")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.recovery = QCheckBox("Use the backup's recovery key instead")
        self.recovery.toggled.connect(self._recovery_toggled)
        self.check_button = QPushButton("&Check this backup")
        self.check_button.clicked.connect(self.check)
        form = QFormLayout()
        file_label = QLabel("&Backup")
        file_label.setBuddy(self.file)
        form.addRow(file_label, row)
        form.addRow("", self.label)
        form.addRow("&User in the backup", self.user)
        form.addRow("&Password in the backup", self.password)
        form.addRow("", self.recovery)
        form.addRow("", self.check_button)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Records", "In the backup", "Now"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.hide()
        self.outcome = HelpLabel("")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.restore_button = self.buttons.addButton("&Restore…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.setEnabled(False)
        self.restore_button.setAutoDefault(False)
        self.buttons.rejected.connect(self.reject)
        self.restore_button.clicked.connect(self.confirm)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.outcome)
        layout.addWidget(self.buttons)
        self.file.editingFinished.connect(self.read_label)
        self.password.returnPressed.connect(self.check)
        self.setMinimumWidth(620)
        if backup:
            self.read_label()

    def _grow_on_screen(self, height: int) -> None:
        """Room for the table, but wholly on the screen (a 768-pixel laptop)."""
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        wanted = max(self.height(), height)
        if screen is not None:
            wanted = min(wanted, screen.height() - 40)
        self.resize(max(self.width(), 620), wanted)
        if screen is not None and self.frameGeometry().bottom() > screen.bottom():
            self.move(self.x(), max(screen.top(), screen.bottom() - self.frameGeometry().height()))

    def _recovery_toggled(self, on: bool) -> None:
        self.user.setEnabled(not on)
        self.password.clear()
        self.password.setPlaceholderText("XXXX-XXXX-…" if on else "")

    def choose(self) -> None:
        start = str(self.target.parent) if self.target is not None else str(Path.home())
        name, _ = QFileDialog.getOpenFileName(self, "Restore from a backup", start, BACKUP_FILTER + ";;All files (*)")
        if name:
            self.file.setText(name)
            self.read_label()

    def _forget(self) -> None:
        self.contents = None
        self.restore_button.setEnabled(False)
        self.table.hide()

    def read_label(self) -> None:
        """What the backup says of itself, before any password."""
        self._forget()
        text = self.file.text().strip()
        if not text:
            self.label.clear()
            return
        try:
            self.label.setText(describe(describe_backup(Path(text))))
        except DatabaseError as exc:
            self.label.setText(str(exc))
            return
        self.password.setFocus()

    def check(self) -> None:
        """Open the backup with the password given, check every page, count its rows (background)."""
        self._forget()
        backup, secret = Path(self.file.text().strip()), self.password.text()
        if not self.file.text().strip() or not secret:
            self.outcome.setText("Choose the backup and give a password of one of its administrators (or its "
                                 "recovery key).")
            return
        self.check_button.setEnabled(False)
        self.outcome.setText("Checking the backup…")
        recovery, name, url, db = self.recovery.isChecked(), self.user.text().strip(), self.url, self.db
        run_in_background(lambda: (inspect_backup(url, backup, name, secret, recovery=recovery),
                                   current_counts(db) if db is not None else {}),
                          self._checked, self._check_failed, owner=self)

    def _checked(self, result: tuple[BackupContents, dict[str, int]]) -> None:
        contents, now = result
        self.contents = contents
        self.check_button.setEnabled(True)
        self.label.setText(describe(contents))
        names = [t for t in contents.counts if t != "audit_log"] + ["audit_log"]
        self.table.setRowCount(len(names))
        for row, table in enumerate(names):
            self.table.setItem(row, 0, QTableWidgetItem(records_words(table).capitalize()))
            differs = db_differs = contents.counts.get(table) != now.get(table) and bool(now)
            for column, count in ((1, contents.counts.get(table)), (2, now.get(table))):
                item = QTableWidgetItem("—" if count is None else f"{count:,}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
            if db_differs:  # what the restore would change stands out
                for column in range(3):
                    font = self.table.item(row, column).font()
                    font.setBold(differs)
                    self.table.item(row, column).setFont(font)
        self.table.show()
        self._grow_on_screen(560)
        self.outcome.setText("The backup is whole. Restoring replaces what is here now with what it holds.")
        self.restore_button.setEnabled(True)
        self.restore_button.setFocus()
        self.checked.emit(contents)

    def _check_failed(self, exc: Exception) -> None:
        self.check_button.setEnabled(True)
        self.outcome.setText(f"{reason(exc)} Nothing was changed.")

    def kept_as(self) -> str:
        if self.target is None or not self.target.exists():
            return "another name"
        return free_aside_name(self.target, "before-restore").name

    def confirm(self) -> None:
        contents = self.contents
        if contents is None:
            return
        if self.db is None:
            text = (f"Make {self.target.name if self.target else 'the new file'} from the backup of "
                    f"{contents.facility or 'the facility'} taken {_when(contents.taken_at)}?")
            go, stay = "Make the copy", "Cancel"
        else:
            text = (f"Replace this database with the backup of {contents.facility or 'the facility'} taken "
                    f"{_when(contents.taken_at)}?\n\nWhat was saved here since then is not in the backup. The "
                    f"current database is kept as {self.kept_as()} (it opens with today's passwords). Forms open "
                    "in this window close without saving.")
            go, stay = "Restore", "Keep the current database"
        if ask(self, "Restore from a backup", text, [go, stay], safe=stay) != go:  # Enter keeps what is here
            return
        self.request = RestoreRequest(Path(self.file.text().strip()), self.user.text().strip(), self.password.text(),
                                      self.recovery.isChecked(), contents)
        self.accept()


def perform_restore(window, request: RestoreRequest,  # type: ignore[no-untyped-def]
                    replace_database: Callable[[Database], object]) -> None:
    """Let go of the window's database, restore, and open the restored one in a new window
    (``replace_database``) — or, if the restore failed, the one there was."""
    db: Database = window.db
    held = let_go(window, "Restore from a backup", "restore", "Restoring the backup…")
    if held is None:
        return
    url = held.url
    db.dispose()  # the window's hold on the file goes: the restore needs it alone
    def work() -> tuple[RestoreReport, Database]:
        report = restore_database(url, request.backup, request.name, request.secret, recovery=request.recovery)
        opened = (sign_in_with_recovery_key(url, request.secret) if request.recovery
                  else sign_in(url, request.name, request.secret))
        return report, opened

    def done(result: tuple[RestoreReport, Database]) -> None:
        held.progress.close()  # type: ignore[union-attr]
        report, opened = result
        new_window = replace_database(opened)
        kept = f" The database it replaced is kept as {report.set_aside.name}." if report.set_aside else ""
        QMessageBox.information(new_window, "Backup restored",
                                f"Restored {report.facility or 'the facility'} from {request.backup.name}.{kept}")

    def failed(exc: Exception) -> None:
        held.progress.close()  # type: ignore[union-attr]
        take_back(window, held, reason(exc), "Restore failed", replace_database)

    run_in_background(work, done, failed, owner=None)


def is_backup(path: Path) -> bool:
    try:
        describe_backup(path)
        return True
    except DatabaseError:
        return False


def offer_backup(parent: QWidget | None, path: Path, window=None,  # type: ignore[no-untyped-def]
                 replace_database: Callable[[Database], object] | None = None) -> bool:
    """File → Open database chose a backup: say what it is and offer what can be done with it.
    Returns False when ``path`` is no backup (the caller opens it as a database)."""
    try:
        contents = describe_backup(path)
    except DatabaseError:
        return False
    text = (f"{path.name} is a backup of {contents.facility or 'a facility'} taken {_when(contents.taken_at)}. A "
            "backup is not opened directly: it is restored, into this database or into a new file of its own to "
            "look at it apart.")
    into_this, apart = "Restore into this database…", "Open a copy of it…"
    here = window is not None and window.db is not None and window.db.path is not None
    choice = ask(parent, "This is a backup", text, [into_this, apart] if here else [apart], safe="")  # Cancel
    if choice == into_this and replace_database is not None:
        dialog = RestoreDialog(window.db, window, backup=path)
        if dialog.exec() and dialog.request is not None:
            perform_restore(window, dialog.request, replace_database)
    elif choice == apart and replace_database is not None:
        restore_apart(parent, path, replace_database)
    return True


def restore_apart(parent: QWidget | None, backup: Path, replace_database: Callable[[Database], object]) -> None:
    """Make a new file from a backup (nothing else changes) and open it."""
    choice = ask_save_path(parent, "database", "Open a copy of the backup as", backup.with_suffix(".sqlite3").name,
                           "MROQC database (*.sqlite3)")
    if choice is None:
        return
    target = choice.path
    if target.exists():
        QMessageBox.warning(parent, "Choose a new file", f"{target.name} exists already; choose a new file name.")
        return
    restore_into_new(parent, backup, target, replace_database)


def restore_into_new(parent: QWidget | None, backup: Path, target: Path, opened: Callable[[Database], object]) -> bool:
    """The restore dialog for a new file ``target`` made from ``backup``; once confirmed, the
    restore and the sign-in run in the background and ``opened(db)`` gets the result. Returns
    whether it was confirmed."""
    dialog = RestoreDialog(None, parent, backup=backup, target=target)
    if not dialog.exec() or dialog.request is None:
        return False
    request, url = dialog.request, sqlite_url(target)

    def work() -> Database:
        restore_database(url, request.backup, request.name, request.secret, recovery=request.recovery)
        return (sign_in_with_recovery_key(url, request.secret) if request.recovery
                else sign_in(url, request.name, request.secret))

    run_in_background(work, opened,
                      lambda exc: QMessageBox.warning(parent, "The copy was not made", f"{reason(exc)}\n\nNothing "
                                                      "was changed."), owner=None)
    return True
