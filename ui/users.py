"""Settings → Users: who may sign in and with which role (administrators), and everyone's own
password.

The panel runs ``app.services.users``; every change is refused there unless an administrator is
signed in, and the panel only shows what the signed-in user may do.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.permissions import ROLE_NAMES, ROLES, Permission
from app.security.passwords import PasswordRejected
from app.services import users
from app.storage.database import Database
from ui.form_guard import DiscardGuard
from ui.permissions import may
from ui.sign_in import ChangePasswordDialog, FirstPasswordDialog, NewPasswordFields

COLUMNS = ("User name", "Full name", "Role", "Person in Staff & roles", "Certificate", "Status", "Last signed in")
CERTIFICATE_WORDS = {"issued": "issued", "waiting": "waiting for an administrator", "none": "none yet"}


def _local(value: dt.datetime | None, zone: str | None = None) -> str:
    """A stored UTC time in the facility's zone (as the audit log shows times), to the minute."""
    from app.domain.wording import to_local

    if value is None:
        return ""
    return to_local(value, zone).strftime("%Y-%m-%d %H:%M %Z")


def staff_picker(people: list[tuple[str, str]]) -> QComboBox:
    """The people of Staff & roles, "(nobody: an IT administrator)" first."""
    box = QComboBox()
    box.addItem("(nobody: an IT administrator)", None)
    for staff_id, name in people:
        box.addItem(f"{name} ({staff_id})", staff_id)
    return box


