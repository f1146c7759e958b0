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

from app.security.passwords import PasswordRejected
from app.security.roles import ROLE_NAMES, ROLES, Permission
from app.services import users
from app.storage.database import Database
from ui.form_guard import DiscardGuard
from ui.permissions import may
from ui.sign_in import ChangePasswordDialog, NewPasswordFields

COLUMNS = ("User name", "Full name", "Role", "Status", "Last signed in")


def _local(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.replace(tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z")


class UserDialog(DiscardGuard, QDialog):
    """Add a user, or set a first password: the administrator types it twice; the user must change
    it at first sign-in."""

    def __init__(self, parent: QWidget | None, name: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reset password" if name else "Add a user")
        form = QFormLayout(self)
        self.name = QLineEdit(name or "")
        self.name.setObjectName("name")
        self.name.setReadOnly(name is not None)
        self.full_name = QLineEdit()
        self.role = QComboBox()
        for role in ROLES:
            self.role.addItem(ROLE_NAMES[role].capitalize(), role)
        self.role.setCurrentIndex(ROLES.index("coordinator"))
        form.addRow("&User name", self.name)
        if name is None:
            form.addRow("&Full name", self.full_name)
            form.addRow("&Role", self.role)
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
        return {"name": self.name, "full_name": self.full_name, "role": self.role,
                "password": self.password.first, "again": self.password.second}

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
        bar = QHBoxLayout()  # two rows: one would not fit a 1280×720 screen at 150 %
        for widget in (self.add_button, self.role, self.role_button):
            bar.addWidget(widget)
        bar.addStretch(1)
        more = QHBoxLayout()
        for widget in (self.disable_button, self.enable_button, self.unlock_button, self.reset_button):
            more.addWidget(widget)
        more.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table)
        layout.addLayout(bar)
        layout.addLayout(more)
        layout.addWidget(self.own_button, 0, Qt.AlignmentFlag.AlignLeft)
        for widget in (self.table, self.add_button, self.role, self.role_button, self.disable_button,
                       self.enable_button, self.unlock_button, self.reset_button):
            widget.setVisible(self.admin)
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
        if not self.admin:
            return
        self.rows = users.list_users(self.db)
        self.table.setRowCount(len(self.rows))
        for r, user in enumerate(self.rows):
            for c, text in enumerate((user.name, user.full_name or "", user.role_name.capitalize(), user.status,
                                      _local(user.last_sign_in_at))):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self._selection_changed()

    def selected(self) -> users.UserRow | None:
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) and self.table.selectedItems() else None

    def _selection_changed(self) -> None:
        chosen = self.selected()
        for button in (self.role_button, self.disable_button, self.enable_button, self.unlock_button,
                       self.reset_button):
            button.setEnabled(chosen is not None)
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

    def _form(self, dialog: UserDialog) -> bool:
        if self.form_hook is not None:
            return self.form_hook(dialog)
        return bool(dialog.exec())

    def add(self) -> None:
        dialog = UserDialog(self)
        while self._form(dialog):
            try:
                name = dialog.name.text()
                password = dialog.password.value(name.strip().lower())
            except PasswordRejected as exc:
                QMessageBox.warning(self, "Check the password", str(exc)[0].upper() + str(exc)[1:] + ".")
                continue
            if self._run(lambda: users.add_user(self.db, name, dialog.role.currentData(), password,  # noqa: B023
                                                full_name=dialog.full_name.text()),  # noqa: B023
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
        dialog = UserDialog(self, chosen)
        while self._form(dialog):
            try:
                password = dialog.password.value(chosen)
            except PasswordRejected as exc:
                QMessageBox.warning(self, "Check the password", str(exc)[0].upper() + str(exc)[1:] + ".")
                continue
            if self._run(lambda: users.reset_password(self.db, chosen, password),  # noqa: B023
                         f"{chosen} must change the new password at their next sign-in."):
                return
