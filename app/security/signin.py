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
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import delete, func, insert, select, update

from app.domain.permissions import ROLES, Actor
from app.domain.security_policy import security_policy
from app.domain.wording import DEFAULT_TIME_ZONE, Zone
from app.meanwhile import Meanwhile
from app.paths import file_url
from app.security import lockout, server_keys
from app.security.before_sign_in import hold_for_sign_in, needs_administrator
from app.security.evidence import check_seen, granted_roles, signed_from
from app.security.keyfile import RECOVERY_SLOT, KeyFile, Unlocked, editing, key_file_for, user_slot
from app.security.passwords import (
    check_new_password,
    hash_password,
    new_recovery_key,
    normal_recovery_key,
    recovery_database_key,
    verify_password,
)
from app.security.people import (
    AUTHORITY,
    SEALING,
    SEEN,
    SIGNING,
    TRUSTED,
    Person,
    active_authority,
    add_authority,
    facility_name,
    issue_certificate,
    key_boxes,
    read_seen,
    unlocked_person,
)
from app.security.pki import (
    PersonKeys,
    load_certificate,
    load_sealing_key,
    load_signing_key,
    new_authority,
    pem,
    private_bytes,
)
from app.security.rekey import adopt_sealed_key, open_sealed_key
from app.security.server_signin import (
    check_server_credentials,
    password_works,
    scram_verifier,
    sign_in_server,
)
from app.security.signin_errors import (  # noqa: F401 (NeedsAdministrator: sign_in raises it; re-exported)
    WRONG,
    AccountLocked,
    NeedsAdministrator,
    SignInFailed,
)
from app.storage import audit, server_roles
from app.storage.backup import write_backup_file
from app.storage.builds import (
    building_name,
    finish_interrupted_build,
    publish,
    remove_abandoned_builds,
)
from app.storage.database import (
    Database,
    check_sqlite_file,
    open_database,
    sqlite_path,
)
from app.storage.encryption import encrypt_earlier_version
from app.storage.errors import DatabaseError, PlaintextDatabase
from app.storage.journal import crash_point
from app.storage.locks import OpenLock
from app.storage.models import Facility, SignInFailure, User
from app.storage.plain_file import identify_plain, is_plain_sqlite
from app.storage.server_names import ServerNames

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
RECOVERY_NAME = "(recovery key)"


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
    return sign_in_server(url, name, password, recovery=False, at=at)


def sign_in_with_recovery_key(url: str, recovery_key: str, *, at: dt.datetime | None = None) -> Database:
    """Open the database with its recovery key, with an administrator's rights (to reset passwords)."""
    at = at or now_utc()
    path = sqlite_path(url)
    if path is not None:
        return _sign_in_sqlite(url, path, RECOVERY_NAME, recovery_key, at, recovery=True)
    return sign_in_server(url, RECOVERY_NAME, recovery_key, recovery=True, at=at)


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


def _try_slot(keys_path: Path, name: str, secret: str, at: dt.datetime, *, recovery: bool) -> Unlocked:
    """What ``secret`` unlocks in ``name``'s slot (the database key, the person's boxes), with a lockout that parallel guesses
    cannot outrun: under the key file's lock the name is refused if locked, and this attempt is
    counted as a failure *before* the password is tried (Argon2id, outside the lock); a wrong one
    then leaves its note for the audit log. So twenty guesses at once get exactly as many tries as
    the policy allows. Raises ``SignInFailed`` / ``AccountLocked``."""
    policy = security_policy()
    with editing(keys_path) as keys:
        until = lockout.locked_until(keys.failures_of(name), at, policy)
        if until is not None:  # refused untried, and still written down: every attempt is in the audit log
            keys.note(at, _failure_note(name, known=recovery or user_slot(name) in keys.slots) +
                      " (refused untried: the account is locked)")
        else:
            keys.add_failure(name, at, lockout.recent(keys.failures_of(name), at, policy))
    if until is not None:
        raise AccountLocked(until)
    unlocked = (keys.unlock(RECOVERY_SLOT, normal_recovery_key(secret)) if recovery
                else keys.unlock(user_slot(name), secret))
    if unlocked is not None:
        return unlocked
    with editing(keys_path) as keys:
        keys.note(at, _failure_note(name, known=recovery or user_slot(name) in keys.slots))
        failures = list(keys.failures_of(name))
    until = lockout.locked_until(failures, at, policy)
    raise AccountLocked(until) if until is not None else SignInFailed(WRONG)


