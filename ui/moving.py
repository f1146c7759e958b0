"""Settings → Data → "Move to a shared database…": the window's ``mroqc-desk copy``.

A facility that starts on one workstation's file moves to the shared PostgreSQL server once,
here, without the command line. The administrator gives the server's address with its owner role
(IT's), their password again (counted like a sign-in: five wrong ones lock the account) and how the
others will sign in there: **a first password each** (made by the copy, shown once to hand over,
changed at their first sign-in) or **their hospital account** (directory sign-in, Kerberos or LDAP
set up by IT). The copy runs in the background with a progress bar
(``app.services.moving.copy_database``, one transaction, verified table by table before it
commits, every person given their own server login); the dialog then shows the verification, the
first passwords once, the shared database's recovery key once, and offers to open the shared
database.

The address is remembered for this workstation only, without its owner role or any password, in
the data folder's settings file (``ui.settings_file``): a workstation signs in to the server as the
person at it (docs/shared-database.md).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.security.signin import SignInFailed, check_credentials
from app.services.moving import (
    DIRECTORY,
    FIRST_PASSWORDS,
    CopyReport,
    NotASharedDatabase,
    TargetNotEmpty,
    check_target,
    copy_database,
    workstation_address,
)
from app.storage.database import Database
from ui.data_files import explain
from ui.settings_file import SHARED_URL_KEY, remember_shared_url, remembered_shared_url  # noqa: F401 (their home was here)
from ui.sign_in import RecoveryKeyDialog, ShownOnceDialog
from ui.workers import ProgressRelay, progress_words, run_in_background, show_progress

EXAMPLE_URL = "postgresql+psycopg://mroqc_owner@db.hospital.org/mroqc?sslmode=verify-full"


class MoveDialog(QDialog):
    """Address + password → background copy → verification report, recovery key, open it."""

    #: the administrator chose to open the shared database now (its URL)
    open_requested = Signal(str)

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.report: CopyReport | None = None
        self.setWindowTitle("Move to a shared database")
        intro = QLabel(
            "<p>Copies everything in this database — cases, staff, meetings, users and the audit log — into a "
            "<b>new, empty</b> PostgreSQL database that every workstation of the facility can share. This file "
            "is left as it is.</p><p>Whoever runs the database server creates the empty database and gives you "
            "its address <b>with its owner role</b> (docs/shared-database.md says how): the copy gives every person "
            "a server login of their own there.</p>")
        intro.setWordWrap(True)
        self.url = QLineEdit()
        self.url.setPlaceholderText(EXAMPLE_URL)
        self.url.setAccessibleName("Address of the shared database")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Your password")
        self.first_passwords = QRadioButton("A &first password each, made now and shown once: hand it to each "
                                            "person, who changes it at their first sign-in")
        self.directory = QRadioButton("Their &hospital account (directory sign-in: Kerberos or LDAP, set up by IT); "
                                      "their server login is named as their user name")
        self.first_passwords.setChecked(True)
        self.hand_over = QButtonGroup(self)
        for button in (self.first_passwords, self.directory):
            self.hand_over.addButton(button)
        form = QFormLayout()
        form.addRow("Shared database &address", self.url)
        form.addRow(f"Your &password ({db.actor.name if db.actor else ''})", self.password)
        form.addRow(QLabel("How the others sign in there (you keep your password):"))
        form.addRow(self.first_passwords)
        form.addRow(self.directory)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Table", "Rows", "Checksum", "Verified"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAccessibleName("Verification, table by table")
        self.table.verticalHeader().hide()
        self.table.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("&Copy into the shared database")
        self.copy_button.setDefault(True)
        self.buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.open_button = QPushButton("&Open the shared database now")
        self.open_button.hide()
        self.buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self.start)
        self.open_button.clicked.connect(self._open)
        self._progress = ProgressRelay(self)
        self._progress.moved.connect(self._moved)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        self.resize(640, 420)

    # -- the copy -------------------------------------------------------------------------------

    def target_url(self) -> str | None:
        """The typed address, or None after saying what is wrong with it."""
        text = self.url.text().strip()
        if not text:
            self._say("Type the shared database's address first, e.g. " + EXAMPLE_URL)
            return None
        try:
            check_target(text)
        except NotASharedDatabase as exc:
            self._say(str(exc))
            return None
        return text

    def start(self) -> None:
        target = self.target_url()
        if target is None:
            return
        password = self.password.text()
        if not password:
            self._say("Type your password: the copy carries it to the shared database.")
            self.password.setFocus()
            return
        db, name, progress = self.db, self.db.actor.name if self.db.actor else "", self._progress
        hand_over = DIRECTORY if self.directory.isChecked() else FIRST_PASSWORDS

        def work() -> CopyReport:
            check_credentials(db, name, password)  # counted and audited like a sign-in
            return copy_database(db, target, password, progress=progress.moved.emit, hand_over=hand_over)

        self._busy(True)
        self._say("Copying… the other workstations can keep working; what they save meanwhile stays in this file.")
        run_in_background(work, self._copied, self._failed, owner=self)

    def _busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        for widget in (self.copy_button, self.url, self.password, self.first_passwords, self.directory):
            widget.setEnabled(not busy)
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setEnabled(not busy)

    def _moved(self, table: str, done: int, everything: int) -> None:
        show_progress(self.progress, done, max(everything, 1))
        self.status.setText(progress_words(f"Copying {table.replace('_', ' ')}", done, everything))

    def _copied(self, report: CopyReport) -> None:
        self.report = report
        self._busy(False)
        self.password.clear()
        self.copy_button.hide()
        self.url.setEnabled(False)
        self.password.setEnabled(False)
        self._show_report(report)
        others = (" The others sign in there with their hospital account." if report.directory else
                  " The others sign in there with the first password shown next, which you hand to each of them."
                  if report.first_passwords else "")
        self._say(f"<b>Copied {report.rows:,} rows; every table was verified.</b> Nothing here was changed. You sign "
                  f"in there with your password.{others}")
        remember_shared_url(workstation_address(self.url.text().strip()))  # the people's address: no owner in it
        if report.first_passwords:
            FirstPasswordsDialog(report.first_passwords, self).exec()  # shown once
        RecoveryKeyDialog(report.recovery_key, self).exec()  # the shared database's own, shown once
        self.open_button.show()
        self.open_button.setDefault(True)
        self.open_button.setFocus()

    def _show_report(self, report: CopyReport) -> None:
        self.table.show()
        self.table.setRowCount(len(report.tables))
        for row, check in enumerate(report.tables):
            cells = [check.table.replace("_", " "), f"{check.rows:,}", check.checksum[:12],
                     "✓ matches" if check.ok else f"✗ differs ({check.target_rows:,} rows there)"]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()

    def _failed(self, exc: Exception) -> None:
        self._busy(False)
        self.progress.hide()
        if isinstance(exc, SignInFailed):
            self._say(f"{exc}. Nothing was copied.")
            self.password.selectAll()
            self.password.setFocus()
            return
        advice = ("Ask whoever runs the server for a new, empty one; it was left as it is."
                  if isinstance(exc, TargetNotEmpty)
                  else "Nothing was kept at the shared database; check its address and try again.")
        self._say(f"{explain(exc)} {advice}")

    def _open(self) -> None:
        self.open_requested.emit(workstation_address(self.url.text().strip()))
        self.accept()

    def _say(self, text: str) -> None:
        self.status.setText(text)


class FirstPasswordsDialog(ShownOnceDialog):
    """Each person's first password on the shared database, shown once: the administrator hands
    each one over in person (the person changes it at their first sign-in there)."""

    def __init__(self, passwords: dict[str, str], parent: QWidget | None = None) -> None:
        table = QTableWidget(len(passwords), 2)
        table.setHorizontalHeaderLabels(["User", "First password"])
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().hide()
        table.setAccessibleName("First passwords, one per user")
        for row, (name, password) in enumerate(sorted(passwords.items())):
            table.setItem(row, 0, QTableWidgetItem(name))
            table.setItem(row, 1, QTableWidgetItem(password))
        table.resizeColumnsToContents()
        listing = "\n".join(f"{name}: {password}" for name, password in sorted(passwords.items()))
        super().__init__("First passwords on the shared database",
                         "<h3>Hand each person their first password</h3><p>Give it to them in person (or sealed). "
                         "They sign in to the shared database with it and choose their own at once. "
                         "<b>These are not shown again.</b></p>",
                         table, listing, "I have written them down to hand over", parent, stretch=1)
        self.table = table
