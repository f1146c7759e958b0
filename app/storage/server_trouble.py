"""Why a shared (PostgreSQL) database cannot be opened, as a type the window and the command line
can read, never as the driver's text.

libpq reports a failed connection as one English line (``connection to server at "…", port 5432
failed: Connection refused``, ``FATAL:  database "mroqc" does not exist``) with no SQLSTATE, so
``classify`` sorts those lines into the few kinds a coordinator can act on: the server did not
answer, it is starting up or too busy, the database does not exist there, the login was refused,
the encrypted connection could not be set up, the address asks for no encryption where it must,
or something else. ``ServerUnreachable`` carries the kind and names the server and the database
from the address itself (its password left out), so nothing the driver said reaches the screen;
the driver's line goes to the log file for whoever runs the server (libpq never puts a password
in it, and it holds no patient value).

The "Test connection" of the Welcome screen, which connects through ``app.storage.database``, is
``app.storage.server_probe``.
"""

from __future__ import annotations

import enum
import logging
import re
from dataclasses import dataclass

from app.storage.errors import DatabaseError

log = logging.getLogger(__name__)

#: Seconds a workstation waits for a server before saying it did not answer (libpq waits for the
#: operating system's TCP timeout, minutes, without one). An address may set its own.
CONNECT_TIMEOUT_SECONDS = 10
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class TroubleKind(enum.Enum):
    """What went wrong, as far as the person at the workstation needs to know."""

    NO_ANSWER = "no answer"  # refused, timed out, unknown host, no route, socket missing
    NOT_READY = "not ready"  # starting up, shutting down, too many connections
    NO_DATABASE = "no database"  # the server answered; the database name is not there
    LOGIN_REFUSED = "login refused"  # password, role, pg_hba
    TLS = "tls"  # encryption could not be set up (certificate, server without SSL)
    NOT_ENCRYPTED = "not encrypted"  # the address itself asks for no TLS to another computer
    OTHER = "other"


@dataclass(frozen=True)
class Where:
    """The server, database and server account an address names (never its password)."""

    server: str  # "db.hospital.org:5433", "localhost"
    database: str
    account: str  # the server account (PostgreSQL role), "" when the address names none
    address: str  # the whole address without its password


def where(url: str) -> Where:
    """Who to blame, named from the address (it may be malformed: then it says so plainly)."""
    # here, not at the top: ``ServerUnreachable`` is caught by the window's sign-in, whose dialog
    # shows before SQLAlchemy is imported (``app.security.before_sign_in``)
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return Where("the server", "the database", "", url.split("://", 1)[0] + "://…")
    host = parsed.host or str(parsed.query.get("host") or "")
    if not host or host.startswith("/"):
        server = "localhost"  # the local socket
    else:
        server = f"{host}:{parsed.port}" if parsed.port else host
    return Where(server=server, database=parsed.database or "the database", account=parsed.username or "",
                 address=parsed._replace(password=None).render_as_string(hide_password=False))