def _settle_failures(keys_path: Path, name: str) -> list[tuple[dt.datetime, str]]:
    """After a right password: forget the name's failures; the notes kept for the audit log."""
    with editing(keys_path) as keys:
        keys.forget_failures(name)
        return keys.take_notes()


def _unlock_sqlite(url: str, path: Path, name: str, secret: str, at: dt.datetime, *, recovery: bool,
                   lock: OpenLock | None) -> Database:
    if recovery and path.is_file() and not key_file_for(path).exists() and not finish_interrupted_build(path):
        return _recover_key_file(url, path, secret, at, lock)
    check_openable(path, settle=False)  # settled when the hold was taken
    keys_path = key_file_for(path)
    unlocked = _try_slot(keys_path, name, secret, at, recovery=recovery)
    _take_new_key(keys_path, unlocked)
    key = unlocked.database_key
    assert key is not None
    keys = KeyFile.load(keys_path)
    db = open_database(url, key=key, before_migration=_keep_before_migration(keys, key), lock=lock)
    try:
        actor = _actor_for(db, name, recovery)
        notes = _settle_failures(keys_path, name)
        db.actor = actor
        if not recovery:
            _adopt_person(db, unlocked, actor, keys_path, at)
            actor = _check_evidence(db, unlocked, actor, at)
        _record_sign_in(db, actor, at, notes)
        remove_orphan_slots(db)
    except BaseException:
        db.lock = None  # the caller releases the hold it took
        db.dispose()
        raise
    return db


def _take_new_key(keys_path: Path, unlocked: Unlocked) -> None:
    """After a re-key (``app.security.rekey``) this person's slot still wraps the old key; the new
    one was sealed to their sealing key: open it, wrap it under their password, use it."""
    if SEALING not in unlocked.boxes:
        return
    new_key = open_sealed_key(keys_path, unlocked.slot, unlocked.boxes[SEALING])
    if new_key is not None:
        adopt_sealed_key(keys_path, unlocked.slot, unlocked.kek, new_key)
        unlocked.database_key = new_key


def _recover_key_file(url: str, path: Path, recovery_key: str, at: dt.datetime, lock: OpenLock | None) -> Database:
    """The key file is lost: a database made since keys came from recovery keys opens with its
    recovery key alone (``recovery_database_key``); a new key file is made holding the recovery
    slot only, so every user needs a new first password (the recovery key's administrator sets
    them). An older database, whose key is random, cannot: it says to restore a backup."""
    key = recovery_database_key(recovery_key)
    try:
        db = open_database(url, key=key, lock=lock)
    except DatabaseError:
        raise SignInFailed(WRONG + ", or the key file is missing and this database's key is not the "
                           "recovery key's (a database made before version 0.2): restore a backup") from None
    keys = KeyFile.new(key_file_for(path))
    keys.wrap_recovery(recovery_key, key)
    keys.save()
    actor = Actor(name=RECOVERY_NAME, role="admin")
    db.actor = actor
    with db.transaction(None) as session:
        audit.note(session, "opened with the recovery key without its key file; a new key file was made, and "
                            "every user needs a new first password", table="users", key=RECOVERY_NAME)
    _record_sign_in(db, actor, at, [])
    return db


class RoleNotGranted(SignInFailed):
    """The account's role in the users table was not given by an administrator's signed entry."""


