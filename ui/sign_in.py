"""Signing in from the window: the sign-in dialog, the first administrator of an earlier version's
database, the recovery key shown once, and changing a password.

The dialogs call ``app.security.signin`` themselves (a sign-in takes a fraction of a second of
Argon2id, shown with a busy cursor) and keep the wrong-password message as the service words
it, which never says whether the user exists.
"""

from __future__ import annotations

import datetime as dt
import getpass
import logging
from enum import Enum
from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont, QGuiApplication, QPaintEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.security.before_sign_in import needs_administrator, sqlite_file
from app.storage.errors import DatabaseError
from ui.dialog_fit import fit_the_window_of, grows_to_fit
from ui.form_guard import DiscardGuard
from ui.settings_file import settings

if TYPE_CHECKING:
    from app.storage.database import Database

# ``app.security.signin`` (and with it SQLAlchemy and the models: ~0.31 s of the ~0.55 s from
# start to the sign-in dialog on screen, ``python -X importtime``, 2-core development machine) is
# imported where a password is checked, after the dialog shows (``SignInDialog.preload``); so are
# the password policy's modules and Qt's printing (``ui.key_on_paper``), which only the dialogs that
# set a new password or show the recovery key need, and the refusals' and roles' words (~5 ms).
#
# Nor is PySide's ``Qt`` namespace read before the dialog is on screen: its first reading builds
# its ~95 enums at once (~25 ms; 40-50 ms on the 2-core machine under load), as much as the rest
# of the window's own start. The modules the window and this dialog import read it where it is
# used, as ``QtCore.Qt`` (this one, ``ui.date_field``, ``ui.dialog_fit``, ``ui.form_guard``,
# ``ui.server_away``); the dialog places its two links without an alignment flag (``at_left``)
# and gives its button box its buttons apart. ``tests/gui/test_deferred_open.py`` checks it.

LAST_USER_KEY = "sign_in/last_user"
log = logging.getLogger(__name__)


class SignInCancelled(Exception):
    """The person closed the sign-in dialog: the window ends quietly."""


def default_user() -> str:
    remembered = settings().value(LAST_USER_KEY)
    if remembered:
        return str(remembered)
    try:
        return getpass.getuser().lower()
    except Exception:  # no login name
        return ""


def remember_user(name: str) -> None:
    settings().setValue(LAST_USER_KEY, name)


class _Busy:
    """A wait cursor while Argon2id runs (or a server is asked something)."""

    def __enter__(self) -> None:
        QApplication.setOverrideCursor(QtCore.Qt.CursorShape.WaitCursor)

    def __exit__(self, *exc: object) -> None:
        QApplication.restoreOverrideCursor()


busy = _Busy


def fit_to_text(dialog: QDialog) -> None:
    """Make ``dialog`` as tall as its wrapped words need at its width once a text in it changed:
    a window's minimum size does not follow word-wrapped labels, which would be squeezed."""
    layout = dialog.layout()
    if layout is None:
        return
    layout.activate()
    needed = max(layout.totalHeightForWidth(dialog.width()), layout.totalMinimumSize().height())
    if needed != dialog.height():  # taller for more words, and back again for fewer
        dialog.setMinimumHeight(needed)
        dialog.resize(dialog.width(), needed)


def _error_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet("color: #b22222;")
    label.hide()
    return label


def at_left(widget: QWidget) -> QHBoxLayout:
    """``widget`` at the left of a row of its own, as ``Qt.AlignmentFlag.AlignLeft`` placed it
    (without reading the ``Qt`` namespace before the dialog shows: see the note at the top)."""
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(widget)
    row.addStretch(1)
    return row


def password_field() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setMinimumWidth(260)
    return field


