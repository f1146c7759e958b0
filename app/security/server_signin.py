"""Signing in to a shared database (PostgreSQL) as oneself: the server checks who it is.

Each person has their own login role (``app.storage.server_names``): the sign-in dialog's name and
password become the connection's, and the server checks the password (``scram-sha-256``) before
anything is read. The workstation keeps no password of its own, and the address needs none.

1. **The door counts first.** The door login (``PREFIX_signin``, whose password is public) runs
   ``mroqc_sign_in_attempt(name)``: under a lock per name, a locked name is refused, and this
   attempt is counted as failed *before* the password is tried, so twenty guesses at once get
   exactly as many tries as the policy allows. A refused password is noted by the door as nobody's
   ("(not signed in)"); at the limit the login's password is made invalid until the lock ends.
2. **The person's own connection.** Refused: a wrong password (said as always, the same for an
   unknown name). Let in: their keys are unwrapped with the same password (the server keeps them
   wrapped, ``app.security.server_keys``; a wrong password does not open them even on a server that
   asks none), then ``mroqc_signed_in`` forgets their failures, writes "signed in" and says their
   role *as the server's groups say* (an edited ``users.role`` gives nothing).
3. **Directory sign-in** (Kerberos, LDAP, a client certificate in ``pg_hba.conf``): the address's
   own login, or this computer's account name, is the person; no second password is asked (LDAP:
   the directory's password is the connection's). Such a person has no keys to sign with: the
   server's log vouches for what they do (docs/security.md).

An address naming the owner role (IT's, for upgrades) is opened with it first, so a new version's
schema, grants and trigger are in place before the person's connection uses them.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from app.domain.permissions import Actor
from app.security import server_keys
from app.security.passwords import normal_recovery_key
from app.security.people import server_person
from app.security.signin_errors import WRONG, AccountLocked, NeedsAdministrator, SignInFailed
from app.storage.database import Database, create_db_engine, open_database
from app.storage.errors import DatabaseError
from app.storage.server_names import DOOR_PASSWORD, ServerNames
from app.storage.server_roles import is_owner
from app.storage.server_trouble import ServerUnreachable, TroubleKind, classify, server_trouble

log = logging.getLogger(__name__)
RECOVERY_NAME = "(recovery key)"


class NotUpgraded(DatabaseError):
    """A shared database whose server side this version needs is not there yet (an earlier
    version's, with one shared login): its owner opens it once (docs/shared-database.md)."""


def login_url(url: str, role: str | None) -> str:
    """``url`` as ``role`` (None: the address's own login, or this computer's account), no password."""
    parsed = make_url(url)._replace(password=None)
    if role is not None:
        parsed = parsed._replace(username=role)
    return parsed.render_as_string(hide_password=False)


def _refused(exc: BaseException) -> bool:
    return classify(exc) is TroubleKind.LOGIN_REFUSED


def _say(exc: SQLAlchemyError, url: str) -> Exception:
    """A connection that failed for another reason than a refused login, in plain words."""
    kind = classify(exc)
    if kind is not TroubleKind.OTHER:
        return server_trouble(exc, url)
    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    return DatabaseError(f"Cannot open the shared database: {reason}")


def workstation() -> str:
    try:
        return socket.gethostname()[:100]
    except OSError:  # pragma: no cover
        return "?"


# ---- the owner's address: the schema and the server's side brought up to this version ---------------


def settle_schema(url: str) -> bool:
    """Open ``url`` with its own login if that is the owner's (or a superuser's): migrations and
    the server's grants, trigger and functions are brought up to this version. Returns whether it
    was the owner's; any other login (a person's, an earlier version's shared one) is left alone."""
    if not make_url(url).username:
        return False
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            owner = is_owner(connection)
    except SQLAlchemyError as exc:
        if _refused(exc):
            return False
        raise _say(exc, url) from None
    finally:
        engine.dispose()
    if owner:
        open_database(url, create=True).dispose()
    return owner


def _needs_administrator(url: str) -> None:
    """``NeedsAdministrator`` for a database with no user yet (an earlier version's), read with the owner's login."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            users = connection.execute(sa.text("SELECT count(*) FROM users")).scalar()
    finally:
        engine.dispose()
    if not users:
        raise NeedsAdministrator("This database has no users yet: create its administrator first (--admin NAME).")


# ---- the door ------------------------------------------------------------------------------------


def _door(url: str, names: ServerNames) -> Engine:
    return create_db_engine(login_url(url, names.signin), password=DOOR_PASSWORD)


def _call_door(url: str, names: ServerNames, statement: str, params: dict) -> dt.datetime | None:
    engine = _door(url, names)
    try:
        with engine.begin() as connection:
            return connection.execute(sa.text(statement), params).scalar()
    except DBAPIError as exc:
        if _refused(exc) or "mroqc_sign_in" in str(exc.orig or ""):
            raise NotUpgraded("This shared database has no sign-in for people of its own yet (an earlier version's, "
                              "shared by one server login): its owner opens it once with this version, and an "
                              "administrator gives everyone their server login ('mroqc-desk server-logins', "
                              "docs/shared-database.md, section 6).") from None
        raise _say(exc, url) from None
    finally:
        engine.dispose()


def attempt(url: str, names: ServerNames, name: str) -> None:
    """Count this attempt before its password is tried; ``AccountLocked`` when the name is locked."""
    until = _call_door(url, names, "SELECT mroqc_sign_in_attempt(:n)", {"n": name})
    if until is not None:
        raise AccountLocked(until)


def failed(url: str, names: ServerNames, name: str) -> None:
    """The password was refused: noted (as nobody's), and ``AccountLocked`` or ``SignInFailed`` raised."""
    until = _call_door(url, names, "SELECT mroqc_sign_in_failed(:n, :w)", {"n": name, "w": workstation()})
    raise AccountLocked(until) if until is not None else SignInFailed(WRONG)


# ---- a person's connection -------------------------------------------------------------------------


def _connect(url: str, role: str | None, password: str | None) -> Database | None:
    """``role``'s connection, or None when the server refused the login (a wrong password)."""
    try:
        return open_database(login_url(url, role), password=password, as_person=True)
    except ServerUnreachable as exc:
        if exc.kind is TroubleKind.LOGIN_REFUSED:
            return None
        raise


def _who(db: Database) -> tuple[str, str, bool]:
    """Who this connection's login is here, in which role the server's groups give them, and
    whether they must change their password; ``SignInFailed`` for no active user of the facility."""
    with db.engine.connect() as connection:
        role = connection.execute(sa.text("SELECT mroqc_my_role()")).scalar()
        if connection.execute(sa.text("SELECT session_user = :r"), {"r": ServerNames.of_url(db.url).recovery}).scalar():
            return RECOVERY_NAME, "admin", False
        row = connection.execute(sa.text("SELECT name, disabled, must_change_password FROM users "
                                         "WHERE server_role = session_user")).first()
    if row is None or row.disabled or role is None:
        raise SignInFailed("sign-in failed: this account is disabled, or is no user of this facility; an "
                           "administrator can enable it")
    return str(row.name), str(role), bool(row.must_change_password)


def _signed_in(db: Database) -> None:
    """The sign-in written (``mroqc_signed_in``: failures forgotten, "signed in"), signed by the
    person when their keys are open."""
    with db.transaction(None) as session:
        session.execute(sa.text("SELECT user_name FROM mroqc_signed_in(:w)"), {"w": workstation()}).all()


def _own_keys(db: Database) -> tuple[str | None, str | None]:
    """The signed-in person's own wrapped keys and what was sealed to them (row-level security)."""
    with db.engine.connect() as connection:
        row = connection.execute(sa.text("SELECT slot, sealed FROM person_keys")).first()
    return (row.slot, row.sealed) if row is not None else (None, None)


def sign_in_server(url: str, name: str, secret: str, *, recovery: bool, at: dt.datetime) -> Database:
    """``name`` (or the recovery key) signed in to the shared database at ``url`` with their own login."""
    if settle_schema(url):
        _needs_administrator(url)
    names = ServerNames.of_url(url)
    who = RECOVERY_NAME if recovery else name
    if not recovery and not name:
        raise SignInFailed(WRONG)
    attempt(url, names, who)
    role_name = names.recovery if recovery else names.login(name)
    password = normal_recovery_key(secret) if recovery else secret
    db = _connect(url, role_name, password)
    if db is None:
        failed(url, names, who)
    assert db is not None
    try:
        stored, sealed = (None, None) if recovery else _own_keys(db)
        if stored is not None and server_keys.unwrap(stored, name, password) is None:
            db.dispose()  # a server that let a wrong password in (trust): the keys still say no
            failed(url, names, who)
        user, role, must_change = _who(db)
        db.actor = Actor(user, role, must_change_password=must_change)
        if not recovery:
            person = server_person(db, user, role, password, stored, sealed, at)
            db.person, db.signer = person, person.sign_transaction
        _signed_in(db)
    except BaseException:
        db.dispose()
        raise
    return db


def sign_in_directory(url: str, password: str | None = None) -> Database:
    """The person the address's own login (or this computer's account) is, as the server says:
    Kerberos, a certificate or LDAP in ``pg_hba.conf`` checked who it is (``password``: LDAP's,
    the directory's own). No app password, no keys: what they do is vouched for by the server's log."""
    settle_schema(url) if make_url(url).username else None
    db = _connect(url, None, password)
    if db is None:
        raise SignInFailed("sign-in failed: the server did not accept this computer's account (directory sign-in); "
                           "sign in with your user name and password instead, or ask IT")
    try:
        with db.engine.connect() as connection:
            if is_owner(connection):
                raise SignInFailed("sign-in failed: the address names the owner role (IT's, for upgrades), not a "
                                   "person of the facility")
        user, role, _must_change = _who(db)
        db.actor = Actor(user, role, must_change_password=False)
        _signed_in(db)
    except BaseException:
        db.dispose()
        raise
    return db


def password_works(url: str, name: str, password: str) -> bool:
    """Whether the server lets ``name`` in with ``password`` (and it opens their keys), without any
    bookkeeping: for work that needs the password itself after a sign-in that counted."""
    names = ServerNames.of_url(url)
    db = _connect(url, names.login(name), password)
    if db is None:
        return False
    try:
        stored, _sealed = _own_keys(db)
        return stored is None or server_keys.unwrap(stored, name, password) is not None
    finally:
        db.dispose()


def check_server_credentials(db: Database, name: str, password: str, at: dt.datetime) -> str:
    """The lock screen and switching user on a shared database: ``name``'s password checked by the
    server, counted by the door as at sign-in. Another person taking over the window gets the window's
    connections as their own login (the previous person's are closed). Returns the name signed in."""
    names = ServerNames.of_url(db.url)
    base = login_url(db.url, None)
    attempt(base, names, name)
    theirs = _connect(base, names.login(name), password)
    if theirs is None:
        failed(base, names, name)
    assert theirs is not None
    try:
        stored, sealed = _own_keys(theirs)
        if stored is not None and server_keys.unwrap(stored, name, password) is None:
            theirs.dispose()
            failed(base, names, name)
        user, role, must_change = _who(theirs)
        with theirs.engine.begin() as connection:  # failures forgotten (their sign-in's own note follows)
            connection.execute(sa.text("SELECT mroqc_sign_in_forgotten()"))
    except BaseException:
        theirs.dispose()
        raise
    if db.actor is not None and db.actor.name == user:
        theirs.dispose()  # the same person unlocking: the window keeps its connections
        return user
    # another person takes over: the window's connections become theirs
    old = db.engine
    db.engine, db._sessions, db.url, db.password = theirs.engine, theirs._sessions, theirs.url, password
    old.dispose()
    db.actor = Actor(user, role, must_change_password=must_change)
    db.signer = None
    person = server_person(db, user, role, password, stored, sealed, at)
    db.person, db.signer = person, person.sign_transaction
    return user


def scram_verifier(db_or_connection, role: str, password: str) -> str:  # type: ignore[no-untyped-def]
    """The SCRAM-SHA-256 verifier of ``password`` for ``role``, made on this computer by the driver
    (``PQencryptPasswordConn``): the server is given the verifier, never the password."""
    connection = db_or_connection
    if isinstance(connection, Database):
        raw = connection.engine.raw_connection()
        try:
            return scram_verifier(raw.driver_connection, role, password)
        finally:
            raw.close()
    if isinstance(connection, sa.engine.Connection):
        connection = connection.connection.driver_connection
    elif hasattr(connection, "connection") and hasattr(connection, "get_bind"):  # a Session
        connection = connection.connection().connection.driver_connection
    pgconn = connection.pgconn
    return pgconn.encrypt_password(password.encode("utf-8"), role.encode("utf-8"), b"scram-sha-256").decode("ascii")
