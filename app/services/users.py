"""Users: adding, roles, disabling, unlocking, passwords. Administrators only, except that every
user changes their own password.

On SQLite a user's password is their key slot (``app.security.keyfile``): adding a user or
setting a password wraps the open database's key under it; disabling removes the slot, so a
disabled user's password unwraps nothing (enabling again needs a new first password, set with
``reset_password``). On a server database the same is done with the Argon2id hash in ``users``.
Every change is audited (the hash itself never is).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import sessionmaker

from app.domain.permissions import ROLE_NAMES, ROLES, Permission
from app.domain.security_policy import security_policy
from app.security import lockout, server_keys
from app.security.keyfile import KeyFile, editing, key_file_for, locked, user_slot
from app.security.passwords import check_new_password, hash_password, verify_password
from app.security.people import (
    AUTHORITY,
    active_authority,
    current_certificate,
    handed_authority,
    issue_certificate,
    issue_for,
    key_boxes,
)
from app.security.pki import PersonKeys, load_certificate, seal, sealing_public_key
from app.security.server_signin import password_works, scram_verifier
from app.security.signin import RECOVERY_NAME, SignInFailed, check_user_name, now_utc
from app.storage import audit
from app.storage.database import Database, create_db_engine
from app.storage.journal import crash_point
from app.storage.models import PersonKeys as PersonKeysRow
from app.storage.models import SignInFailure, Staff, User
from app.storage.server_names import ServerNames


class UserError(ValueError):
    """A user change that cannot be made; the message says why."""


@dataclass(frozen=True)
class UserRow:
    name: str
    full_name: str | None
    role: str
    disabled: bool
    must_change_password: bool
    locked_until: dt.datetime | None
    last_sign_in_at: dt.datetime | None
    created_at: dt.datetime
    staff_id: str | None = None
    staff_name: str | None = None
    #: "issued", "waiting" (a request an administrator has not issued), or "none" (no keys yet)
    certificate: str = "none"

    @property
    def role_name(self) -> str:
        return ROLE_NAMES[self.role]

    @property
    def status(self) -> str:
        if self.disabled:
            return "disabled"
        if self.locked_until is not None:
            return "locked"
        return "must change password" if self.must_change_password else "active"


def _key_file(db: Database) -> KeyFile | None:
    return KeyFile.load(key_file_for(db.path)) if db.encrypted and db.path is not None else None


def _failures(db: Database, keys: KeyFile | None) -> dict[str, list[dt.datetime]]:
    if db.is_server:  # the lockout counts are the server's (mroqc_failures: administrators only)
        found_server: dict[str, list[dt.datetime]] = {}
        with db.reader() as session:
            for name, at in session.execute(select(func.mroqc_failures().table_valued("user_name", "at"))):
                found_server.setdefault(name, []).append(at)
        return found_server
    if keys is not None:
        with db.reader() as session:
            names = list(session.scalars(select(User.name)))
        return {name: keys.failures_of(name) for name in names}
    found: dict[str, list[dt.datetime]] = {}
    with db.reader() as session:
        for name, at in session.execute(select(SignInFailure.name, SignInFailure.at)):
            found.setdefault(name, []).append(at)
    return found


def list_users(db: Database, *, at: dt.datetime | None = None) -> list[UserRow]:
    db.require(Permission.USERS)
    at = at or now_utc()
    failures = _failures(db, _key_file(db))
    policy = security_policy()
    with db.reader() as session:
        users = list(session.scalars(select(User).order_by(User.name)))
        staff_names = dict(session.execute(select(Staff.staff_id, Staff.name)).all())
        certificates = {u.name: current_certificate(session, u.name) for u in users}
    return [UserRow(u.name, u.full_name, u.role, u.disabled, u.must_change_password,
                    lockout.locked_until(failures.get(u.name, []), at, policy), u.last_sign_in_at, u.created_at,
                    u.staff_id, staff_names.get(u.staff_id) if u.staff_id else None,
                    _certificate_state(certificates[u.name]))
            for u in users]


def _certificate_state(row) -> str:  # type: ignore[no-untyped-def]
    return "none" if row is None else "issued" if row.certificate_pem else "waiting"


def my_certificate(db: Database) -> tuple[str, str | None]:
    """The signed-in person's certificate: ("issued", fingerprint), ("waiting", the code to read to
    an administrator), or ("none", None)."""
    actor = db.actor
    if actor is None:
        return "none", None
    with db.reader() as session:
        row = current_certificate(session, actor.name)
    state = _certificate_state(row)
    return state, (row.fingerprint if state == "issued" else row.request_code if row is not None else None)


def my_full_name(db: Database) -> str:
    """The signed-in user's full name (their account name when none is recorded)."""
    if db.actor is None:
        return ""
    with db.reader() as session:
        full = session.scalar(select(User.full_name).where(User.name == db.actor.name))
    return full or db.actor.name


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"unknown role '{role}'; one of: {', '.join(ROLES)}")
    return role


