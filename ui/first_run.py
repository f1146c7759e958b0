"""First start: set up the facility's database, join the facility's shared database, explore a
demo facility, or open a file.

Either new database gets its first user, the administrator typed here, and is encrypted; its
recovery key is shown once before the window opens, signed in as that administrator. Joining the
shared database (``ui.join_shared``) signs in there as an existing user and remembers its address.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.security.passwords import PasswordRejected
from app.security.signin import check_user_name, create_database
from app.services.facility import FacilityError, save_facility
from app.storage.database import Database, DatabaseError, sqlite_url
from ui.dialog_fit import FittingScrollArea
from ui.facility_form import FacilityFields
from ui.sign_in import (
    NewPasswordFields,
    RecoveryKeyDialog,
    SignInCancelled,
    ask_sign_in,
    default_user,
    facility_of,
    remember_user,
)
from ui.workers import run_in_background


class FirstRunDialog(QDialog):
    """When accepted: ``db``, the new database signed in as its administrator, or (an existing
    file opened) ``chosen_url`` with ``db`` signed in there too."""

    def __init__(self, default_path: Path, parent=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.setWindowTitle("Welcome to MROQC Facility Desk")
        self.default_path = default_path
        self.chosen_url: str | None = None
        self.db: Database | None = None

        intro = QLabel("<h2>Welcome</h2><p>No facility database was found on this computer. "
                       "Set one up for your facility, join your facility's shared database if its "
                       "workstations share one, explore a demo facility with synthetic patients, "
                       "or open an existing database file.</p>")
        intro.setWordWrap(True)

        self.admin = QLineEdit(default_user())
        self.admin.setObjectName("admin")
        admin_form = QFormLayout()
        admin_form.addRow("&User name", self.admin)
        self.password = NewPasswordFields(admin_form)
        admin_note = QLabel("You are the database's first user, its administrator: you add everyone else "
                            "(Settings → Users). The database is encrypted; only passwords open it.")
        admin_note.setWordWrap(True)
        admin_form.addRow(admin_note)
        admin_box = QGroupBox("Your account (administrator)")
        admin_box.setLayout(admin_form)

        self.facility = FacilityFields()
        self.name, self.kind, self.oncologists = self.facility.name, self.facility.kind, self.facility.oncologists
        self.joined, self.baseline = self.facility.joined, self.facility.baseline
        self.name.setPlaceholderText("e.g. Lakeside Cancer Center")
        self.joined.set_date(self.joined.today())
        self.baseline.setValue(self.joined.today().year)
        self.joined.dateChanged.connect(lambda d: d is not None and self.baseline.setValue(d.year))
        form = QFormLayout()
        self.facility.add_rows(form)
        self.create_button = QPushButton("Create my facility's database")
        self.create_button.setDefault(True)
        self.create_button.clicked.connect(self.create_facility)
        form.addRow(self.create_button)
        setup = QGroupBox("Set up my facility")
        setup.setLayout(form)

        self.join_button = QPushButton("Join the facility's &shared database…")
        self.join_button.setToolTip("Your facility's workstations share one database on a server: sign in there "
                                    "with the user name you have in it")
        self.join_button.clicked.connect(self.join_shared)
        self.demo_button = QPushButton("Explore a demo facility (synthetic data)")
        self.demo_button.clicked.connect(self.create_demo)
        self.open_button = QPushButton("Open an existing database file or a backup…")
        self.open_button.clicked.connect(self.open_existing)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.hide()
        self.status = QLabel()
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)

        body = QWidget()
        content = QVBoxLayout(body)
        content.setContentsMargins(0, 0, 0, 0)
        for widget in (intro, admin_box, setup, self.join_button, self.demo_button, self.open_button, self.progress,
                       self.status):
            content.addWidget(widget)
        content.addStretch(1)
        # taller than a laptop screen at 150 %: the body scrolls, Cancel stays in sight
        self.body = FittingScrollArea(body, reserve=buttons.sizeHint().height() + 30)
        layout = QVBoxLayout(self)
        layout.addWidget(self.body, 1)
        layout.addWidget(buttons)
        self.resize(520, self.sizeHint().height())

    def _busy(self, busy: bool, text: str = "") -> None:
        for widget in (self.create_button, self.join_button, self.demo_button, self.open_button):
            widget.setEnabled(not busy)
        self.progress.setVisible(busy)
        self.status.setText(text)

    def administrator(self) -> tuple[str, str] | None:
        """The administrator's name and password as typed, or None after saying what is wrong."""
        try:
            name = check_user_name(self.admin.text())
            return name, self.password.value(name)
        except (ValueError, PasswordRejected) as exc:
            QMessageBox.warning(self, "Check your account", str(exc)[0].upper() + str(exc)[1:] + ".")
            self.password.first.setFocus()
            return None

    def _created(self, db: Database, recovery_key: str) -> None:
        """Show the recovery key once, then hand the signed-in database to the window."""
        assert db.actor is not None
        remember_user(db.actor.name)
        RecoveryKeyDialog(recovery_key, self, facility=facility_of(db)).exec()
        self.db = db
        self.chosen_url = db.url
        self.accept()

    def create_facility(self) -> None:
        problem = self.facility.joined_problem()
        if problem:
            QMessageBox.warning(self, "Facility not created", f"Joined MROQC on: {problem}.")
            self.joined.setFocus()
            return
        details = self.facility.details(
            records_kept_since=dt.date.today())  # a new facility: the app knows nothing from before today
        try:
            details.validated(dt.date.today())
        except FacilityError as exc:
            QMessageBox.warning(self, "Facility not created", str(exc))
            self.name.setFocus()
            return
        account = self.administrator()
        if account is None:
            return
        try:
            db, recovery_key = create_database(sqlite_url(self.default_path), *account,
                                               build=lambda db: save_facility(db, details, today=dt.date.today()),
                                               facility=details.name)
        except (FacilityError, DatabaseError) as exc:
            QMessageBox.warning(self, "Facility not created", str(exc))
            return
        self._created(db, recovery_key)

    def demo_path(self) -> Path:
        return self.default_path.with_name("demo-facility.sqlite3")

    def create_demo(self) -> None:
        path = self.demo_path()
        if path.exists():  # made on an earlier first start: sign in to it
            self._open(sqlite_url(path), str(path))
            return
        account = self.administrator()
        if account is None:
            return
        self._busy(True, "Building the demo facility (five years of synthetic cases)…")

        def work() -> tuple[Database, str]:
            from app.demo.generator import FACILITY_NAME, DemoOptions, generate_demo

            options = DemoOptions(years=5, seed=1, as_of=dt.date.today())
            # built under a temporary name: a failure leaves no file behind
            return create_database(sqlite_url(path), *account, build=lambda db: generate_demo(db, options),
                                   facility=FACILITY_NAME)

        def done(result: tuple[Database, str]) -> None:
            self._busy(False)
            self._created(*result)

        def failed(exc: Exception) -> None:
            self._busy(False)
            QMessageBox.warning(self, "Demo not created", f"The demo facility could not be built: {exc}")

        run_in_background(work, done, failed, owner=self)

    def _open(self, url: str, name: str) -> None:
        try:
            self.db = ask_sign_in(self, url, name)
        except SignInCancelled:
            return
        except DatabaseError as exc:
            QMessageBox.warning(self, "Cannot open that file", str(exc))
            return
        self.chosen_url = url
        self.accept()

    def join_shared(self) -> None:
        """The shared database's address, a test, and signing in there as an existing user."""
        from ui.join_shared import Purpose, SharedDatabaseDialog

        dialog = SharedDatabaseDialog(Purpose.JOIN, parent=self)
        if dialog.exec() and dialog.db is not None:
            self.db, self.chosen_url = dialog.db, dialog.url
            self.accept()

    def open_existing(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Open database", str(self.default_path.parent),
                                              "MROQC database or backup (*.sqlite3 *.db *.backup);;All files (*)")
        if not name:
            return
        from ui.restore import is_backup

        if is_backup(Path(name)):  # a new workstation starting from the facility's backup
            self.restore_backup(Path(name))
            return
        self._open(sqlite_url(name), name)

    def restore_backup(self, backup: Path) -> None:
        """This workstation's database made from a backup (an administrator of the backup signs in)."""
        from ui.restore import restore_into_new

        target = self.default_path
        if target.exists():
            QMessageBox.warning(self, "Cannot restore here", f"{target} exists already; open it instead.")
            return

        def opened(db: Database) -> None:
            self.db, self.chosen_url = db, sqlite_url(target)
            self.accept()

        restore_into_new(self, backup, target, opened)