def _check_evidence(db: Database, unlocked: Unlocked, actor: Actor, at: dt.datetime) -> Actor:
    """At every sign-in, against what this person's own slot keeps: the audit log still holds what
    they saw last (else an alarm, audited and shown), and their role is one an administrator's
    signed entry gave them (an edited ``users.role`` gives nothing; the granted role is used)."""
    person = db.person
    if person is None:
        return actor
    seen = read_seen(unlocked.boxes.get(SEEN))
    trusted = [person.trusted] if getattr(person, "trusted", None) is not None else []
    with db.reader() as session:
        problem = check_seen(session, seen, actor.name)
        granted = granted_roles(session, trusted).get(actor.name, None) if trusted else actor.role
        person.signed_from = (seen or {}).get("signed_from") or signed_from(session)
    if problem:
        raise_alarm(db, problem, at)
    if granted is None:
        raise_alarm(db, f"{actor.name}'s account was not made by an administrator's signed entry: no sign-in", at)
        raise RoleNotGranted("sign-in failed: no administrator gave this account its role (the users table or the "
                             "audit log was changed outside the app); another administrator can set the role again, or "
                             "open the database with the recovery key and restore a backup")
    if granted != actor.role:
        raise_alarm(db, f"{actor.name}'s role in the users table is {actor.role}, but the role an administrator "
                        f"gave is {granted}: signed in as {granted}", at)
        actor = Actor(actor.name, granted, must_change_password=actor.must_change_password)
        db.actor = actor
    return actor


def raise_alarm(db: Database, text: str, at: dt.datetime) -> None:
    """Tell the person signing in (``Database.alarms``; the window shows them, a command prints
    them) and write it in the audit log, signed by them."""
    db.alarms.append(text)
    with db.transaction(None) as session:
        session.info["at"] = at
        audit.note(session, f"integrity alarm: {text}", table="audit_log")


def _adopt_person(db: Database, unlocked: Unlocked, actor: Actor, keys_path: Path, at: dt.datetime) -> None:
    """The person's keys for the session: from here on their audit entries are signed by them."""
    person = unlocked_person(db, unlocked, actor.name, actor.role, str(keys_path), at)
    db.person = person
    db.signer = person.sign_transaction


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
        db.alarms.extend(f"the key file held a slot of {slot[len('user:'):]}, who is no active user; it was removed"
                         for slot in orphans)
        with db.transaction(None) as session:
            for slot in orphans:
                audit.note(session, f"removed the key slot of {slot[len('user:'):]}, who is no active user "
                           "(an interrupted change of users)", table="users", key=slot[len("user:"):])
    return [slot[len("user:"):] for slot in orphans]


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


def _checked_administrator(admin: str, password: str, at: dt.datetime | None) -> tuple[dt.datetime, str, str]:
    """What creating a database and upgrading an earlier version's both begin with: the time,
    the administrator's name checked (and normalised), their password held to the rules, and the
    new recovery key."""
    admin = check_user_name(admin)
    check_new_password(password, name=admin)
    return at or now_utc(), admin, new_recovery_key()


def create_database(url: str, admin: str, password: str, *, build: Callable[[Database], None] | None = None,
                    at: dt.datetime | None = None, facility: str | None = None,
                    before_file: Callable[[], object] | None = None) -> tuple[Database, str]:
    """A new, migrated database whose first user is the administrator ``admin``; returns it (signed
    in as the administrator) and its recovery key, to be shown once.

    ``build(db)`` fills it (the facility, or the demo) before it becomes visible: a SQLite file is
    built under a temporary name and renamed into place only once complete, so an interrupted
    ``init`` or ``demo`` never leaves a file behind. ``before_file()`` runs before anything is
    written, a file or a server's roles, and may refuse by raising (``import --db NEW`` checks its
    workbook there); on a file, the keys are derived meanwhile (``app.meanwhile``).
    """
    at, admin, recovery_key = _checked_administrator(admin, password, at)
    path = sqlite_path(url)
    if path is None:
        if before_file is not None:
            before_file()
        return _create_server(url, admin, password, recovery_key, build, at, facility), recovery_key
    return _create_sqlite(path, admin, password, recovery_key, build, at, facility, before_file), recovery_key


