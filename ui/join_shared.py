"""The address of the facility's shared database, typed in words: the Welcome screen's "Join the
facility's shared database" and the server-away dialog's "Change the address".

The form asks for the server, the database, an optional port and server account, and how the
connection is protected (a choice in words; ``app.storage.server_address`` makes the address and
applies the rule every connection obeys: another computer only over TLS unless explicitly not).
A whole address can be pasted instead. "Test connection" runs in the background and answers in
plain words (``app.storage.server_probe.probe``).

Joining then signs in as an existing user of the shared database and remembers the address in
the data folder's settings (``ui.settings_file``): a workstation that had no database yet loses
nothing by it. Changing the address of a database that did not answer only hands the new address
back; ``ui.server_away`` remembers it once an administrator has signed in there.
"""

from __future__ import annotations

import enum

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.storage.errors import DatabaseError
from app.storage.server_address import (
    DEFAULT_DATABASE,
    AddressProblem,
    Encryption,
    ServerAddress,
    check_address,
)
from app.storage.server_probe import DatabaseState, probe, probe_or_trouble
from app.storage.server_trouble import ServerUnreachable, is_local_host, where
from ui.sign_in import fit_to_text
from ui.workers import run_in_background

OK_STYLE = "color: #1b5e20;"
PROBLEM_STYLE = "color: #b22222;"


class Purpose(enum.Enum):
    JOIN = "join"  # the Welcome screen: sign in there and remember it
    CHANGE = "change"  # the server did not answer: hand a new address back


