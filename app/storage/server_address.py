"""A shared database's address from what a coordinator can type: the server, the database, an
optional port and server account, and how the connection is encrypted, said in words.

The Welcome screen's "Join the facility's shared database" and the server-away dialog's "Change
the address" build the ``postgresql+psycopg://`` address here, and check a pasted one, with the
rule ``app.storage.database`` applies to every connection: a server on another computer is reached
over TLS unless the address explicitly says it need not be (``sslmode=disable``). The choice is
shown as words, never as ``sslmode`` values. An address never carries a password (it belongs in
the account's pgpass file; the app never stores one).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from app.storage.database import create_db_engine
from app.storage.server_trouble import ServerUnreachable, is_local_host

DRIVER = "postgresql+psycopg"
DEFAULT_DATABASE = "mroqc"
HOST_PATTERN = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.$-]{0,62}$")


class AddressProblem(ValueError):
    """What is wrong with a typed address, in one sentence for the person typing it."""


class Encryption(enum.Enum):
    """How the connection to the server is protected (libpq's ``sslmode``)."""

    VERIFIED = "verify-full"
    ENCRYPTED = "require"
    NONE = "disable"

    @property
    def words(self) -> str:
        return {
            Encryption.VERIFIED: "Encrypted, and the server's certificate checked (recommended)",
            Encryption.ENCRYPTED: "Encrypted, without checking the server's certificate",
            Encryption.NONE: "Not encrypted (this computer, or a private network whose risk you accept)",
        }[self]


@dataclass(frozen=True)
class ServerAddress:
    """The parts of a shared database's address a person types."""

    host: str
    database: str = DEFAULT_DATABASE
    port: int | None = None
    account: str | None = None
    encryption: Encryption = Encryption.VERIFIED
    ca_file: str | None = None  # the hospital's CA certificate, for a checked certificate

    def url(self) -> str:
        """The address, checked; raises ``AddressProblem`` saying what to correct."""
        host = self.host.strip()
        if not host:
            raise AddressProblem("Type the server's name, e.g. db.hospital.org (whoever runs it can tell you).")
        if "://" in host or not HOST_PATTERN.match(host):
            raise AddressProblem("The server is a name like db.hospital.org or a number like 10.0.4.12, without "
                                 "spaces or slashes (a whole address goes in the field for it).")
        database = self.database.strip()
        if not NAME_PATTERN.match(database):
            raise AddressProblem("Type the database's name, e.g. mroqc: letters, digits and _ only.")
        account = (self.account or "").strip() or None
        if account is not None and not NAME_PATTERN.match(account):
            raise AddressProblem("The server account is a name like mroqc_owner: letters, digits and _ only.")
        if self.port is not None and not 1 <= self.port <= 65535:
            raise AddressProblem("The port is a number between 1 and 65535 (5432 unless IT says otherwise).")
        query: dict[str, str] = {"sslmode": self.encryption.value}
        if self.encryption is Encryption.VERIFIED and (self.ca_file or "").strip():
            query["sslrootcert"] = (self.ca_file or "").strip()
        return URL.create(DRIVER, username=account, host=host.strip("[]"), port=self.port, database=database,
                          query=query).render_as_string(hide_password=False)

    @classmethod
    def from_url(cls, url: str) -> ServerAddress | None:
        """The parts of ``url``, or None when it says more than the parts can (a socket, other options)."""
        try:
            parsed = make_url(url)
        except ArgumentError:
            return None
        if parsed.get_backend_name() != "postgresql" or not parsed.host or not parsed.database:
            return None
        if set(parsed.query) - {"sslmode", "sslrootcert"}:
            return None
        mode = str(parsed.query.get("sslmode") or "")
        try:
            encryption = Encryption(mode) if mode else (Encryption.NONE if is_local_host(parsed.host)
                                                        else Encryption.VERIFIED)
        except ValueError:
            return None
        root = parsed.query.get("sslrootcert")
        return cls(host=parsed.host, database=parsed.database, port=parsed.port, account=parsed.username,
                   encryption=encryption, ca_file=str(root) if root else None)


def check_address(url: str) -> str:
    """A whole address as pasted, checked as a shared database's: PostgreSQL, a server and a
    database, no password, encrypted to another computer unless explicitly not. Returns it."""
    text = url.strip()
    try:
        parsed = make_url(text)
    except ArgumentError:
        raise AddressProblem("That is not a database address; a shared database's looks like "
                             "postgresql+psycopg://db.hospital.org/mroqc?sslmode=verify-full.") from None
    if parsed.get_backend_name() != "postgresql":
        raise AddressProblem("A shared database's address starts with postgresql+psycopg://")
    if not parsed.database:
        raise AddressProblem("The address names no database: it ends with /mroqc (the database's name).")
    if parsed.password:
        raise AddressProblem("Leave the password out of the address: it is kept in this computer's pgpass file "
                             "(docs/shared-database.md), never in the app's settings.")

    try:
        create_db_engine(text).dispose()  # the TLS rule every connection obeys; connects to nothing
    except ServerUnreachable as exc:
        raise AddressProblem(f"{exc.reason[0].upper()}{exc.reason[1:]}. {exc.advice}") from None
    return text