_PATTERNS: tuple[tuple[TroubleKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in (
        (TroubleKind.NO_DATABASE, r'database "[^"]*" does not exist'),
        (TroubleKind.LOGIN_REFUSED, r"password authentication failed|authentication failed|role \"[^\"]*\" does not "
                                    r"exist|no pg_hba\.conf entry|pg_hba\.conf rejects|no password supplied|"
                                    r"fe_sendauth|permission denied for database|not permitted to log in"),
        (TroubleKind.TLS, r"\bssl\b|certificate|\btls\b|sslmode"),
        (TroubleKind.NOT_READY, r"the database system is (starting up|shutting down|in recovery)|too many (clients|"
                                r"connections)|remaining connection slots|cannot connect now"),
        (TroubleKind.NO_ANSWER, r"connection refused|timeout expired|timed out|could not translate host name|"
                                r"failed to resolve host|name or service not known|nodename nor servname|"
                                r"temporary failure in name resolution|no route to host|network is unreachable|"
                                r"host is down|no such file or directory|server closed the connection "
                                r"unexpectedly|could not connect to server|connection reset|is the server running"),
    ))


def _driver_text(exc: BaseException) -> str:
    """The driver's own message, followed through SQLAlchemy's wrapper and the cause chain."""
    seen: list[str] = []
    current: BaseException | None = exc
    for _ in range(5):
        if current is None:
            break
        orig = getattr(current, "orig", None)
        seen.append(str(orig if isinstance(orig, BaseException) else current))
        current = current.__cause__ or current.__context__
    return "\n".join(seen)


def classify(exc: BaseException) -> TroubleKind:
    """The kind of a failed connection (``OTHER`` when the driver's words are not recognised)."""
    if isinstance(exc, ServerUnreachable):
        return exc.kind
    text = _driver_text(exc)
    for kind, pattern in _PATTERNS:
        if pattern.search(text):
            return kind
    return TroubleKind.OTHER


def is_connection_failure(exc: BaseException) -> bool:
    """Whether ``exc`` says the connection could not be made at all (not a refused statement):
    psycopg starts those lines so, and a connection that never opened cannot have run anything."""
    text = _driver_text(exc).lstrip()
    if text.startswith(("connection failed", "connection is bad", "failed to resolve host",
                        "could not translate host name", "could not connect to server")):
        return True
    return classify(exc) is not TroubleKind.OTHER and "connection to server" in text


class ServerUnreachable(DatabaseError):
    """The shared database could not be opened: ``kind`` says why, ``where`` names the server and
    database from the address (no password). ``str()`` is one sentence for the command line;
    ``reason`` and ``advice`` are the window's two parts of it."""

    def __init__(self, kind: TroubleKind, url: str) -> None:
        self.kind = kind
        self.where = where(url)
        super().__init__(f"Cannot open the shared database: {self.reason}. {self.advice}")

    @property
    def reason(self) -> str:
        """What failed, in plain words, naming the server (and the database where it matters)."""
        w = self.where
        return {
            TroubleKind.NO_ANSWER: f"the server {w.server} did not answer",
            TroubleKind.NOT_READY: f"the server {w.server} is starting up, shutting down or too busy to take "
                                   "another connection",
            TroubleKind.NO_DATABASE: f"the database {w.database} does not exist on {w.server}",
            TroubleKind.LOGIN_REFUSED: f"the server {w.server} refused the login"
                                       + (f" of the server account {w.account}" if w.account else ""),
            TroubleKind.TLS: f"the encrypted connection to {w.server} could not be set up (a TLS or certificate "
                             "problem)",
            TroubleKind.NOT_ENCRYPTED: f"the address does not ask for an encrypted connection, which a server on "
                                       f"another computer ({w.server}) needs",
            TroubleKind.OTHER: f"the connection to {w.server} failed for a reason this app does not recognise",
        }[self.kind]

    @property
    def advice(self) -> str:
        """What to do about it, for the coordinator at the workstation."""
        return {
            TroubleKind.NO_ANSWER: "It may be switched off or restarting, or this computer may be off the "
                                   "hospital's network. Check the network; if it works, ask whoever runs the "
                                   "server (IT).",
            TroubleKind.NOT_READY: "This usually passes within a minute or two: try again shortly.",
            TroubleKind.NO_DATABASE: "Check the database name in the address; if it is right, ask whoever runs the "
                                     "server whether the database was moved or renamed.",
            TroubleKind.LOGIN_REFUSED: "The server account in the address, or its password kept on this computer "
                                       "(pgpass), is not accepted there. Ask whoever runs the server.",
            TroubleKind.TLS: "The server's certificate could not be checked, or the server does not offer "
                             "encryption. Ask whoever runs the server, or check the address's encryption choice.",
            TroubleKind.NOT_ENCRYPTED: "Change the address to ask for an encrypted connection (sslmode=verify-full "
                                       "or sslmode=require), or say explicitly that it need not be encrypted "
                                       "(sslmode=disable) on a private network.",
            TroubleKind.OTHER: "The details are in the log file in the data folder; whoever runs the server can "
                               "tell from them what is wrong.",
        }[self.kind]


def server_trouble(exc: BaseException, url: str) -> ServerUnreachable:
    """``exc`` (a failed connection) as the typed error, its driver text only in the log."""
    if isinstance(exc, ServerUnreachable):
        return exc
    kind = classify(exc)
    first = _driver_text(exc).strip().splitlines()
    log.info("the shared database %s could not be opened (%s): %s", where(url).address, kind.value,
             first[0] if first else type(exc).__name__)
    return ServerUnreachable(kind, url)


def is_local_host(host: str) -> bool:
    return not host or host.startswith("/") or host in LOCAL_HOSTS
