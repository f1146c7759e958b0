"""What a shared (PostgreSQL) database holds, asked without changing anything: the "Test
connection" of the Welcome screen and the retry of the window's server-away dialog (``probe``).
It connects as ``app.storage.database`` does; a server that cannot be reached is said as
``app.storage.server_trouble`` types it.
"""

from __future__ import annotations

import enum
import getpass

from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from app.storage.database import OUR_TABLES, create_db_engine
from app.storage.errors import DatabaseError
from app.storage.models import User
from app.storage.schema_version import KNOWN_REVISIONS
from app.storage.server_names import DOOR_PASSWORD, ServerNames
from app.storage.server_trouble import (
    ServerUnreachable,
    TroubleKind,
    Where,
    classify,
    server_trouble,
)


class DatabaseState(enum.Enum):
    """What a reachable shared database holds (``probe``)."""

    READY = "ready"  # this app's database, with users: sign in
    NO_USERS = "no users"  # this app's schema but nobody in it yet (an earlier version's)
    EMPTY = "empty"  # no tables: the facility has not been moved there yet
    FOREIGN = "foreign"  # tables of another program
    NEWER = "newer"  # written by a newer version of this app

    def words(self, w: Where) -> str:
        """The Welcome screen's "Test connection" result."""
        return {
            DatabaseState.READY: f"Connected: {w.database} on {w.server} is the facility's shared database. "
                                 "Sign in with your user name there.",
            DatabaseState.NO_USERS: f"Connected: {w.database} on {w.server} has no users yet; its first "
                                    "administrator is created when it is first opened.",
            DatabaseState.EMPTY: f"Connected, but {w.database} on {w.server} is empty: the facility has not been "
                                 "moved there yet. Its administrator moves it from the workstation that has it "
                                 "(Settings → Data → Move to a shared database).",
            DatabaseState.FOREIGN: f"Connected, but {w.database} on {w.server} belongs to another program: check "
                                   "the database name.",
            DatabaseState.NEWER: f"Connected, but {w.database} on {w.server} was written by a newer version of "
                                 "MROQC Facility Desk: install the newer version on this computer.",
        }[self]

    @property
    def can_sign_in(self) -> bool:
        return self in (DatabaseState.READY, DatabaseState.NO_USERS)


def probe_or_trouble(url: str) -> DatabaseState | ServerUnreachable:
    """``probe``, with a server that cannot be reached as the answer rather than an exception:
    for retrying, where it is the expected outcome and no failure to log."""
    try:
        return probe(url)
    except ServerUnreachable as trouble:
        return trouble


def probe(url: str) -> DatabaseState:
    """Connect to the shared database at ``url`` and say what it holds, changing nothing; raises
    ``ServerUnreachable`` when it cannot be reached, ``DatabaseError`` for an address that is not
    a server database's."""
    try:
        if make_url(url).get_backend_name() != "postgresql":
            raise DatabaseError("That is not a shared database's address; it looks like "
                                "postgresql+psycopg://account@server/database.")
    except ArgumentError:
        raise DatabaseError("That is not a database address; a shared database's looks like "
                            "postgresql+psycopg://account@server/database.") from None
    door = not make_url(url).username  # a workstation's address names no login: the sign-in door looks
    engine = _door_engine(url) if door else create_db_engine(url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            if not tables:
                return DatabaseState.EMPTY
            if not OUR_TABLES & tables or "alembic_version" not in tables:
                return DatabaseState.FOREIGN
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            if revision not in KNOWN_REVISIONS:
                return DatabaseState.NEWER
            if "users" not in tables:
                return DatabaseState.NO_USERS
            if door:
                users = connection.execute(text("SELECT mroqc_has_users()")).scalar()
            else:
                users = connection.execute(select(func.count()).select_from(User.__table__)).scalar()
            return DatabaseState.READY if users else DatabaseState.NO_USERS
    except SQLAlchemyError as exc:
        if door and classify(exc) is TroubleKind.LOGIN_REFUSED:  # an earlier version's, without a door
            engine.dispose()
            return probe(make_url(url).set(username=_account()).render_as_string(hide_password=False))
        raise server_trouble(exc, url) from None
    finally:
        engine.dispose()


def _door_engine(url: str):  # type: ignore[no-untyped-def]
    door = make_url(url)._replace(username=ServerNames.of_url(url).signin, password=None)
    return create_db_engine(door.render_as_string(hide_password=False), password=DOOR_PASSWORD)


def _account() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (a service account)
        return "postgres"
