"""Signing in: the only way a person opens a facility database.

SQLite: the password unwraps the database key from the user's slot in the key file
(``app.security.keyfile``); the file then opens with SQLCipher. A server database (PostgreSQL)
keeps an Argon2id hash per user in ``users`` (its encryption at rest is the server's). Either
way the result is a ``Database`` whose ``actor`` is the signed-in user, and the sign-in is
audited.

Failures say the same for an unknown user and a wrong password (and take as long); five of them
in fifteen minutes lock the name for fifteen minutes (``resources/security.toml``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import delete, func, insert, select, update

from app.security import lockout
from app.security.keyfile import KeyFile, editing, key_file_for, user_slot
from app.security.passwords import (
    KEY_BYTES,
    check_new_password,
    hash_password,
    new_recovery_key,
    normal_recovery_key,
    verify_password,
)
from app.security.policy import security_policy
from app.security.roles import ROLES, Actor
from app.storage import audit
from app.storage.builds import (
    building_name,
    finish_interrupted_build,
    publish,
    remove_abandoned_builds,
)
from app.storage.database import (
    Database,
    check_sqlite_file,
    identify_plain,
    is_plain_sqlite,
    open_database,
    sqlite_path,
)
from app.storage.errors import DatabaseError, PlaintextDatabase
from app.storage.journal import crash_point, journals
from app.storage.locks import OpenLock, hold_open, lock_file_for
from app.storage.models import RecoveryKey, SignInFailure, User

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
RECOVERY_NAME = "(recovery key)"
WRONG = "sign-in failed: the user name or password is not right"


class SignInFailed(PermissionError):
    """Nobody was signed in; the message starts with ``sign-in failed:`` and never says whether
    the user exists."""


class AccountLocked(SignInFailed):
    def __init__(self, until: dt.datetime) -> None:
        self.until = until
        local = until.replace(tzinfo=dt.UTC).astimezone()
        super().__init__(f"sign-in failed: too many failed attempts; this account is locked until "
                         f"{local:%H:%M} ({local:%Y-%m-%d %Z}), or until an administrator unlocks it")


class NeedsAdministrator(DatabaseError):
    """The database has no user yet (an earlier version's): create its administrator first."""


def normal_name(name: str) -> str:
    return (name or "").strip().lower()


def check_user_name(name: str) -> str:
    """A user name as stored: lower case letters, digits and ``. _ @ -``, 1–64 characters."""
    cleaned = normal_name(name)
    if not NAME_PATTERN.match(cleaned):
        raise ValueError("a user name is 1–64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit")
    return cleaned


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


# ---- opening with a password ------------------------------------------------------------


def sign_in(url: str, name: str, password: str, *, at: dt.datetime | None = None) -> Database:
    """Open the database at ``url`` as ``name``. Raises ``SignInFailed`` (or ``AccountLocked``),
    ``PlaintextDatabase`` / ``NeedsAdministrator`` for a database that has no user yet, or
    ``DatabaseError`` for a file that cannot be used."""
    at = at or now_utc()
    name = normal_name(name)
    path = sqlite_path(url)
    if path is not None:
        return _sign_in_sqlite(url, path, name, password, at, recovery=False)
    return _sign_in_server(url, name, password, at, recovery=False)


def sign_in_with_recovery_key(url: str, recovery_key: str, *, at: dt.datetime | None = None) -> Database:
    """Open the database with its recovery key, with an administrator's rights (to reset passwords)."""
    at = at or now_utc()
    path = sqlite_path(url)
    if path is not None:
        return _sign_in_sqlite(url, path, RECOVERY_NAME, recovery_key, at, recovery=True)
    return _sign_in_server(url, RECOVERY_NAME, recovery_key, at, recovery=True)


def check_openable(path: Path, *, settle: bool = True) -> None:
    """Refuse, reading only, a file that is no database of this app's (missing, empty, a folder,
    another program's, damaged, newer), and one from an earlier version, which needs its
    administrator first (``PlaintextDatabase``). ``settle``: first finish what a killed restore,
    backup or encryption left (``hold_for_sign_in``), so its half-done state is never judged."""
    if settle:
        lock = hold_for_sign_in(path)
        if lock is not None:
            lock.release()
    check_sqlite_file(path, must_exist=True, encrypted=True)
    if is_plain_sqlite(path):
        identify_plain(path)
        raise PlaintextDatabase(f"{path} was written by an earlier version of MROQC Facility Desk: create its "
                                "administrator first (--admin NAME); the file is then encrypted.")
    if not key_file_for(path).exists() and not finish_interrupted_build(path):
        raise DatabaseError(f"{path} is not an MROQC Facility Desk database, or its key file {key_file_for(path).name} "
                            "is missing (restore a backup); it was left untouched.")


def hold_for_sign_in(path: Path) -> OpenLock | None:
    """Hold the file open before anything reads it: whatever a killed restore, backup or encryption
    left is settled first (a database is never read half restored). Nothing is created beside a
    file that is not this app's database (another program's, a typo's): it is refused by the
    read-only checks of ``check_openable`` instead."""
    ours = journals(path) or lock_file_for(path).exists() or key_file_for(path).exists()
    if not ours and path.is_file() and is_plain_sqlite(path):
        identify_plain(path)  # an earlier version's file is ours; another program's is refused here, read-only
        ours = True
    return hold_open(path) if ours else None


def _sign_in_sqlite(url: str, path: Path, name: str, secret: str, at: dt.datetime, *, recovery: bool) -> Database:
    lock = hold_for_sign_in(path)
    try:
        db = _unlock_sqlite(url, path, name, secret, at, recovery=recovery, lock=lock)
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    if lock is not None:
        lock.set_user(db.actor.name if db.actor else None)
    return db


def _try_slot(keys_path: Path, name: str, secret: str, at: dt.datetime, *, recovery: bool) -> bytes:
    """The database key ``secret`` unwraps from ``name``'s slot, with a lockout that parallel guesses
    cannot outrun: under the key file's lock the name is refused if locked, and this attempt is
    counted as a failure *before* the password is tried (Argon2id, outside the lock); a wrong one
    then leaves its note for the audit log. So twenty guesses at once get exactly as many tries as
    the policy allows. Raises ``SignInFailed`` / ``AccountLocked``."""
    policy = security_policy()
    with editing(keys_path) as keys:
        until = lockout.locked_until(keys.failures.get(name, []), at, policy)
        if until is not None:
            raise AccountLocked(until)
        keys.add_failure(name, at, lockout.recent(keys.failures.get(name, []), at, policy))
    key = keys.unwrap_recovery(secret) if recovery else keys.unwrap(user_slot(name), secret)
    if key is not None:
        return key
    with editing(keys_path) as keys:
        keys.note(at, _failure_note(name, known=recovery or user_slot(name) in keys.slots))
        failures = list(keys.failures.get(name, []))
    until = lockout.locked_until(failures, at, policy)
    raise AccountLocked(until) if until is not None else SignInFailed(WRONG)


def _settle_failures(keys_path: Path, name: str) -> list[tuple[dt.datetime, str]]:
    """After a right password: forget the name's failures; the notes kept for the audit log."""
    with editing(keys_path) as keys:
        keys.failures.pop(name, None)
        return keys.take_notes()


def _unlock_sqlite(url: str, path: Path, name: str, secret: str, at: dt.datetime, *, recovery: bool,
                   lock: OpenLock | None) -> Database:
    check_openable(path, settle=False)  # settled when the hold was taken
    keys_path = key_file_for(path)
    key = _try_slot(keys_path, name, secret, at, recovery=recovery)
    keys = KeyFile.load(keys_path)
    db = open_database(url, key=key, before_migration=_keep_before_migration(keys, key), lock=lock)
    try:
        actor = _actor_for(db, name, recovery)
    except BaseException:
        db.lock = None  # the caller releases the hold it took
        db.dispose()
        raise
    notes = _settle_failures(keys_path, name)
    db.actor = actor
    _record_sign_in(db, actor, at, notes)
    remove_orphan_slots(db)
    return db


def remove_orphan_slots(db: Database) -> list[str]:
    """Key slots of no active user — a ``users add`` killed after its slot was written and before
    its user was saved, a ``users disable`` killed between its two steps — are removed (audited):
    no slot that opens the database outlives the user it was made for."""
    if db.path is None or not db.encrypted:
        return []
    keys_path = key_file_for(db.path)
    with db.reader() as session:
        active = {n for n, in session.execute(select(User.name).where(User.disabled.is_(False)))}
    if all(slot[len("user:"):] in active for slot in KeyFile.load(keys_path).slots if slot.startswith("user:")):
        return []  # the everyday case: nothing to change, the key file is not rewritten
    with editing(keys_path) as keys:
        orphans = [slot for slot in keys.slots if slot.startswith("user:") and slot[len("user:"):] not in active]
        for slot in orphans:
            keys.remove(slot)
    if orphans:
        with db.transaction(None) as session:
            for slot in orphans:
                audit.note(session, f"removed the key slot of {slot[len('user:'):]}, who is no active user "
                           "(an interrupted change of users)", table="users", key=slot[len("user:"):])
    return [slot[len("user:"):] for slot in orphans]


def _sign_in_server(url: str, name: str, secret: str, at: dt.datetime, *, recovery: bool) -> Database:
    db = open_database(url)
    try:
        policy = security_policy()
        with db.reader() as session:
            if session.scalar(select(func.count()).select_from(User)) == 0:
                raise NeedsAdministrator("This database has no users yet: create its administrator first (--admin NAME).")
            failures = list(session.scalars(select(SignInFailure.at).where(SignInFailure.name == name)))
            user = None if recovery else session.scalars(select(User).where(User.name == name)).first()
            stored = (session.scalars(select(RecoveryKey.key_hash).order_by(RecoveryKey.id.desc())).first()
                      if recovery else (user.password_hash if user is not None and not user.disabled else None))
        until = lockout.locked_until(failures, at, policy)
        if until is not None:
            raise AccountLocked(until)
        if not verify_password(stored, normal_recovery_key(secret) if recovery else secret):
            with db.transaction(None) as session:
                session.execute(delete(SignInFailure).where(SignInFailure.name == name,
                                                            SignInFailure.at < at - dt.timedelta(days=1)))
                session.execute(insert(SignInFailure).values(name=name, at=at))
                audit.note(session, _failure_note(name, known=recovery or user is not None), table="users",
                           user=audit.NOT_SIGNED_IN)
            with db.reader() as session:
                failures = list(session.scalars(select(SignInFailure.at).where(SignInFailure.name == name)))
            until = lockout.locked_until(failures, at, policy)
            if until is not None:
                raise AccountLocked(until)
            raise SignInFailed(WRONG)
        actor = _actor_for(db, name, recovery)
        with db.transaction(None) as session:
            session.execute(delete(SignInFailure).where(SignInFailure.name == name))
    except BaseException:
        db.dispose()
        raise
    db.actor = actor
    _record_sign_in(db, actor, at, [])
    return db


def _failure_note(name: str, *, known: bool) -> str:
    """The audit log's words for a failed attempt, written under ``audit.NOT_SIGNED_IN``: nobody
    signed in, whoever's window it was typed at. A name that is no user may be a password typed
    in the wrong box: it is "an unknown name", never what was typed."""
    tried = "the recovery key" if name == RECOVERY_NAME else name if known else "an unknown name"
    return f"failed sign-in: not signed in, tried {tried} at workstation {socket.gethostname()}"


def _actor_for(db: Database, name: str, recovery: bool) -> Actor:
    if recovery:
        return Actor(name=RECOVERY_NAME, role="admin")
    with db.reader() as session:
        user = session.scalars(select(User).where(User.name == name)).first()
    if user is None:
        raise SignInFailed(WRONG)
    if user.disabled:
        raise SignInFailed("sign-in failed: this account is disabled; an administrator can enable it")
    return Actor(name=user.name, role=user.role, must_change_password=user.must_change_password)


def _record_sign_in(db: Database, actor: Actor, at: dt.datetime, notes: list[tuple[dt.datetime, str]]) -> None:
    with db.transaction(None) as session:
        for when, summary in notes:  # failed attempts kept in the key file until the file was open
            session.info["at"] = when
            audit.note(session, summary, table="users", user=audit.NOT_SIGNED_IN)
        session.info["at"] = at
        audit.note(session, "signed in with the recovery key" if actor.name == RECOVERY_NAME else "signed in",
                   table="users", key=actor.name)
        if actor.name != RECOVERY_NAME:
            session.execute(update(User).where(User.name == actor.name).values(last_sign_in_at=at))


def _keep_before_migration(keys: KeyFile, key: bytes) -> Callable[[Path, str], None]:
    def keep(path: Path, head: str) -> None:
        from app.storage.backup import write_backup_file

        write_backup_file(path, key, keys, path.with_name(f"{path.stem}.before-{head}.backup"))

    return keep


# ---- creating a database and its first administrator --------------------------------------


def _new_user(session, name: str, role: str, password: str | None, at: dt.datetime, *,  # type: ignore[no-untyped-def]
              must_change: bool, full_name: str | None = None, server: bool) -> None:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of: {', '.join(ROLES)}")
    session.add(User(name=name, full_name=full_name, role=role, disabled=False, must_change_password=must_change,
                     password_hash=hash_password(password) if server and password else None,
                     created_at=at, password_changed_at=at))


def create_database(url: str, admin: str, password: str, *, build: Callable[[Database], None] | None = None,
                    at: dt.datetime | None = None) -> tuple[Database, str]:
    """A new, migrated database whose first user is the administrator ``admin``; returns it (signed
    in as the administrator) and its recovery key, to be shown once.

    ``build(db)`` fills it (the facility, or the demo) before it becomes visible: a SQLite file is
    built under a temporary name and renamed into place only once complete, so an interrupted
    ``init`` or ``demo`` never leaves a file behind.
    """
    at = at or now_utc()
    admin = check_user_name(admin)
    check_new_password(password, name=admin)
    recovery_key = new_recovery_key()
    path = sqlite_path(url)
    if path is None:
        return _create_server(url, admin, password, recovery_key, build, at), recovery_key
    return _create_sqlite(path, admin, password, recovery_key, build, at), recovery_key


def _create_sqlite(path: Path, admin: str, password: str, recovery_key: str,
                   build: Callable[[Database], None] | None, at: dt.datetime) -> Database:
    if path.exists():
        raise DatabaseError(f"{path} already exists; choose a new file name.")
    if not path.parent.is_dir():
        raise DatabaseError(f"The folder {path.parent} does not exist.")
    key = os.urandom(KEY_BYTES)
    remove_abandoned_builds(path)
    building = building_name(path)
    keys = KeyFile.new(key_file_for(path))
    keys.wrap(user_slot(admin), password, key)
    keys.wrap_recovery(recovery_key, key)
    try:
        db = open_database(f"sqlite:///{building}", create=True, key=key, hold=False)
        db.actor = Actor(admin, "admin")  # the administrator creates the database (and is "who" for it)
        try:
            with db.transaction(None) as session:
                _new_user(session, admin, "admin", password, at, must_change=False, server=False)
                audit.note(session, f"database created; {admin} is its administrator", table="users", key=admin)
            if build is not None:
                build(db)
        finally:
            db.dispose()
        keys.path = key_file_for(building)
        keys.save()
        crash_point("init:built")
        publish(building, path)
        crash_point("init:published")
        os.replace(keys.path, key_file_for(path))
        keys.path = key_file_for(path)
    finally:
        for leftover in (building, key_file_for(building),
                         *(building.with_name(building.name + s) for s in ("-wal", "-shm", "-journal"))):
            leftover.unlink(missing_ok=True)
    db = open_database(f"sqlite:///{path}", key=key)
    db.actor = Actor(admin, "admin")
    if db.lock is not None:
        db.lock.set_user(admin)
    return db


def _create_server(url: str, admin: str, password: str, recovery_key: str,
                   build: Callable[[Database], None] | None, at: dt.datetime) -> Database:
    db = open_database(url, create=True)
    db.actor = Actor(admin, "admin")
    try:
        with db.reader() as session:
            if session.scalar(select(func.count()).select_from(User)):
                raise DatabaseError("That database already has users; sign in instead.")
        with db.transaction(None) as session:
            _new_user(session, admin, "admin", password, at, must_change=False, server=True)
            session.add(RecoveryKey(key_hash=hash_password(normal_recovery_key(recovery_key)), created_at=at))
            audit.note(session, f"administrator {admin} created", table="users", key=admin)
        if build is not None:
            build(db)
    except BaseException:
        db.dispose()
        raise
    return db


def needs_administrator(url: str) -> bool:
    """Whether the database exists but has no user yet (an earlier version's file or server database)."""
    path = sqlite_path(url)
    if path is not None:
        lock = hold_for_sign_in(path)  # an encryption killed half way is finished first
        if lock is not None:
            lock.release()
        return path.is_file() and path.stat().st_size > 0 and is_plain_sqlite(path)
    db = open_database(url)
    try:
        with db.reader() as session:
            return session.scalar(select(func.count()).select_from(User)) == 0
    finally:
        db.dispose()


def upgrade_database(url: str, admin: str, password: str, *, at: dt.datetime | None = None) -> tuple[Database, str]:
    """Give an earlier version's database its administrator; a SQLite file is then encrypted in
    place (``app.storage.encryption``), leaving no unencrypted copy. Returns the database, signed
    in as the administrator, and the recovery key to show once."""
    at = at or now_utc()
    admin = check_user_name(admin)
    check_new_password(password, name=admin)
    recovery_key = new_recovery_key()
    path = sqlite_path(url)
    if path is None:
        if not needs_administrator(url):
            raise DatabaseError("That database already has users; sign in instead.")
        return _create_server(url, admin, password, recovery_key, None, at), recovery_key
    from app.storage.encryption import encrypt_earlier_version

    key = os.urandom(KEY_BYTES)
    keys = KeyFile.new(key_file_for(path))
    keys.wrap(user_slot(admin), password, key)
    keys.wrap_recovery(recovery_key, key)

    def first_user(db: Database) -> None:
        db.actor = Actor(admin, "admin")
        with db.transaction(None) as session:
            _new_user(session, admin, "admin", password, at, must_change=False, server=False)
            audit.note(session, f"upgraded from an earlier version and encrypted; {admin} is its administrator",
                       table="users", key=admin)

    encrypt_earlier_version(path, key, keys, first_user)
    db = open_database(f"sqlite:///{path}", key=key)
    db.actor = Actor(admin, "admin")
    if db.lock is not None:
        db.lock.set_user(admin)
    _record_sign_in(db, db.actor, at, [])
    return db, recovery_key


# ---- checking a password on an open database (lock screen, switching user) -------------------


def password_is_right(db: Database, name: str, password: str) -> bool:
    """Whether ``password`` is ``name``'s on the open ``db``, with no bookkeeping: for work that
    needs the password itself (``copy`` carries it to the server) after a sign-in that counted."""
    name = normal_name(name)
    if db.encrypted and db.path is not None:
        return KeyFile.load(key_file_for(db.path)).unwrap(user_slot(name), password) == db.key
    with db.reader() as session:
        user = session.scalars(select(User).where(User.name == name)).first()
        return user is not None and not user.disabled and verify_password(user.password_hash, password)


def check_credentials(db: Database, name: str, password: str, *, at: dt.datetime | None = None) -> Actor:
    """The user ``name`` of the already open ``db`` proved by ``password``, with the same lockout
    and audit as a sign-in: the lock screen unlocks, or another user takes over the window.
    Raises ``SignInFailed`` (``AccountLocked``); returns the user's ``Actor``."""
    at = at or now_utc()
    name = normal_name(name)
    policy = security_policy()
    if db.encrypted and db.path is not None:
        keys_path = key_file_for(db.path)
        key = _try_slot(keys_path, name, password, at, recovery=False)
        if key != db.key:  # a slot of another database's key: as wrong as a wrong password
            with editing(keys_path) as keys:
                keys.note(at, _failure_note(name, known=True))
            raise SignInFailed(WRONG)
        notes = _settle_failures(keys_path, name)
    else:
        with db.reader() as session:
            failures = list(session.scalars(select(SignInFailure.at).where(SignInFailure.name == name)))
            user = session.scalars(select(User).where(User.name == name)).first()
            stored = user.password_hash if user is not None and not user.disabled else None
        until = lockout.locked_until(failures, at, policy)
        if until is not None:
            raise AccountLocked(until)
        if not verify_password(stored, password):
            with db.transaction(None) as session:
                session.execute(insert(SignInFailure).values(name=name, at=at))
                audit.note(session, _failure_note(name, known=user is not None), table="users",
                           user=audit.NOT_SIGNED_IN)
            with db.reader() as session:
                failures = list(session.scalars(select(SignInFailure.at).where(SignInFailure.name == name)))
            until = lockout.locked_until(failures, at, policy)
            raise AccountLocked(until) if until is not None else SignInFailed(WRONG)
        notes = []
        with db.transaction(None) as session:
            session.execute(delete(SignInFailure).where(SignInFailure.name == name))
    return _take_over(db, name, at, notes)


def _take_over(db: Database, name: str, at: dt.datetime, notes: list[tuple[dt.datetime, str]]) -> Actor:
    actor = _actor_for(db, name, recovery=False)
    previous = db.actor
    db.actor = actor
    if db.lock is not None:
        db.lock.set_user(actor.name)
    with db.transaction(None) as session:
        for when, summary in notes:
            session.info["at"] = when
            audit.note(session, summary, table="users", user=audit.NOT_SIGNED_IN)
        session.info["at"] = at
        summary = "unlocked the window" if previous is not None and previous.name == actor.name else (
            f"signed in at the window of {previous.name}" if previous is not None else "signed in")
        audit.note(session, summary, table="users", key=actor.name)
        session.execute(update(User).where(User.name == actor.name).values(last_sign_in_at=at))
    return actor


def record_lock(db: Database, reason: str) -> None:
    """The audit entry of the window locking (idle, or by the user)."""
    with db.transaction(None) as session:
        audit.note(session, f"window locked ({reason})", table="users", key=db.actor.name if db.actor else "-")
