"""The key file beside an encrypted SQLite database: its key slots, failed sign-ins, queued notes.

Designed like disk-encryption key slots (LUKS): the database is encrypted (SQLCipher) with one
random 256-bit key; each user's slot holds that key wrapped (AES-256-GCM) under a key Argon2id
derives from the user's password; one more slot holds it under the recovery key. So adding,
removing or re-passwording a user rewrites one slot and never re-encrypts the database, and a
removed user's password unwraps nothing. Each slot is bound (as authenticated data) to the
database's ID and its own name, so a slot copied from another file or renamed does not open.

The file must be readable before the database is unlocked, which is why failed sign-ins (the
lockout count) and notes for the audit log about them are kept here until the next sign-in
writes them into the audit log. It holds no patient value and no password. It is written
atomically and is private to the account (0600), like the database.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import portalocker
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.domain.security_policy import KdfCost
from app.security.passwords import (
    KEY_BYTES,
    cost,
    derive_key,
    keyslot_verifier,
    new_salt,
    normal_recovery_key,
)
from app.storage.errors import DatabaseError
from app.storage.files import TEMP_NAME_CHARS, atomic_write, make_private, open_private
from app.storage.key_slots import SUFFIX, key_file_for  # noqa: F401 (the file's name is storage's: re-exported)

FORMAT = "MROQC Facility Desk key file"
VERSION = 1
RECOVERY_SLOT = "recovery"
MAX_FAILURE_NAMES = 500  # a flood of made-up names cannot grow the file without bound
MAX_NOTES = 1000
HASHED_NAME = re.compile(r"^h:[0-9a-f]{32}$")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def user_slot(name: str) -> str:
    return f"user:{name}"


@dataclass
class Slot:
    """The database key wrapped under one secret; and, in the same slot under the same key, the
    person's own secrets (``boxes``: their signing and sealing keys, the facility CA's key for an
    administrator, the last audit-log position they saw), so one Argon2id run opens all of them."""

    salt: bytes
    nonce: bytes
    wrapped: bytes
    kdf: KdfCost
    boxes: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)  # name → (nonce, ciphertext)

    def to_json(self) -> dict[str, Any]:
        data = {"kdf": "argon2id", "time_cost": self.kdf.time_cost, "memory_kib": self.kdf.memory_kib,
                "parallelism": self.kdf.parallelism, "salt": _b64(self.salt), "nonce": _b64(self.nonce),
                "key": _b64(self.wrapped)}
        if self.boxes:
            data["boxes"] = {name: {"nonce": _b64(nonce), "data": _b64(box)}
                             for name, (nonce, box) in sorted(self.boxes.items())}
        return data

    def password_verifier(self, database_key: bytes) -> str:
        """What a server can check this slot's password against, without the slot's database key:
        the key stream the right password's key produces (the wrapped key XOR the key it wraps).
        A password is right for the verifier exactly when it unwraps this slot
        (``app.security.passwords.verify_password``); moving to a shared database carries it."""
        stream = bytes(a ^ b for a, b in zip(self.wrapped[:len(database_key)], database_key, strict=True))
        return keyslot_verifier(self.salt, self.nonce, stream, self.kdf)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Slot:
        if data.get("kdf") != "argon2id":
            raise ValueError("unknown key derivation")
        return cls(salt=_unb64(data["salt"]), nonce=_unb64(data["nonce"]), wrapped=_unb64(data["key"]),
                   kdf=KdfCost(int(data["time_cost"]), int(data["memory_kib"]), int(data["parallelism"])),
                   boxes={str(name): (_unb64(box["nonce"]), _unb64(box["data"]))
                          for name, box in (data.get("boxes") or {}).items()})


@dataclass
class Unlocked:
    """What one sign-in opened: the database key and the person's boxes, and the key that wrapped
    them (kept in memory for the session, to put a new box — the audit position seen — later)."""

    slot: str
    kek: bytes = field(repr=False)
    database_key: bytes | None = field(repr=False)
    boxes: dict[str, bytes] = field(default_factory=dict, repr=False)


@dataclass
class KeyFile:
    """The parsed key file of one database; ``save`` writes it back atomically."""

    path: Path
    database_id: str
    slots: dict[str, Slot] = field(default_factory=dict)
    #: failed sign-ins per name typed, the name kept only as a keyed hash (``failure_key``): a
    #: password typed into the name box is never written down
    failures: dict[str, list[dt.datetime]] = field(default_factory=dict)
    notes: list[dict[str, str]] = field(default_factory=list)
    #: secrets handed to a person without their password (sealed to their sealing key): slot → purpose → box
    sealed: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    # ---- reading and writing the file ---------------------------------------------------

    @classmethod
    def new(cls, path: Path) -> KeyFile:
        return cls(path=path, database_id=os.urandom(16).hex())

    @classmethod
    def load(cls, path: Path) -> KeyFile:
        if not path.is_file():
            raise DatabaseError(f"The key file {path.name} that unlocks this database is missing; "
                                "restore the database from a backup (a backup holds its keys).")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise ValueError("not a key file")
            if int(data.get("version", 0)) > VERSION:
                raise DatabaseError(f"{path.name} was written by a newer version of MROQC Facility Desk.")
            return cls(
                path=path, database_id=str(data["database_id"]),
                slots={name: Slot.from_json(slot) for name, slot in data.get("slots", {}).items()},
                failures={str(name): [dt.datetime.fromisoformat(t) for t in times]
                          for name, times in data.get("failures", {}).items()},
                notes=[{"at": str(n["at"]), "summary": str(n["summary"])} for n in data.get("notes", [])],
                sealed={str(slot): {str(p): dict(box) for p, box in boxes.items()}
                        for slot, boxes in (data.get("sealed") or {}).items()},
            )._hash_failure_names()
        except DatabaseError:
            raise
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            raise DatabaseError(f"The key file {path.name} is damaged; restore the database from a backup.") from None

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "database_id": self.database_id,
                "slots": {name: slot.to_json() for name, slot in sorted(self.slots.items())},
                "failures": {name: [t.isoformat() for t in times] for name, times in self.failures.items() if times},
                "notes": self.notes[-MAX_NOTES:],
                **({"sealed": self.sealed} if self.sealed else {})}

    def save(self) -> None:
        atomic_write(self.path, json.dumps(self.to_json(), indent=1).encode("utf-8"))
        make_private(self.path)

    def backup_json(self) -> dict[str, Any]:
        """What a backup keeps of the file (``app.storage.backup``): the key slots, without the
        failed sign-ins, notes and sealed boxes."""
        return KeyFile(path=self.path, database_id=self.database_id, slots=dict(self.slots)).to_json()

    # ---- key slots -------------------------------------------------------------------------

    def _aad(self, slot_name: str, box: str | None = None) -> bytes:
        # "v1" for good: a slot written by the first version must keep opening
        return f"{FORMAT} v1|{self.database_id}|{slot_name}{'|box:' + box if box else ''}".encode()

    def wrap(self, slot_name: str, secret: str, database_key: bytes, kdf: KdfCost | None = None,
             boxes: dict[str, bytes] | None = None) -> bytes:
        """Put (or replace) the slot ``slot_name``: ``database_key`` wrapped under ``secret``, with
        ``boxes``; returns the key that wraps them (for ``put_boxes`` later in the session)."""
        kdf = kdf or cost()
        salt, nonce = new_salt(), os.urandom(12)
        kek = derive_key(secret, salt, kdf)
        self.slots[slot_name] = Slot(salt, nonce, AESGCM(kek).encrypt(nonce, database_key, self._aad(slot_name)), kdf)
        self.put_boxes(slot_name, kek, boxes or {})
        return kek

    def put_boxes(self, slot_name: str, kek: bytes, boxes: dict[str, bytes]) -> None:
        """Add or replace boxes of a slot whose wrapping key ``kek`` a sign-in unlocked."""
        slot = self.slots[slot_name]
        for name, value in boxes.items():
            nonce = os.urandom(12)
            slot.boxes[name] = (nonce, AESGCM(kek).encrypt(nonce, value, self._aad(slot_name, name)))

    def drop_box(self, slot_name: str, name: str) -> None:
        if slot_name in self.slots:
            self.slots[slot_name].boxes.pop(name, None)

    def unlock(self, slot_name: str, secret: str) -> Unlocked | None:
        """The database key and the boxes of ``slot_name``, or None when the secret is wrong or there
        is no such slot (which costs the same Argon2id run, so timing does not tell the two apart).
        A box that does not open (changed by someone) is left out."""
        slot = self.slots.get(slot_name)
        if slot is None:
            derive_key(secret, b"\0" * 16, cost())
            return None
        kek = derive_key(secret, slot.salt, slot.kdf)
        try:
            key = AESGCM(kek).decrypt(slot.nonce, slot.wrapped, self._aad(slot_name))
        except InvalidTag:
            return None
        if len(key) != KEY_BYTES:
            return None
        boxes = {}
        for name, (nonce, box) in slot.boxes.items():
            try:
                boxes[name] = AESGCM(kek).decrypt(nonce, box, self._aad(slot_name, name))
            except InvalidTag:
                continue
        return Unlocked(slot_name, kek, key, boxes)

    def unwrap(self, slot_name: str, secret: str) -> bytes | None:
        """The database key, or None (see ``unlock``)."""
        unlocked = self.unlock(slot_name, secret)
        return unlocked.database_key if unlocked is not None else None

    def wrap_recovery(self, recovery_key: str, database_key: bytes) -> None:
        self.wrap(RECOVERY_SLOT, normal_recovery_key(recovery_key), database_key)

    def unwrap_recovery(self, recovery_key: str) -> bytes | None:
        return self.unwrap(RECOVERY_SLOT, normal_recovery_key(recovery_key))

    def remove(self, slot_name: str) -> None:
        self.slots.pop(slot_name, None)

    # ---- failed sign-ins and the notes they leave for the audit log -----------------------

    def failure_key(self, name: str) -> str:
        """How a typed name is kept in the failure list: a hash keyed by this database's ID (the
        lockout still counts per name; the file never holds what was typed)."""
        return "h:" + hmac.new(self.database_id.encode(), name.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def _hash_failure_names(self) -> KeyFile:
        """An earlier version kept the names typed as they were: hash them on reading."""
        self.failures = {(name if HASHED_NAME.match(name) else self.failure_key(name)): times
                         for name, times in self.failures.items()}
        return self

    def failures_of(self, name: str) -> list[dt.datetime]:
        return self.failures.get(self.failure_key(name), [])

    def forget_failures(self, name: str) -> bool:
        return self.failures.pop(self.failure_key(name), None) is not None

    def add_failure(self, name: str, at: dt.datetime, keep: list[dt.datetime]) -> None:
        self.failures[self.failure_key(name)] = [*keep, at]
        if len(self.failures) > MAX_FAILURE_NAMES:  # forget the names whose last failure is oldest
            for stale in sorted(self.failures, key=lambda n: max(self.failures[n]))[:len(self.failures) - MAX_FAILURE_NAMES]:
                del self.failures[stale]

    def note(self, at: dt.datetime, summary: str) -> None:
        self.notes.append({"at": at.isoformat(), "summary": summary})

    def take_notes(self) -> list[tuple[dt.datetime, str]]:
        notes = [(dt.datetime.fromisoformat(n["at"]), n["summary"]) for n in self.notes]
        self.notes = []
        return notes


LOCK_WAIT_SECONDS = 30.0


def key_lock_for(keys_path: Path) -> Path:
    """``facility.sqlite3.keys`` → ``facility.sqlite3.keys.lock``."""
    return keys_path.with_name(keys_path.name + ".lock")


_held: dict[str, list] = {}  # path → [handle, depth], this process's holds (re-entrant per thread)
_held_guard = threading.Lock()
_thread_locks: dict[str, threading.RLock] = {}


def _thread_lock(path: Path) -> threading.RLock:
    with _held_guard:
        return _thread_locks.setdefault(str(path), threading.RLock())


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the key file ``path`` alone while it is read, changed and written back: two writers
    (a failed sign-in and ``users disable``, two sign-ins counting failures) can never write over
    each other's change. An OS lock on ``NAME.keys.lock`` (a killed holder releases it), taken once
    per process and re-entrant within a thread (a change of users that holds it may commit, and
    the commit remembers what its author saw in the same file); what a killed writer left (its
    ``.NAME.keys-….tmp``) is removed by the next holder."""
    guard = _thread_lock(path)
    if not guard.acquire(timeout=LOCK_WAIT_SECONDS):
        raise DatabaseError(f"{path.name} is kept busy by another window; try again.")
    try:
        held = _held.get(str(path))
        if held is not None:  # this thread holds it already
            held[1] += 1
            try:
                yield
            finally:
                held[1] -= 1
            return
        try:
            handle = open_private(key_lock_for(path), "a+b")
        except OSError as exc:
            raise DatabaseError(f"Cannot lock {path.name} ({exc.strerror or exc}); check the folder's permissions.") from None
        try:
            deadline = time.monotonic() + LOCK_WAIT_SECONDS
            while True:
                try:
                    portalocker.lock(handle, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING)
                    break
                except (portalocker.AlreadyLocked, portalocker.LockException):
                    if time.monotonic() > deadline:
                        raise DatabaseError(f"{path.name} is kept busy by another program; try again.") from None
                    time.sleep(0.01)
            for leftover in path.parent.glob(f".{path.name[:TEMP_NAME_CHARS]}-*.tmp"):  # a killed writer's
                leftover.unlink(missing_ok=True)
            _held[str(path)] = [handle, 1]
            try:
                yield
            finally:
                _held.pop(str(path), None)
        finally:
            handle.close()  # closing releases the lock
    finally:
        guard.release()


@contextmanager
def editing(path: Path) -> Iterator[KeyFile]:
    """Load, change and save the key file in one step, holding it alone (``locked``)."""
    with locked(path):
        keys = KeyFile.load(path)
        before = keys.to_json()
        yield keys
        if keys.to_json() != before:
            keys.save()