def _get(session, name: str) -> User:  # type: ignore[no-untyped-def]
    user = session.scalars(select(User).where(User.name == name)).first()
    if user is None:
        raise UserError(f"there is no user {name}")
    return user


def _other_active_admins(session, name: str) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(User).where(
        User.role == "admin", User.disabled.is_(False), User.name != name)) or 0


def _set_secret(db: Database, name: str, password: str | None, boxes: dict[str, bytes] | None = None) -> bytes | None:
    """Wrap the database key (and ``boxes``) under ``password`` for ``name`` (SQLite), or remove the
    slot (None); returns the key that wraps them."""
    if not (db.encrypted and db.path is not None):
        return None
    with editing(key_file_for(db.path)) as keys:
        if password is None:
            keys.remove(user_slot(name))
            keys.sealed.pop(user_slot(name), None)
            return None
        assert db.key is not None
        return keys.wrap(user_slot(name), password, db.key, boxes=boxes)


@contextmanager
def _key_file_held(db: Database) -> Iterator[None]:
    """The key file held alone for a change of users that writes a slot and a user row: a slot
    without its user (a kill in between) is removed at the next sign-in, which waits for this."""
    if db.encrypted and db.path is not None:
        with locked(key_file_for(db.path)):
            yield
    else:
        yield


def _new_keys_for(db: Database, role: str) -> tuple[PersonKeys | None, dict[str, bytes]]:
    """Keys for a person whose first password is being set, if this administrator holds the facility
    CA's key (else their first sign-in makes keys and asks for a certificate)."""
    person = getattr(db, "person", None)
    if person is None or getattr(person, "authority_key", None) is None:
        return None, {}
    keys = PersonKeys.new()
    return keys, key_boxes(keys, person.authority_key if role == "admin" else None, getattr(person, "trusted", None))


