"""Re-keying a database: revocation that holds against a copy of the old key file.

Removing a user's key slot stops their password opening the file, but the database key itself is
unchanged, so a key file or backup copied while they were a user still opens it. Re-keying gives
the database a new key (derived from a new recovery key, shown once) and writes the whole file
again under it (SQLCipher's export into a new file, then a journaled swap, as a restore does).

Nobody's password is known to the administrator doing it, so each remaining person gets the new
key *sealed* to the sealing key their certificate names (``app.security.pki.seal``); their next
sign-in opens it with their own keys and wraps it under their password, as before. A person with
no certificate the facility issued yet gets nothing (they need a new first password, and are
named). The old file is overwritten and removed; old backups keep opening with the passwords valid
when they were taken (docs/security.md says so).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from app.domain.permissions import Permission
from app.security import pki
from app.security.keyfile import RECOVERY_SLOT, KeyFile, editing, key_file_for, user_slot
from app.security.passwords import new_recovery_key, recovery_database_key
from app.storage import audit
from app.storage.database import COMPANIONS, Database
from app.storage.encryption import export_with_key
from app.storage.errors import DatabaseError
from app.storage.journal import crash_point, operation
from app.storage.locks import exclusive
from app.storage.models import User, UserCertificate

SEALED_DATABASE = "database"
#: Measured by ``python -m bench`` (re-key of the 200,000-case demo); an estimate, said as one.
BYTES_PER_SECOND = 60 * 1024 * 1024


@dataclass(frozen=True)
class RekeyPlan:
    """What a re-key will do, shown before it starts."""

    size_bytes: int
    estimate_seconds: float
    keep: tuple[str, ...]  # users who keep access (sealed to their certificate)
    lose: tuple[str, ...]  # users who need a new first password (no certificate issued)


@dataclass(frozen=True)
class RekeyReport:
    recovery_key: str
    seconds: float
    keep: tuple[str, ...]
    lose: tuple[str, ...]


def plan_rekey(db: Database) -> RekeyPlan:
    db.require(Permission.USERS)
    if db.path is None or db.key is None:
        raise DatabaseError("Re-keying works on a database file; a shared database's server has its own keys.")
    size = db.path.stat().st_size + sum(db.path.with_name(db.path.name + c).stat().st_size
                                        for c in COMPANIONS if db.path.with_name(db.path.name + c).exists())
    keep, lose = _who_keeps(db)
    return RekeyPlan(size, round(size / BYTES_PER_SECOND + 0.5, 1), keep, lose)


def _who_keeps(db: Database) -> tuple[tuple[str, ...], tuple[str, ...]]:
    keep, lose = [], []
    with db.reader() as session:
        active = list(session.scalars(select(User.name).where(User.disabled.is_(False)).order_by(User.name)))
        issued = {row.user_name for row in session.scalars(select(UserCertificate).where(
            UserCertificate.superseded_at.is_(None), UserCertificate.certificate_pem.is_not(None)))}
    for name in active:
        (keep if name in issued else lose).append(name)
    return tuple(keep), tuple(lose)


def rekey_database(db: Database, reason: str, *, now: dt.datetime | None = None) -> RekeyReport:
    """Give the open database a new key (see the module docstring). ``db`` is disposed (the file
    is replaced, so the caller opens the re-keyed one, signed in again); the new recovery key is
    returned, to be shown once."""
    plan = plan_rekey(db)
    assert db.path is not None and db.key is not None
    path, old_key = db.path, db.key
    now = now or audit.now()
    recovery_key = new_recovery_key()
    new_key = recovery_database_key(recovery_key)
    with db.reader() as session:
        certificates = {row.user_name: pki.load_certificate(row.certificate_pem) for row in session.scalars(
            select(UserCertificate).where(UserCertificate.superseded_at.is_(None),
                                          UserCertificate.certificate_pem.is_not(None)))}
    actor = db.actor
    with db.transaction(Permission.USERS) as session:  # written before the copy, so the copy has it
        audit.note(session, f"the database key was changed ({reason}); {len(plan.keep)} person(s) keep access, "
                            f"{len(plan.lose)} need a new first password", table="users", key="-")
    person, signer = db.person, db.signer
    db.dispose()
    started = time.monotonic()
    building = path.with_name(f".{path.name}.rekey-{os.urandom(4).hex()}")
    old = path.with_name(f".{path.name}.old-{os.urandom(4).hex()}")
    keys_building = key_file_for(building)
    with exclusive(path, "re-key", user=actor.name if actor else None, doing="re-keyed"), \
            operation(path, "re-key", [building, keys_building,
                                       *(building.with_name(building.name + c) for c in COMPANIONS)]) as journal:
        _export(path, old_key, building, new_key)
        crash_point("re-key:exported")
        with editing(key_file_for(path)) as keys:
            fresh = KeyFile(path=keys_building, database_id=keys.database_id, slots=dict(keys.slots), notes=keys.notes,
                            sealed={k: dict(v) for k, v in keys.sealed.items()})
        for name in plan.lose:
            fresh.remove(user_slot(name))
        fresh.remove(RECOVERY_SLOT)
        fresh.wrap_recovery(recovery_key, new_key)
        for name in plan.keep:
            sealing = pki.sealing_public_key(certificates[name])
            fresh.sealed.setdefault(user_slot(name), {})[SEALED_DATABASE] = pki.seal(sealing, new_key, SEALED_DATABASE)
        fresh.save()
        crash_point("re-key:keys-written")
        journal.commit([*((path.with_name(path.name + c), old.with_name(old.name + c)) for c in COMPANIONS),
                        (path, old), (keys_building, key_file_for(path), True), (building, path)],
                       shreds=[old, *(old.with_name(old.name + c) for c in COMPANIONS)])
    del person, signer
    return RekeyReport(recovery_key, time.monotonic() - started, plan.keep, plan.lose)


def _export(source: Path, key: bytes, target: Path, new_key: bytes) -> None:
    """``source`` written again into ``target`` under ``new_key`` (SQLCipher's export), checked."""
    export_with_key(source, key, target, new_key,
                    failed="The database could not be written under its new key ({exc}); nothing was changed.")


def open_sealed_key(keys_path: Path, slot: str, sealing_private: bytes) -> bytes | None:
    """At sign-in: the new database key sealed to this person by a re-key, if there is one."""
    keys = KeyFile.load(keys_path)
    box = keys.sealed.get(slot, {}).get(SEALED_DATABASE)
    if box is None:
        return None
    return pki.unseal(pki.load_sealing_key(sealing_private), box, SEALED_DATABASE)


def adopt_sealed_key(keys_path: Path, slot: str, kek: bytes, database_key: bytes) -> None:
    """Wrap the key a re-key sealed to this person under their own password (their slot's main
    key), and drop the sealed copy: from now on they open the database as before."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    with editing(keys_path) as keys:
        if slot not in keys.slots:
            return
        record = keys.slots[slot]
        nonce = os.urandom(12)
        record.nonce, record.wrapped = nonce, AESGCM(kek).encrypt(nonce, database_key, keys._aad(slot))
        keys.sealed.get(slot, {}).pop(SEALED_DATABASE, None)
        if not keys.sealed.get(slot):
            keys.sealed.pop(slot, None)