class SignInDialog(QDialog):
    """The user name and password (or the recovery key) for ``url``; ``db`` once accepted."""

    def __init__(self, url: str, name: str, user: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.url = url
        self.db: Database | None = None
        self.setWindowTitle("Sign in — MROQC Facility Desk")
        heading = QLabel(f"<h3>Sign in</h3><p>to {name}</p>")
        heading.setWordWrap(True)
        self.user = QLineEdit(user or default_user())
        self.user.setObjectName("user")
        self.password = password_field()
        self.password.setObjectName("password")
        self.recovery = QLineEdit()
        self.recovery.setPlaceholderText("XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX")
        self.recovery.hide()
        self.recovery_label = QLabel("&Recovery key")
        self.recovery_label.setBuddy(self.recovery)
        self.recovery_label.hide()
        self.error = _error_label()
        form = QFormLayout()
        form.addRow("&User name", self.user)
        form.addRow("&Password", self.password)
        form.addRow(self.recovery_label, self.recovery)
        self.use_recovery = QPushButton("Every password lost? Use the recovery key…")
        self.use_recovery.setFlat(True)
        self.use_recovery.clicked.connect(self.toggle_recovery)
        # a shared database whose IT lets the hospital directory vouch for people (Kerberos, LDAP)
        self.use_directory = QPushButton("Sign in with this computer's &hospital account (directory)")
        self.use_directory.setFlat(True)
        self.use_directory.setToolTip("When IT set the shared database up for the hospital directory (Kerberos, or "
                                      "LDAP: type its password above): no password of this app's")
        self.use_directory.clicked.connect(self.try_directory)
        self.use_directory.setVisible(sqlite_file(url) is None)
        # the buttons set apart, not given to the constructor: choosing among its overloads (one takes a
        # ``Qt.Orientation``) had PySide build the ``Qt`` namespace before the dialog showed (see the note)
        buttons = QDialogButtonBox()
        buttons.setStandardButtons(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign in")
        buttons.accepted.connect(self.try_sign_in)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(at_left(self.use_directory))
        layout.addLayout(at_left(self.use_recovery))
        layout.addWidget(buttons)
        grows_to_fit(self)  # the refusal, however long, is read whole
        (self.password if self.user.text() else self.user).setFocus()
        self._preload_asked = False
        #: the modules that check a password are loaded (``preload``)
        self.preloaded = False

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        super().paintEvent(event)
        if not self._preload_asked:
            self._preload_asked = True
            QTimer.singleShot(0, self.preload)  # once this first paint is on screen

    def preload(self) -> None:
        """Import what checking the password needs (``app.security.signin``: SQLAlchemy and the
        models, ~0.3 s) while the person types, not after they press Sign in: the dialog is on
        screen by then, and keys typed meanwhile wait in the queue (none is lost). A window
        opening behind the dialog loads what its first page needs then too (its
        ``load_while_signing_in``, ~0.1 s): measured by ``bench.show_window --dialog --timings``."""
        try:
            import app.security.signin  # noqa: F401
            from app.storage.database import load_ahead

            load_ahead(self.url)
            ahead = getattr(self.parentWidget(), "load_while_signing_in", None)
            if callable(ahead):
                ahead()
        except Exception:  # noqa: BLE001 - only ahead of time: it fails again, and is said, at Sign in
            log.info("loading ahead of the sign-in failed", exc_info=True)
        self.preloaded = True

    def show_recovery(self) -> None:
        for widget in (self.recovery, self.recovery_label):
            widget.show()
        for widget in (self.user, self.password):
            widget.setEnabled(False)
        self.use_recovery.setText("&Back to the user name and password")  # Alt+U is the user name's
        self.error.hide()
        self.recovery.setFocus()

    def hide_recovery(self) -> None:
        """A person who reached the recovery key by mistake (a stray Space on the link) goes back."""
        for widget in (self.recovery, self.recovery_label):
            widget.hide()
        self.recovery.clear()
        for widget in (self.user, self.password):
            widget.setEnabled(True)
        self.use_recovery.setText("Every password lost? Use the recovery key…")
        self.error.hide()
        (self.password if self.user.text() else self.user).setFocus()

    def toggle_recovery(self) -> None:
        (self.hide_recovery if self.recovery.isVisible() else self.show_recovery)()

    def try_sign_in(self) -> None:
        from app.security.signin_errors import WRONG, SignInFailed

        try:
            with _Busy():
                from app.security.signin import sign_in, sign_in_with_recovery_key

                if self.recovery.isVisible():
                    self.db = sign_in_with_recovery_key(self.url, self.recovery.text())
                else:
                    self.db = sign_in(self.url, self.user.text(), self.password.text())
        except SignInFailed as exc:
            said = str(exc).removeprefix("sign-in failed: ").capitalize() + "."
            if self.recovery.isVisible() and str(exc) == WRONG:  # the same refusal, in the words of what was typed
                said = "That recovery key is not right (it is eight groups of four, as shown when the database was made)."
            self.error.setText(said)
            self.error.show()
            self.password.clear()
            (self.recovery if self.recovery.isVisible() else self.password).setFocus()
            return
        if not self.recovery.isVisible():
            remember_user(self.db.actor.name)
        self.accept()


    def try_directory(self) -> None:
        """The server says who this computer's account is (directory sign-in): no app password."""
        from app.security.server_signin import sign_in_directory
        from app.security.signin_errors import SignInFailed

        try:
            with _Busy():
                self.db = sign_in_directory(self.url, self.password.text() or None)
        except SignInFailed as exc:
            self.error.setText(str(exc).removeprefix("sign-in failed: ").capitalize() + ".")
            self.error.show()
            return
        remember_user(self.db.actor.name)
        self.accept()


class NewPasswordFields:
    """A new password typed twice, checked against the policy as it is typed."""

    def __init__(self, form: QFormLayout, label: str = "&Password", replacing: bool = False) -> None:  # noqa: FBT001, FBT002
        from app.domain.security_policy import security_policy
        from app.security.passwords import password_rule

        minimum = security_policy().min_password_length
        self.first = password_field()
        self.first.setObjectName("new_password")
        self.first.setPlaceholderText(f"at least {minimum} characters")
        self.second = password_field()
        self.second.setObjectName("new_password_again")
        self.rule = QLabel(password_rule(replacing))  # "differ from the old one" only where there is one
        self.rule.setObjectName("password_rule")
        self.rule.setWordWrap(True)
        form.addRow(label, self.first)
        form.addRow("Type it &again", self.second)
        form.addRow("", self.rule)  # the rule up front, under the fields it is about
        fit_the_window_of(self.rule)  # never cut off, whichever dialog holds these fields

    def value(self, name: str = "", old: str | None = None) -> str:
        """The new password, or ``PasswordRejected`` saying what is wrong with it."""
        from app.security.passwords import PasswordRejected, check_new_password

        if self.first.text() != self.second.text():
            raise PasswordRejected("the two passwords typed differ")
        check_new_password(self.first.text(), name=name, old=old)
        return self.first.text()


class ShownOnceDialog(QDialog):
    """A secret shown once (the recovery key, first passwords): Copy, and Continue only after the
    person ticks that they kept it; Esc does not skip it."""

    def __init__(self, title: str, text: str, shown: QWidget, copied: str, kept: str,
                 parent: QWidget | None = None, *, stretch: int = 0, paper: str = "") -> None:
        """``paper``: the secret as a printed page (HTML, ``ui.key_on_paper``), offered as Save as
        PDF… and Print… beside Copy; none for a secret that must not be printed."""
        super().__init__(parent)
        self.setWindowTitle(title)
        self.paper = paper
        label = QLabel(text)
        label.setWordWrap(True)
        copy = QPushButton("&Copy")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(copied))
        self.save_pdf = QPushButton("Save as P&DF…")
        from ui.key_on_paper import print_asking, save_pdf_asking

        self.save_pdf.clicked.connect(lambda: save_pdf_asking(self.paper, self))
        self.print_button = QPushButton("&Print…")
        self.print_button.clicked.connect(lambda: print_asking(self.paper, self))
        keep = QHBoxLayout()
        for button in (copy, self.save_pdf, self.print_button):
            keep.addWidget(button)
            button.setVisible(button is copy or bool(paper))
        keep.addStretch(1)
        self.kept = QCheckBox(kept)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Continue")
        self.ok.setEnabled(False)
        self.kept.toggled.connect(self.ok.setEnabled)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(shown, stretch)
        layout.addLayout(keep)
        layout.addWidget(self.kept)
        layout.addWidget(buttons)
        # the title bar's buttons take about 150 px: the title is read whole, never "First passwo…"
        self.setMinimumWidth(max(self.minimumSizeHint().width(), self.fontMetrics().horizontalAdvance(title) + 160))
        grows_to_fit(self)

    def reject(self) -> None:  # Esc does not skip it
        if self.kept.isChecked():
            self.accept()


class RecoveryKeyDialog(ShownOnceDialog):
    """The recovery key, shown once: the person must say they have kept it before going on."""

    def __init__(self, recovery_key: str, parent: QWidget | None = None, *, facility: str = "",
                 made_on: dt.date | None = None) -> None:
        """``facility`` names whose key it is on the printed page (by default the window's facility)."""
        from ui.key_on_paper import facility_named_by, recovery_sheet

        key = QLabel(recovery_key)
        key.setObjectName("recovery_key")
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(font.pointSizeF() * 1.4)
        key.setFont(font)
        key.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        super().__init__("Your recovery key",
                         "<h3>Write down the recovery key</h3><p>It opens this database if every password is "
                         "lost. Keep it on paper, away from this computer (a locked drawer, the facility's "
                         "safe). <b>It is not shown again.</b></p>",
                         key, recovery_key, "I have written the recovery key down and put it somewhere safe",
                         parent, paper=recovery_sheet(recovery_key, facility or facility_named_by(parent),
                                                      made_on or dt.date.today()))
        self.key = key


class PasswordMode(Enum):
    """What a new password typed in ``PasswordDialog`` is for."""

    #: an earlier version's database (or an empty server database) gets its first administrator
    FIRST_ADMINISTRATOR = "first administrator"
    #: the signed-in person changes their own password (the current one first)
    OWN = "own"
    #: an administrator gives someone a first password, which they must change at sign-in
    FIRST_PASSWORD = "first password"


#: Per mode: the new password's caption and the OK button's words (None: OK).
_MODE_WORDS: dict[PasswordMode, tuple[str, str | None]] = {
    PasswordMode.FIRST_ADMINISTRATOR: ("&Password", "Create and encrypt"),
    PasswordMode.OWN: ("&New password", "Change password"),
    PasswordMode.FIRST_PASSWORD: ("&First password", None),
}


class PasswordDialog(DiscardGuard, QDialog):
    """A new password typed twice, checked against the policy: the one dialog behind the first
    administrator, changing one's own password and an administrator's reset (``PasswordMode``).
    ``save()`` does what the mode is for; a refusal is said in the dialog (``say``), or, for a
    reset, by the users panel that asks again."""

    def __init__(self, mode: PasswordMode, heading: str, user: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode = mode
        new_caption, ok_words = _MODE_WORDS[mode]
        form = QFormLayout()
        self.user = QLineEdit(user)
        self.old = password_field()
        if mode is PasswordMode.OWN:
            self.old.setObjectName("old_password")
            form.addRow("&Current password", self.old)
        else:
            self.user.setObjectName("user" if mode is PasswordMode.FIRST_ADMINISTRATOR else "name")
            self.user.setReadOnly(mode is PasswordMode.FIRST_PASSWORD)
            form.addRow("&User name", self.user)
        self.password = NewPasswordFields(form, new_caption, replacing=mode is PasswordMode.OWN)
        self.error = _error_label()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        if ok_words:
            buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_words)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        if mode is PasswordMode.FIRST_PASSWORD:  # a form of the users panel: no heading, a note, Esc asks
            note = QLabel("They must change it when they first sign in. Give it to them in person.")
            note.setWordWrap(True)
            form.addRow(note)
            form.addRow(buttons)
            self.setLayout(form)
        else:
            text = QLabel(heading)
            text.setWordWrap(True)
            layout = QVBoxLayout(self)
            layout.addWidget(text)
            layout.addLayout(form)
            layout.addWidget(self.error)
            layout.addWidget(buttons)
        grows_to_fit(self)
        self.remember_state()

    def guarded_widgets(self) -> dict[str, QWidget]:
        """A first password half typed is asked about on Esc; the sign-in's own dialogs close."""
        if self.mode is not PasswordMode.FIRST_PASSWORD:
            return {}
        return {"password": self.password.first, "again": self.password.second}

    def reject(self) -> None:
        if self.may_close():
            super().reject()

    def say(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def save(self) -> None:
        """What the mode is for; the first password is given by the panel once accepted."""
        self.accept()


class AdministratorDialog(PasswordDialog):
    """An earlier version's database (or an empty server database) gets its first administrator;
    a SQLite file is then encrypted. ``db`` and ``recovery_key`` once accepted."""

    def __init__(self, url: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(
            PasswordMode.FIRST_ADMINISTRATOR,
            f"<h3>This database needs its administrator</h3><p>{name} was made by an earlier "
            "version of MROQC Facility Desk, which had no users. Create the first user, an "
            "administrator, who can then add everyone else. The file is then encrypted: only "
            "passwords (or the recovery key) open it, and no unencrypted copy is kept.</p>",
            default_user(), parent)
        self.url = url
        self.db: Database | None = None
        self.recovery_key = ""
        self.setWindowTitle("Create the administrator — MROQC Facility Desk")

    def save(self) -> None:
        self.create()

    def create(self) -> None:
        from app.security.signin import check_user_name, upgrade_database

        try:
            name = check_user_name(self.user.text())
            password = self.password.value(name)
            with _Busy():
                self.db, self.recovery_key = upgrade_database(self.url, name, password)
        except (ValueError, DatabaseError) as exc:
            self.say(str(exc)[0].upper() + str(exc)[1:])
            return
        remember_user(name)
        RecoveryKeyDialog(self.recovery_key, self, facility=facility_of(self.db)).exec()
        self.accept()


class ChangePasswordDialog(PasswordDialog):
    """The signed-in user's own password; ``forced`` when an administrator set the current one."""

    def __init__(self, db: Database, forced: bool = False, parent: QWidget | None = None) -> None:
        from app.services.users import change_own_password

        assert db.actor is not None
        why = ("<p>Your password was set by an administrator. Choose your own before you go on.</p>"
               if forced else "")
        super().__init__(PasswordMode.OWN, f"<h3>Change the password of {db.actor.name}</h3>{why}", parent=parent)
        self._change = change_own_password
        self.db = db
        self.new = self.password
        self.setWindowTitle("Change my password")

    def save(self) -> None:
        self.change()

    def change(self) -> None:
        from app.security.signin_errors import SignInFailed

        assert self.db.actor is not None
        try:
            new = self.new.value(self.db.actor.name, self.old.text())
            with _Busy():
                self._change(self.db, self.old.text(), new)
        except (ValueError, SignInFailed) as exc:
            self.say(str(exc).removeprefix("sign-in failed: ").capitalize() + ".")
            return
        self.accept()


class FirstPasswordDialog(PasswordDialog):
    """An administrator's reset: a first password for ``name``, who must change it at sign-in."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(PasswordMode.FIRST_PASSWORD, "", name, parent)
        self.name = self.user
        self.setWindowTitle("Reset password")


def ask_sign_in(parent: QWidget | None, url: str, name: str, user: str | None = None) -> Database:
    """Sign in to ``url`` through the dialogs (creating the first administrator of an earlier
    version's database first); raises ``SignInCancelled`` when the person closes them."""
    if needs_administrator(url):
        first = AdministratorDialog(url, name, parent)
        if not first.exec() or first.db is None:
            raise SignInCancelled()
        return first.db
    dialog = SignInDialog(url, name, user, parent)
    if not dialog.exec() or dialog.db is None:
        raise SignInCancelled()
    return dialog.db


def facility_of(db: Database) -> str:
    """The facility's name in ``db`` ("" before it has one), for the recovery key's printed page."""
    from app.services.facility import get_facility

    facility = get_facility(db)
    return facility.name if facility is not None else ""


def signed_in_as(db: Database) -> str:
    """"Signed in as dana (coordinator (CDA))" for the status bar."""
    from app.domain.permissions import ROLE_NAMES

    if db.actor is None:
        return ""
    return f"Signed in as {db.actor.name} ({ROLE_NAMES.get(db.actor.role, db.actor.role)})"