def _issue(db: Database, session, name: str, keys: PersonKeys | None, at: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    person = getattr(db, "person", None)
    authority = active_authority(session)
    if keys is None or person is None or authority is None or person.authority_key is None:
        return
    session.flush()
    issue_certificate(session, authority[1], person.authority_key, keys, user=name, issuer=person.name, now=at)


def _check_staff(session, staff_id: str | None) -> str | None:  # type: ignore[no-untyped-def]
    if staff_id is None or not staff_id.strip():
        return None
    staff_id = staff_id.strip()
    if session.get(Staff, staff_id) is None:
        raise UserError(f"there is no person with staff ID {staff_id} in Staff & roles")
    linked = session.scalars(select(User.name).where(User.staff_id == staff_id, User.disabled.is_(False))).first()
    if linked is not None:
        raise UserError(f"staff ID {staff_id} already belongs to the user {linked}")
    return staff_id


def add_user(db: Database, name: str, role: str, password: str, *, full_name: str | None = None,
             staff_id: str | None = None) -> None:
    """A new user whose first password (set by the administrator) must be changed at first sign-in,
    linked to their record in Staff & roles (``staff_id``), with keys of their own certified by
    the facility. Its slot is written first, then the user is saved, the key file held alone
    throughout: a kill in between leaves a slot of no user, which the next sign-in removes (audited)."""
    db.require(Permission.USERS)
    name = _name(name)
    _check_role(role)
    check_new_password(password, name=name)
    at = now_utc()
    with db.reader() as session:
        if session.scalars(select(User).where(User.name == name)).first() is not None:
            raise UserError(f"there already is a user {name}")
        staff_id = _check_staff(session, staff_id)
    if db.is_server:
        _add_server_user(db, name, role, password, full_name, staff_id, at)
        return
    person_keys, boxes = _new_keys_for(db, role)
    with _key_file_held(db):
        keys_path = key_file_for(db.path) if db.encrypted and db.path is not None else None
        if keys_path is not None:
            keys = KeyFile.load(keys_path)
            assert db.key is not None
            keys.wrap(user_slot(name), password, db.key, boxes=boxes)
            keys.save()
            crash_point("users-add:slot-written")
        try:
            with db.transaction(Permission.USERS) as session:
                session.add(User(name=name, full_name=(full_name or "").strip() or None, role=role, disabled=False,
                                 must_change_password=True, created_at=at, password_changed_at=at,
                                 password_hash=None if db.encrypted else hash_password(password), staff_id=staff_id))
                _issue(db, session, name, person_keys, at)
        except BaseException:
            if keys_path is not None:
                keys = KeyFile.load(keys_path)
                keys.remove(user_slot(name))
                keys.save()
            raise


def _server_keys_for(db: Database, name: str, role: str, password: str) -> tuple[PersonKeys | None, str | None]:
    """A person's new keys on a shared database, wrapped under their first password (as a key slot
    would be), when this administrator holds the facility CA's key to certify them."""
    keys, boxes = _new_keys_for(db, role)
    if keys is None:
        return None, None
    text, _kek = server_keys.wrap(name, password, boxes)
    return keys, text


def _add_server_user(db: Database, name: str, role: str, password: str | None, full_name: str | None,
                     staff_id: str | None, at: dt.datetime, *, directory: str | None = None) -> None:
    """A new person on a shared database: their own login, made by the server's ``mroqc_add_user``
    (the password reaches it as its SCRAM verifier only), or the directory's login ``directory``."""
    keys, text = _server_keys_for(db, name, role, password) if password is not None else (None, None)
    with db.transaction(Permission.USERS) as session:
        staff_id = _check_staff(session, staff_id)
        verifier = (scram_verifier(session, ServerNames.of_url(db.url).login(name), password)
                    if password is not None else None)
        session.execute(select(func.mroqc_add_user(name, (full_name or "").strip() or None, role, staff_id, verifier,
                                                   text, directory, True)))
        _issue(db, session, name, keys, at)


def add_directory_user(db: Database, name: str, role: str, login: str, *, full_name: str | None = None,
                       staff_id: str | None = None) -> None:
    """A person who signs in to the shared database with the hospital directory's login ``login``
    (Kerberos, LDAP: ``pg_hba.conf``), so the app asks them no password of its own."""
    db.require(Permission.USERS)
    if not db.is_server:
        raise UserError("directory sign-in is a shared database's (PostgreSQL); a file's users have passwords")
    name = _name(name)
    _check_role(role)
    with db.reader() as session:
        if session.scalars(select(User).where(User.name == name)).first() is not None:
            raise UserError(f"there already is a user {name}")
    _add_server_user(db, name, role, None, full_name, staff_id, now_utc(), directory=login.strip())


def set_staff(db: Database, name: str, staff_id: str | None) -> None:
    """Link the user ``name`` to their record in Staff & roles (None: unlink). What they sign and
    submit is in that person's name, so their certificate is issued again naming it."""
    name = _name(name)
    at = now_utc()
    with db.transaction(Permission.USERS) as session:
        user = _get(session, name)
        if staff_id == user.staff_id:
            return
        if db.is_server:
            session.execute(select(func.mroqc_set_staff(name, None)))
            session.execute(select(func.mroqc_set_staff(name, _check_staff(session, staff_id))))
            session.expire(user)
        else:
            user.staff_id = None
            session.flush()
            user.staff_id = _check_staff(session, staff_id)
            session.flush()
        person = getattr(db, "person", None)
        authority = active_authority(session)
        current = current_certificate(session, name)
        if current is not None and current.certificate_pem and person is not None and authority is not None \
                and getattr(person, "authority_key", None) is not None:
            issue_for(session, authority[1], person.authority_key, current.public_key_pem, current.sealing_public,
                      user=name, issuer=person.name, now=at)


def issue_waiting(db: Database, name: str, code: str) -> None:
    """Issue the certificate an account from before keys asked for at its first sign-in, once the
    administrator compared ``code`` with the one the person's own window shows (My account): the
    database alone cannot tell a real request from one someone else wrote in that name."""
    db.require(Permission.USERS)
    name = _name(name)
    at = now_utc()
    person = getattr(db, "person", None)
    if person is None or getattr(person, "authority_key", None) is None:
        raise UserError("your account holds no copy of the facility certificate's key: another administrator "
                        "issues certificates")
    with db.transaction(Permission.USERS) as session:
        request = current_certificate(session, name)
        if request is None or request.certificate_pem:
            raise UserError(f"{name} has no certificate request waiting")
        if request.request_code != code.strip().upper():
            raise UserError(f"the code does not match {name}'s request: do not issue it (someone else may have "
                            "written that request); ask them to sign in again and read the code from their window")
        authority = active_authority(session)
        assert authority is not None
        issue_for(session, authority[1], person.authority_key, request.public_key_pem, request.sealing_public,
                  user=name, issuer=person.name, now=at, request=request)


def _name(name: str) -> str:
    try:
        return check_user_name(name)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def set_role(db: Database, name: str, role: str) -> None:
    """A new role; an administrator gets the facility CA's key (sealed to their own key, taken at
    their next sign-in), and one who is one no more loses their copy."""
    _check_role(role)
    if db.is_server:
        _set_server_role(db, _name(name), role)
        return
    with db.transaction(Permission.USERS) as session:
        user = _get(session, _name(name))
        if user.role == "admin" and role != "admin" and _other_active_admins(session, user.name) == 0:
            raise UserError("the database needs at least one active administrator")
        previous, user.role = user.role, role
        current = current_certificate(session, user.name)
    if not (db.encrypted and db.path is not None) or previous == role:
        return
    person = getattr(db, "person", None)
    with editing(key_file_for(db.path)) as keys:
        slot = user_slot(user.name)
        if role != "admin":
            keys.drop_box(slot, AUTHORITY)
            keys.sealed.get(slot, {}).pop(AUTHORITY, None)
        elif person is not None and getattr(person, "authority_key", None) is not None and current is not None \
                and current.certificate_pem:
            handed_authority(keys, slot, load_certificate(current.certificate_pem), person.authority_key)


def _set_server_role(db: Database, name: str, role: str) -> None:
    """A new role on a shared database: the server moves the person's login to the role's group
    (``mroqc_set_role``); a new administrator is handed the facility CA's key sealed to their own
    sealing key, one who is one no more loses their copy."""
    with db.transaction(Permission.USERS) as session:
        user = _get(session, name)
        if user.role == "admin" and role != "admin" and _other_active_admins(session, user.name) == 0:
            raise UserError("the database needs at least one active administrator")
        sealed = None
        person = getattr(db, "person", None)
        current = current_certificate(session, name)
        if role == "admin" and person is not None and getattr(person, "authority_key", None) is not None \
                and current is not None and current.certificate_pem:
            from app.security.pki import private_bytes

            sealed = json.dumps(seal(sealing_public_key(load_certificate(current.certificate_pem)),
                                     private_bytes(person.authority_key), AUTHORITY))
        session.execute(select(func.mroqc_set_role(name, role, sealed)))
        session.expire(user)


def disable_user(db: Database, name: str) -> None:
    """No more sign-in: the account stays in the audit log; on SQLite its key slot is removed."""
    name = _name(name)
    if db.actor is not None and db.actor.name == name:
        raise UserError("you cannot disable your own account")
    with db.transaction(Permission.USERS) as session:
        user = _get(session, name)
        if user.role == "admin" and _other_active_admins(session, name) == 0:
            raise UserError("the database needs at least one active administrator")
        if db.is_server:  # the server takes the person's login out of every group (and an app-made one logs in no more)
            session.execute(select(func.mroqc_disable_user(name)))
            session.expire(user)
            return
        user.disabled = True
        user.password_hash = None
    _set_secret(db, name, None)


def enable_user(db: Database, name: str) -> bool:
    """Allow sign-in again; returns True when the account also needs a new first password (it had
    none left after being disabled)."""
    name = _name(name)
    if db.is_server:
        with db.transaction(Permission.USERS) as session:
            _get(session, name)
            return bool(session.scalar(select(func.mroqc_enable_user(name))))
    with db.transaction(Permission.USERS) as session:
        user = _get(session, name)
        user.disabled = False
        server_without = not db.encrypted and user.password_hash is None
    keys = _key_file(db)
    return server_without or (keys is not None and user_slot(name) not in keys.slots)


def unlock_user(db: Database, name: str) -> None:
    """Forget the failed sign-ins that locked ``name`` (user or not)."""
    name = _name(name)
    db.require(Permission.USERS)
    if db.encrypted and db.path is not None:
        with editing(key_file_for(db.path)) as keys:
            keys.forget_failures(name)
    with db.transaction(Permission.USERS) as session:
        if db.is_server:  # the server's count, forgotten by its own function (administrators only)
            session.execute(select(func.mroqc_unlock(name)))
            return
        session.execute(delete(SignInFailure).where(SignInFailure.name == name))
        audit.note(session, f"unlocked {name}", table="users", key=name)


def reset_password(db: Database, name: str, password: str) -> None:
    """A first password set by an administrator: to be changed at the user's next sign-in. The
    person's keys are lost with their old password: new ones are made and certified."""
    name = _name(name)
    db.require(Permission.USERS)
    check_new_password(password, name=name)
    with db.reader() as session:
        role = _get(session, name).role
    at = now_utc()
    if db.is_server:
        from app.security.server_signin import scram_verifier
        from app.storage.server_names import ServerNames

        keys, text = _server_keys_for(db, name, role, password)
        with db.transaction(Permission.USERS) as session:
            verifier = scram_verifier(session, ServerNames.of_url(db.url).login(name), password)
            session.execute(select(func.mroqc_reset_password(name, verifier, text, True)))
            _issue(db, session, name, keys, at)
        return
    person_keys, boxes = _new_keys_for(db, role)
    _set_secret(db, name, password, boxes)
    with db.transaction(Permission.USERS) as session:
        _issue(db, session, name, person_keys, at)
        user = _get(session, name)
        user.must_change_password = True
        user.password_changed_at = now_utc()
        user.password_hash = None if db.encrypted else hash_password(password)
        audit.note(session, f"password of {name} reset by an administrator", table="users", key=name)


def change_own_password(db: Database, old: str, new: str) -> None:
    """The signed-in user's own password; the old one must be right (checked as at sign-in)."""
    actor = db.actor
    if actor is None or actor.name == RECOVERY_NAME:
        raise UserError("sign in as a user to change your password (the recovery key has none)")
    check_new_password(new, name=actor.name, old=old)
    if db.is_server:
        _change_own_server_password(db, actor.name, old, new)
        db.actor = type(actor)(actor.name, actor.role, must_change_password=False)
        return
    keys = _key_file(db)
    with db.reader() as session:
        user = _get(session, actor.name)
        stored = user.password_hash
    unlocked = keys.unlock(user_slot(actor.name), old) if keys is not None else None
    right = unlocked is not None if keys is not None else verify_password(stored, old)
    if not right:
        raise SignInFailed("sign-in failed: the old password is not right")
    kek = _set_secret(db, actor.name, new, unlocked.boxes if unlocked is not None else None)  # the same keys, re-wrapped
    person = getattr(db, "person", None)
    if person is not None and kek is not None:
        person.kek = kek
    with db.transaction(None) as session:
        user = _get(session, actor.name)
        user.must_change_password = False
        user.password_changed_at = now_utc()
        user.password_hash = None if db.encrypted else hash_password(new)
        audit.note(session, "changed own password", table="users", key=actor.name)
    db.actor = type(actor)(actor.name, actor.role, must_change_password=False)


def _change_own_server_password(db: Database, name: str, old: str, new: str) -> None:
    """On a shared database: the old password checked by the server (a connection of its own), the
    person's keys wrapped under the new one, the login's password changed by ``mroqc_change_own_password``
    (given its SCRAM verifier only); this window's connections use the new one from now on."""
    if not password_works(db.url, name, old):
        raise SignInFailed("sign-in failed: the old password is not right")
    with db.reader() as session:
        stored = session.scalar(select(PersonKeysRow.slot))
    text = None
    if stored:
        unlocked = server_keys.unwrap(stored, name, old)
        if unlocked is None:
            raise SignInFailed("sign-in failed: the old password is not right")
        text, kek = server_keys.wrap(name, new, unlocked.boxes)
        person = getattr(db, "person", None)
        if person is not None:
            person.kek = kek
    with db.transaction(None) as session:
        verifier = scram_verifier(session, ServerNames.of_url(db.url).login(name), new)
        session.execute(select(func.mroqc_change_own_password(verifier, text)))


    old_engine = db.engine  # its connections were opened with the old password
    db.password = new
    db.engine = create_db_engine(db.url, password=new)
    db._sessions = sessionmaker(db.engine, expire_on_commit=False)
    old_engine.dispose()