class UserDialog(DiscardGuard, QDialog):
    """Add a user with a first password: the administrator types it twice; the user must change
    it at first sign-in. (A reset of someone's password is ``ui.sign_in.FirstPasswordDialog``.)"""

    def __init__(self, parent: QWidget | None, people: list[tuple[str, str]] | None = None,
                 shared: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a user")
        form = QFormLayout(self)
        self.staff = staff_picker(people or [])
        self.name = QLineEdit()
        self.name.setObjectName("name")
        self.full_name = QLineEdit()
        self.role = QComboBox()
        for role in ROLES:
            self.role.addItem(ROLE_NAMES[role].capitalize(), role)
        self.role.setCurrentIndex(ROLES.index("coordinator"))
        form.addRow("&User name", self.name)
        form.addRow("&Full name", self.full_name)
        form.addRow("&Role", self.role)
        form.addRow("&Person", self.staff)
        who = QLabel("The person in Staff & roles this account belongs to: what they sign and submit is in "
                     "their name. Only an IT administrator may have none.")
        who.setWordWrap(True)
        form.addRow(who)
        #: a shared database: the person signs in with the hospital directory's login (no first password)
        self.directory = QLineEdit()
        self.directory.setObjectName("directory")
        self.directory.setPlaceholderText("empty: a first password below")
        if shared:
            form.addRow("&Hospital account", self.directory)
            directory = QLabel("A shared database whose IT lets the hospital directory vouch for people (Kerberos, "
                               "LDAP): their directory login; they then sign in with no password of this app's.")
            directory.setWordWrap(True)
            form.addRow(directory)
        self.password = NewPasswordFields(form, "&First password")
        note = QLabel("They must change it when they first sign in. Give it to them in person.")
        note.setWordWrap(True)
        form.addRow(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.remember_state()

    def guarded_widgets(self) -> dict[str, QWidget]:
        return {"name": self.name, "full_name": self.full_name, "role": self.role, "staff": self.staff,
                "directory": self.directory, "password": self.password.first, "again": self.password.second}


    def reject(self) -> None:
        """Esc or Cancel asks first when something was typed."""
        if self.may_close():
            super().reject()


class UsersPanel(QGroupBox):
    """The user list with Add, Change role, Disable/Enable, Unlock, Reset password (administrators),
    and Change my password (everyone)."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__("Users", parent)
        self.db = db
        self.rows: list[users.UserRow] = []
        self.form_hook = None  # tests fill UserDialog through this instead of exec()
        self.admin = may(db, Permission.USERS)
        intro = QLabel(
            "Everyone signs in with their own name and password; what they may do follows their role. "
            "Administrators add users here." if self.admin else
            "Only an administrator may manage users. You can change your own password.")
        intro.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setMinimumHeight(150)
        self.role = QComboBox()
        for role in ROLES:
            self.role.addItem(ROLE_NAMES[role].capitalize(), role)
        self.add_button = QPushButton("&Add a user…")
        self.role_button = QPushButton("Set &role")
        self.disable_button = QPushButton("D&isable")
        self.enable_button = QPushButton("E&nable")
        self.unlock_button = QPushButton("Un&lock")
        self.reset_button = QPushButton("Reset pass&word…")
        self.own_button = QPushButton("Change &my password…")
        self.link_button = QPushButton("Link to a person…")
        self.link_button.setToolTip("The person in Staff & roles this account belongs to")
        self.issue_button = QPushButton("Issue certificate…")
        self.issue_button.setToolTip("After comparing the code the person's own window shows (Settings → Users)")
        self.rekey_button = QPushButton("Change the database key…")
        self.rekey_button.setToolTip("After removing someone: a copy of the old key file opens the database no more")
        self.mine = QLabel()
        self.mine.setWordWrap(True)
        self.mine.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bar = QHBoxLayout()  # two rows: one would not fit a 1280×720 screen at 150 %
        for widget in (self.add_button, self.role, self.role_button):
            bar.addWidget(widget)
        bar.addStretch(1)
        more = QHBoxLayout()
        for widget in (self.disable_button, self.enable_button, self.unlock_button, self.reset_button):
            more.addWidget(widget)
        more.addStretch(1)
        keys = QHBoxLayout()
        for widget in (self.link_button, self.issue_button, self.rekey_button):
            keys.addWidget(widget)
        keys.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table)
        layout.addLayout(bar)
        layout.addLayout(more)
        layout.addLayout(keys)
        layout.addWidget(self.mine)
        layout.addWidget(self.own_button, 0, Qt.AlignmentFlag.AlignLeft)
        for widget in (self.table, self.add_button, self.role, self.role_button, self.disable_button,
                       self.enable_button, self.unlock_button, self.reset_button, self.link_button, self.issue_button,
                       self.rekey_button):
            widget.setVisible(self.admin)
        self.rekey_button.setVisible(self.admin and db.path is not None)
        self.link_button.clicked.connect(self.link)
        self.issue_button.clicked.connect(self.issue)
        self.rekey_button.clicked.connect(self.ask_rekey)
        self.add_button.clicked.connect(self.add)
        self.role_button.clicked.connect(self.set_role)
        self.disable_button.clicked.connect(lambda: self._act(users.disable_user, "disabled"))
        self.enable_button.clicked.connect(self.enable)
        self.unlock_button.clicked.connect(lambda: self._act(users.unlock_user, "unlocked"))
        self.reset_button.clicked.connect(self.reset)
        self.own_button.clicked.connect(lambda: ChangePasswordDialog(self.db, parent=self).exec())
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.refresh()

    def refresh(self) -> None:
        state, detail = users.my_certificate(self.db)
        self.mine.setText({"issued": f"Your certificate is issued by the facility (fingerprint {detail}): what you "
                                     "sign is vouched for.",
                           "waiting": f"Your certificate waits for an administrator. Read them this code so they can "
                                      f"issue it: {detail}",
                           "none": "You have no keys of your own yet (your next sign-in makes them)."}[state])
        if not self.admin:
            return
        from app.services.facility import facility_zone

        self.rows = users.list_users(self.db)
        zone = facility_zone(self.db)
        self.table.setRowCount(len(self.rows))
        for r, user in enumerate(self.rows):
            person = f"{user.staff_name} ({user.staff_id})" if user.staff_id else ""
            for c, text in enumerate((user.name, user.full_name or "", user.role_name.capitalize(), person,
                                      CERTIFICATE_WORDS[user.certificate], user.status,
                                      _local(user.last_sign_in_at, zone))):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self._selection_changed()

    def selected(self) -> users.UserRow | None:
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) and self.table.selectedItems() else None

    def _selection_changed(self) -> None:
        chosen = self.selected()
        for button in (self.role_button, self.disable_button, self.enable_button, self.unlock_button,
                       self.reset_button, self.link_button, self.issue_button):
            button.setEnabled(chosen is not None)
        self.issue_button.setEnabled(chosen is not None and chosen.certificate == "waiting")
        if chosen is not None:
            self.role.setCurrentIndex(ROLES.index(chosen.role))
            self.disable_button.setEnabled(not chosen.disabled)
            self.enable_button.setEnabled(chosen.disabled)
            self.unlock_button.setEnabled(chosen.locked_until is not None)

    def _run(self, action, done: str) -> bool:  # type: ignore[no-untyped-def]
        try:
            action()
        except (ValueError, PermissionError) as exc:
            QMessageBox.warning(self, "Not changed", str(exc)[0].upper() + str(exc)[1:] + ".")
            return False
        self.refresh()
        if done:
            QMessageBox.information(self, "Users", done)
        return True

    def _act(self, action, what: str) -> None:  # type: ignore[no-untyped-def]
        chosen = self.selected()
        if chosen is not None:
            self._run(lambda: action(self.db, chosen.name), f"{chosen.name} is {what}.")

    def _form(self, dialog: QDialog) -> bool:
        if self.form_hook is not None:
            return self.form_hook(dialog)
        return bool(dialog.exec())

    def people(self) -> list[tuple[str, str]]:
        from app.services.staff import list_staff

        return [(p.staff_id, p.name) for p in list_staff(self.db)]

    def add(self) -> None:
        dialog = UserDialog(self, people=self.people(), shared=self.db.is_server)
        while self._form(dialog):
            login = dialog.directory.text().strip()
            if login:  # the directory's login: no first password
                if dialog.staff.currentData() is None and dialog.role.currentData() != "admin":
                    QMessageBox.warning(self, "Choose the person", "Choose the person in Staff & roles this account "
                                        "belongs to (only an IT administrator may have none).")
                    continue
                name = dialog.name.text()
                if self._run(lambda: users.add_directory_user(  # noqa: B023
                        self.db, name, dialog.role.currentData(), login,  # noqa: B023
                        full_name=dialog.full_name.text(), staff_id=dialog.staff.currentData()),  # noqa: B023
                        f"{name.strip().lower()} signs in with the hospital account {login}."):
                    return
                continue
            try:
                name = dialog.name.text()
                password = dialog.password.value(name.strip().lower())
            except PasswordRejected as exc:
                QMessageBox.warning(self, "Check the password", str(exc)[0].upper() + str(exc)[1:] + ".")
                continue
            if dialog.staff.currentData() is None and dialog.role.currentData() != "admin":
                QMessageBox.warning(self, "Choose the person", "Choose the person in Staff & roles this account "
                                    "belongs to (only an IT administrator may have none).")
                continue
            if self._run(lambda: users.add_user(self.db, name, dialog.role.currentData(), password,  # noqa: B023
                                                full_name=dialog.full_name.text(),  # noqa: B023
                                                staff_id=dialog.staff.currentData()),  # noqa: B023
                         f"{name.strip().lower()} can now sign in with the first password you gave them."):
                return

    def set_role(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            role = self.role.currentData()
            self._run(lambda: users.set_role(self.db, chosen.name, role), f"{chosen.name} is now {ROLE_NAMES[role]}.")

    def enable(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        outcome: list[bool] = []
        if self._run(lambda: outcome.append(users.enable_user(self.db, chosen.name)), "") and outcome[0]:
            QMessageBox.information(self, "Users", f"{chosen.name} is enabled. Give them a first password now "
                                                   "(their old one was removed when the account was disabled).")
            self.reset(chosen.name)

    def reset(self, name: str | None = None) -> None:
        chosen = name or (self.selected().name if self.selected() else None)
        if chosen is None:
            return
        dialog = FirstPasswordDialog(chosen, self)
        while self._form(dialog):
            try:
                password = dialog.password.value(chosen)
            except PasswordRejected as exc:
                QMessageBox.warning(self, "Check the password", str(exc)[0].upper() + str(exc)[1:] + ".")
                continue
            if self._run(lambda: users.reset_password(self.db, chosen, password),  # noqa: B023
                         f"{chosen} must change the new password at their next sign-in."):
                return

    # -- the person an account belongs to, certificates, the database key ---------------------

    def link(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        chosen = self.selected()
        if chosen is None:
            return
        people = self.people()
        labels = ["(nobody: an IT administrator)", *(f"{name} ({sid})" for sid, name in people)]
        current = next((i + 1 for i, (sid, _) in enumerate(people) if sid == chosen.staff_id), 0)
        label, ok = QInputDialog.getItem(self, "Link to a person", f"The person {chosen.name} is:", labels, current, False)
        if not ok:
            return
        staff_id = None if labels.index(label) == 0 else people[labels.index(label) - 1][0]
        self._run(lambda: users.set_staff(self.db, chosen.name, staff_id),
                  f"{chosen.name} is linked to {label}; their certificate names that person.")

    def issue(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        chosen = self.selected()
        if chosen is None or chosen.certificate != "waiting":
            return
        code, ok = QInputDialog.getText(self, "Issue certificate",
                                        f"The code {chosen.name}'s own window shows (Settings → Users), read to you "
                                        "by them in person or on the phone:")
        if ok and code.strip():
            self._run(lambda: users.issue_waiting(self.db, chosen.name, code),
                      f"{chosen.name}'s certificate is issued: what they sign is vouched for by the facility.")

    #: the window re-keys (it must let go of its database): set by Settings
    rekey_hook = None

    def ask_rekey(self) -> None:
        from app.security.rekey import plan_rekey

        try:
            plan = plan_rekey(self.db)
        except (ValueError, PermissionError) as exc:
            QMessageBox.warning(self, "Not changed", str(exc))
            return
        lose = (f"\n\n{', '.join(plan.lose)} have no certificate yet and will need a new first password."
                if plan.lose else "")
        answer = QMessageBox.question(
            self, "Change the database key",
            f"The database ({plan.size_bytes / 1e6:.1f} MB) is written again under a new key: about "
            f"{plan.estimate_seconds:.0f} seconds, with every other window and command closed. A copy of the old key "
            f"file, or a removed person's password, opens it no more; backups taken before keep opening with the "
            f"passwords of then. You get a new recovery key to write down, and sign in again.{lose}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Yes and self.rekey_hook is not None:
            self.rekey_hook()