class SharedAddressForm(QWidget):
    """Server, database, port, server account, encryption and CA file, or a whole address."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = QLineEdit()
        self.host.setObjectName("host")
        self.host.setPlaceholderText("e.g. db.hospital.org")
        self.database = QLineEdit(DEFAULT_DATABASE)
        self.database.setObjectName("database")
        self.port = QLineEdit()
        self.port.setObjectName("port")
        self.port.setPlaceholderText("5432 (leave empty unless IT gave another)")
        self.account = QLineEdit()
        self.account.setObjectName("account")
        self.account.setPlaceholderText("leave empty: each person signs in with their own login")
        self.encryption = QComboBox()
        self.encryption.setObjectName("encryption")
        for choice in Encryption:
            self.encryption.addItem(choice.words, choice)
        self.ca_file = QLineEdit()
        self.ca_file.setObjectName("ca_file")
        self.ca_file.setPlaceholderText("optional: the hospital's certificate file (.pem), if IT gave one")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._choose_ca)
        ca_row = QHBoxLayout()
        ca_row.setContentsMargins(0, 0, 0, 0)
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(browse)
        self.rule = QLabel()
        self.rule.setWordWrap(True)
        self.full = QLineEdit()
        self.full.setObjectName("full_address")
        self.full.setPlaceholderText("postgresql+psycopg://db.hospital.org/mroqc?sslmode=verify-full")
        self.full.setAccessibleName("The whole address, instead of the parts above")
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("&Server", self.host)
        form.addRow("&Database", self.database)
        form.addRow("P&ort", self.port)
        form.addRow("Server &account", self.account)
        form.addRow("&Connection", self.encryption)
        ca_label = QLabel("Certi&ficate")
        ca_label.setBuddy(self.ca_file)
        form.addRow(ca_label, ca_row)
        form.addRow("", self.rule)
        form.addRow("…or the &whole address", self.full)
        self._parts = (self.host, self.database, self.port, self.account, self.encryption, self.ca_file, browse)
        self.encryption.currentIndexChanged.connect(self._explain)
        self.host.textChanged.connect(self._explain)
        self.full.textChanged.connect(self._explain)
        self._explain()

    def _choose_ca(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "The hospital's certificate", "",
                                              "Certificates (*.pem *.crt *.cer);;All files (*)")
        if name:
            self.ca_file.setText(name)

    def chosen(self) -> Encryption:
        return self.encryption.currentData()

    def _explain(self) -> None:
        """Say what the encryption choice means for this server, as it is chosen."""
        whole = bool(self.full.text().strip())
        for widget in self._parts:
            widget.setEnabled(not whole)
        self.ca_file.setEnabled(not whole and self.chosen() is Encryption.VERIFIED)
        host = self.host.text().strip()
        if whole:
            text = "The whole address is used as typed (without any password: that stays in the pgpass file)."
        elif self.chosen() is Encryption.NONE and host and not is_local_host(host):
            text = ("⚠ Patient data will cross the network unencrypted. Choose this only on a private network "
                    "(or an SSH tunnel) whose risk the facility accepts.")
        elif self.chosen() is Encryption.VERIFIED:
            text = ("The connection is encrypted and the server proves who it is with its certificate, checked "
                    "against the hospital's certificate file (or the one kept in ~/.postgresql/root.crt).")
        elif self.chosen() is Encryption.ENCRYPTED:
            text = "The connection is encrypted, but another computer pretending to be the server would not be noticed."
        else:
            text = "On this computer the connection never leaves it."
        self.rule.setText(text)
        top = self.window()
        if isinstance(top, QDialog):
            fit_to_text(top)

    def url(self) -> str:
        """The address, or ``AddressProblem`` saying what to correct."""
        whole = self.full.text().strip()
        if whole:
            return check_address(whole)
        port_text = self.port.text().strip()
        if port_text and not port_text.isdigit():
            raise AddressProblem("The port is a number, e.g. 5432 (leave it empty unless IT gave another).")
        address = ServerAddress(host=self.host.text(), database=self.database.text(),
                                port=int(port_text) if port_text else None, account=self.account.text(),
                                encryption=self.chosen(), ca_file=self.ca_file.text())
        return check_address(address.url())

    def set_url(self, url: str) -> None:
        """Fill the form from an address (the parts when they say all of it, else the whole address)."""
        parts = ServerAddress.from_url(url)
        if parts is None:
            self.full.setText(where(url).address)
            return
        self.full.clear()
        self.host.setText(parts.host)
        self.database.setText(parts.database)
        self.port.setText(str(parts.port) if parts.port else "")
        self.account.setText(parts.account or "")
        self.encryption.setCurrentIndex(max(self.encryption.findData(parts.encryption), 0))
        self.ca_file.setText(parts.ca_file or "")


class SharedDatabaseDialog(QDialog):
    """JOIN: the address, a test, then signing in as a user there (``db`` and ``url`` once
    accepted, the address remembered). CHANGE: the address only (``url`` once accepted)."""

    def __init__(self, purpose: Purpose = Purpose.JOIN, url: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from app.storage.database import Database

        self.purpose = purpose
        self.url: str | None = None
        self.db: Database | None = None
        self.state: DatabaseState | None = None
        joining = purpose is Purpose.JOIN
        self.setWindowTitle("Join the facility's shared database" if joining else "Change the shared database's address")
        intro = QLabel(
            "<p>When the facility's workstations share one database on a server, whoever runs it (IT) or the "
            "facility's administrator gives you its address. You then sign in with your user name and password "
            "there; nothing is kept on this computer but the address.</p>" if joining else
            "<p>The address is used for this start. This computer remembers it once an administrator has signed "
            "in there; until then the old address is tried at the next start.</p>")
        intro.setWordWrap(True)
        self.form = SharedAddressForm(self)
        if url:
            self.form.set_url(url)
        self.result_label = QLabel()
        self.result_label.setObjectName("test_result")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.test_button = QPushButton("&Test connection")
        self.test_button.clicked.connect(self.test_connection)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.go_button = QPushButton("Sign &in…" if joining else "&Use this address")
        self.go_button.setDefault(True)
        buttons.addButton(self.go_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.go_button.clicked.connect(self.go)
        buttons.rejected.connect(self.reject)
        testing = QHBoxLayout()  # the test and what it found, together above the dialog's own buttons
        testing.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignTop)
        testing.addWidget(self.result_label, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.form)
        layout.addLayout(testing)
        layout.addWidget(buttons)
        self.setMinimumWidth(640)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # wrapped words never clipped

    def _say(self, text: str, ok: bool) -> None:
        self.result_label.setStyleSheet(OK_STYLE if ok else PROBLEM_STYLE)
        self.result_label.setText(text)
        fit_to_text(self)  # taller for a longer answer: wrapped words are never squeezed

    def _address(self) -> str | None:
        try:
            return self.form.url()
        except AddressProblem as exc:
            self._say(str(exc), ok=False)
            return None

    def test_connection(self) -> None:
        """Connect in the background and say, in plain words, what answered."""
        url = self._address()
        if url is None:
            return
        self.test_button.setEnabled(False)
        self._say(f"Connecting to {where(url).server}…", ok=True)
        run_in_background(lambda: probe_or_trouble(url), lambda state: self._tested(url, state), self._test_failed,
                          owner=self)

    def _tested(self, url: str, state: DatabaseState | ServerUnreachable) -> None:
        if isinstance(state, ServerUnreachable):
            self._test_failed(state)
            return
        self.test_button.setEnabled(True)
        self.state = state
        self._say(state.words(where(url)), ok=state.can_sign_in)

    def _test_failed(self, exc: Exception) -> None:
        self.test_button.setEnabled(True)
        self.state = None
        if isinstance(exc, ServerUnreachable):
            self._say(f"{exc.reason[0].upper()}{exc.reason[1:]}. {exc.advice}", ok=False)
        else:
            self._say(str(exc) if isinstance(exc, DatabaseError) else
                      f"The test could not be run ({type(exc).__name__}).", ok=False)

    def go(self) -> None:
        url = self._address()
        if url is None:
            return
        if self.purpose is Purpose.CHANGE:
            self.url = url
            self.accept()
            return
        from ui.settings_file import remember_shared_url
        from ui.sign_in import SignInCancelled, ask_sign_in, busy

        try:
            with busy():  # a look first: an empty or foreign database is never migrated by joining it
                state = probe(url)
            if not state.can_sign_in:
                self._say(state.words(where(url)), ok=False)
                return
            db = ask_sign_in(self, url, where(url).address)
        except SignInCancelled:
            return
        except ServerUnreachable as exc:
            self._say(f"{exc.reason[0].upper()}{exc.reason[1:]}. {exc.advice}", ok=False)
            return
        except DatabaseError as exc:  # not this app's database, or a newer version's
            self._say(str(exc), ok=False)
            return
        remember_shared_url(url)  # a workstation joining: from now on it opens this one
        self.url, self.db = url, db
        self.accept()