def _create_sqlite(path: Path, admin: str, password: str, recovery_key: str,
                   build: Callable[[Database], None] | None, at: dt.datetime, facility: str | None = None,
                   before_file: Callable[[], object] | None = None) -> Database:
    if path.exists():
        raise DatabaseError(f"{path} already exists; choose a new file name.")
    if not path.parent.is_dir():
        raise DatabaseError(f"The folder {path.parent} does not exist.")
    key = recovery_database_key(recovery_key)  # the recovery key alone opens it, even without its key file
    keys = KeyFile.new(key_file_for(path))
    person_keys = PersonKeys.new()
    authority, authority_key = new_authority(facility or "MROQC facility", at)

    def derive() -> bytes:  # the administrator's slot and the recovery key's: two Argon2id runs
        kek = keys.wrap(user_slot(admin), password, key, boxes=key_boxes(person_keys, authority_key, authority))
        keys.wrap_recovery(recovery_key, key)
        return kek

    if before_file is None:
        kek = derive()
    else:  # nothing written yet: a refusal leaves the folder as it was; Argon2id runs meanwhile
        deriving = Meanwhile(derive, "deriving the database's keys")
        before_file()
        kek = deriving.result()
    remove_abandoned_builds(path)
    building = building_name(path)
    person = Person(admin, person_keys, authority_key=authority_key, slot=user_slot(admin), kek=kek, trusted=authority)
    try:
        db = open_database(file_url(building), create=True, key=key, hold=False)
        db.actor = Actor(admin, "admin")  # the administrator creates the database (and is "who" for it)
        _first_administrator(db, person, authority, password, at)
        try:
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
    db = open_database(file_url(path), key=key)
    db.actor = Actor(admin, "admin")
    person.keys_path = key_file_for(path)
    db.person, db.signer = person, person.sign_transaction
    if db.lock is not None:
        db.lock.set_user(admin)
    return db


def _first_administrator(db: Database, person: Person, authority, password: str,  # type: ignore[no-untyped-def]
                         at: dt.datetime) -> None:
    """The facility CA, the administrator and their certificate: the database's first transaction,
    already signed by them."""
    db.person, db.signer = person, person.sign_transaction
    assert db.actor is not None and person.keys is not None and person.authority_key is not None
    with db.transaction(None) as session:
        _new_user(session, db.actor.name, "admin", password, at, must_change=False, server=False)
        add_authority(session, authority, at)
        session.flush()
        row = issue_certificate(session, authority, person.authority_key, person.keys, user=db.actor.name,
                                issuer=db.actor.name, now=at)
        person.certificate_id = row.id
        person.certificate = load_certificate(row.certificate_pem or "")
        audit.note(session, f"database created; {db.actor.name} is its administrator", table="users",
                   key=db.actor.name)


def _create_server(url: str, admin: str, password: str, recovery_key: str,
                   build: Callable[[Database], None] | None, at: dt.datetime, facility: str | None = None) -> Database:
    """A shared database's first administrator, made with the owner's address (``url``): the
    server's groups, grants and trigger (the migration), the administrator's own login and keys, the
    facility CA, the recovery key's login; then the administrator signs in with their own login and
    ``build`` fills the database as them."""
    owner = open_database(url, create=True)
    owner.actor = Actor(admin, "admin")  # what the app checks; the server records the owner's login
    try:
        with owner.engine.connect() as connection:
            if not server_roles.is_owner(connection):
                raise DatabaseError("Creating a shared database needs its owner's address (the owner role IT made "
                                    "for it, docs/shared-database.md): this address's login is not the owner.")
        with owner.reader() as session:
            if session.scalar(select(func.count()).select_from(User)):
                raise DatabaseError("That database already has users; sign in instead.")
        names = ServerNames.of_url(url)
        add_facility_users(owner, [NewServerUser(admin, "admin", password=password, must_change=False)], at,
                           facility=facility)
        with owner.transaction(None) as session:
            session.execute(select(func.mroqc_set_recovery_key(
                scram_verifier(session, names.recovery, normal_recovery_key(recovery_key)))))
            audit.note(session, f"database created; {admin} is its administrator", table="users", key=admin)
    finally:
        owner.dispose()
    db = sign_in_server(url, admin, password, recovery=False, at=at)
    if build is not None:
        try:
            build(db)
        except BaseException:
            db.dispose()
            raise
    return db


@dataclass
class NewServerUser:
    """A person given a login on a shared database: by an app password (``password``; ``must_change``
    when it is a first password someone hands over) or by the directory's login ``directory``;
    ``existing``: already in the users table (a copy, an earlier version's database)."""

    name: str
    role: str
    password: str | None = field(default=None, repr=False)
    directory: str | None = None
    must_change: bool = True
    full_name: str | None = None
    staff_id: str | None = None
    existing: bool = False


def add_facility_users(owner: Database, people: list[NewServerUser], at: dt.datetime, *, facility: str | None = None,
                       authority=None, authority_key=None,  # type: ignore[no-untyped-def]
                       admin_boxes: dict[str, bytes] | None = None, new_ca: bool = False) -> list[str]:
    """Give each of ``people`` their server login (through the definer functions, as the owner or an
    administrator on ``owner``), with keys wrapped under their password and certified by the facility
    CA (made here when there is none, or ``new_ca`` when nobody here holds its key any more, its key
    then kept by the administrators). A person already
    in the users table (``existing``: a copy, an earlier version's database) gets the login only.
    ``admin_boxes``: the keys an administrator brought from a file (their own, the CA's), kept as
    they were. Returns the names given a login."""
    names = ServerNames.of_url(owner.url)
    done = []
    with owner.transaction(None) as session:
        current = active_authority(session)
        if authority is None and (current is None or new_ca):
            authority, authority_key = new_authority(facility or facility_name(session), at)
            add_authority(session, authority, at)
            session.flush()
        elif authority is None and current is not None:
            authority = current[1]
        for person in people:
            keys_text = None
            keys = None
            brought = False
            if person.password is not None:
                boxes: dict[str, bytes] = {}
                if person.role == "admin" and admin_boxes and SIGNING in admin_boxes and SEALING in admin_boxes:
                    boxes = {k: v for k, v in admin_boxes.items() if k in (SIGNING, SEALING, AUTHORITY, TRUSTED)}
                    keys = PersonKeys(load_signing_key(boxes[SIGNING]), load_sealing_key(boxes[SEALING]))
                    brought = True  # their certificate came along with them
                else:
                    keys = PersonKeys.new()
                    boxes = key_boxes(keys, authority_key if person.role == "admin" else None, authority)
                if person.role == "admin" and authority_key is not None:
                    boxes[AUTHORITY] = private_bytes(authority_key)
                if authority is not None:
                    boxes[TRUSTED] = pem(authority).encode("ascii")
                keys_text, _kek = server_keys.wrap(person.name, person.password, boxes)
            verifier = (scram_verifier(session, names.login(person.name), person.password)
                        if person.password is not None else None)
            if person.existing:
                if person.password is not None:
                    session.execute(select(func.mroqc_reset_password(person.name, verifier, keys_text,
                                                                     person.must_change)))
                else:
                    session.execute(select(func.mroqc_attach_login(person.name, person.directory)))
            else:
                session.execute(select(func.mroqc_add_user(person.name, person.full_name, person.role, person.staff_id,
                                                           verifier, keys_text, person.directory, person.must_change)))
            if keys is not None and not brought and authority is not None and authority_key is not None:
                session.flush()
                issue_certificate(session, authority, authority_key, keys, user=person.name,
                                  issuer=owner.actor.name if owner.actor else person.name, now=at)
            done.append(person.name)
    return done


def upgrade_database(url: str, admin: str, password: str, *, at: dt.datetime | None = None) -> tuple[Database, str]:
    """Give an earlier version's database its administrator; a SQLite file is then encrypted in
    place (``app.storage.encryption``), leaving no unencrypted copy. Returns the database, signed
    in as the administrator, and the recovery key to show once."""
    at, admin, recovery_key = _checked_administrator(admin, password, at)
    path = sqlite_path(url)
    if path is None:
        if not needs_administrator(url):
            raise DatabaseError("That database already has users; sign in instead.")
        return _create_server(url, admin, password, recovery_key, None, at), recovery_key

    key = recovery_database_key(recovery_key)
    keys = KeyFile.new(key_file_for(path))
    kek = keys.wrap(user_slot(admin), password, key)
    keys.wrap_recovery(recovery_key, key)

    def first_user(db: Database) -> None:
        db.actor = Actor(admin, "admin")
        with db.transaction(None) as session:
            _new_user(session, admin, "admin", password, at, must_change=False, server=False)
            audit.note(session, f"upgraded from an earlier version and encrypted; {admin} is its administrator",
                       table="users", key=admin)

    encrypt_earlier_version(path, key, keys, first_user)
    db = open_database(file_url(path), key=key)
    db.actor = Actor(admin, "admin")
    if db.lock is not None:
        db.lock.set_user(admin)
    _adopt_person(db, Unlocked(user_slot(admin), kek, key, {}), db.actor, key_file_for(path), at)
    _record_sign_in(db, db.actor, at, [])
    return db, recovery_key


# ---- checking a password on an open database (lock screen, switching user) -------------------


def password_is_right(db: Database, name: str, password: str) -> bool:
    """Whether ``password`` is ``name``'s on the open ``db``, with no bookkeeping: for work that
    needs the password itself (``copy`` carries it to the server) after a sign-in that counted."""
    name = normal_name(name)
    if db.encrypted and db.path is not None:
        return KeyFile.load(key_file_for(db.path)).unwrap(user_slot(name), password) == db.key
    if db.is_server:
        return password_works(db.url, name, password)
    with db.reader() as session:
        user = session.scalars(select(User).where(User.name == name)).first()
        return user is not None and not user.disabled and verify_password(user.password_hash, password)


def check_credentials(db: Database, name: str, password: str, *, at: dt.datetime | None = None) -> Actor:
    """The user ``name`` of the already open ``db`` proved by ``password``, with the same lockout
    and audit as a sign-in: the lock screen unlocks, or another user takes over the window.
    Raises ``SignInFailed`` (``AccountLocked``, its time in the facility's zone); returns the user's ``Actor``."""
    try:
        return _check_credentials(db, name, password, at=at)
    except AccountLocked as exc:
        raise AccountLocked(exc.until, _facility_zone(db)) from None


def _facility_zone(db: Database) -> Zone:
    """The open database's facility zone (None: this computer's, if it cannot be read)."""
    try:
        with db.reader() as session:
            return session.scalar(select(Facility.time_zone).limit(1)) or DEFAULT_TIME_ZONE
    except Exception:  # noqa: BLE001 (a message's zone is never worth a second failure)
        return None


def _check_credentials(db: Database, name: str, password: str, *, at: dt.datetime | None = None) -> Actor:
    at = at or now_utc()
    name = normal_name(name)
    policy = security_policy()
    if db.encrypted and db.path is not None:
        keys_path = key_file_for(db.path)
        unlocked = _try_slot(keys_path, name, password, at, recovery=False)
        if unlocked.database_key != db.key:  # a slot of another database's key: as wrong as a wrong password
            with editing(keys_path) as keys:
                keys.note(at, _failure_note(name, known=True))
            raise SignInFailed(WRONG)
        notes = _settle_failures(keys_path, name)
        person = getattr(db, "person", None)
        if person is None or getattr(person, "name", None) != name:  # another person takes over the window
            db.signer = None  # the previous person's key signs nothing of theirs
            actor = _actor_for(db, name, recovery=False)
            _adopt_person(db, unlocked, actor, keys_path, at)
    elif db.is_server:  # the server checks the password and counts (app.security.server_signin)
        previous = db.actor
        check_server_credentials(db, name, password, at)
        actor = db.actor
        assert actor is not None
        with db.transaction(None) as session:
            summary = "unlocked the window" if previous is not None and previous.name == actor.name else (
                f"signed in at the window of {previous.name}" if previous is not None else "signed in")
            audit.note(session, summary, table="users", key=actor.name)
        if db.lock is not None:
            db.lock.set_user(actor.name)
        return actor
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
