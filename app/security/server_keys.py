"""A person's keys on a shared database: wrapped under their own password before they reach the server.

A SQLite file keeps each person's keys (signing, sealing, an administrator's copy of the facility
CA's key, the facility certificate they trust) in their key slot (``app.security.keyfile``). A
server has no key file, so the same slot — Argon2id of the password, AES-256-GCM boxes, bound to
the person's name — is kept as text in ``person_keys``, which only that person reads (row-level
security) and only the server's definer functions write. The server never sees a key unwrapped,
nor the password (only its SCRAM verifier, in its own catalogue): someone who reads the table
reads ciphertext.

The slot wraps a random check value where a file's slot wraps the database key: unwrapping it
proves the password, so a server that lets anyone in (``trust`` in ``pg_hba.conf``) still does not
give a person's keys, or their sign-in, to a wrong password.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from app.security.keyfile import KeyFile, Slot, Unlocked, user_slot

FORMAT = "MROQC Facility Desk person keys"
VERSION = 1
_CHECK_BYTES = 32


def _keyfile(database_id: str) -> KeyFile:
    return KeyFile(path=Path("(server)"), database_id=database_id)


def wrap(name: str, password: str, boxes: dict[str, bytes]) -> tuple[str, bytes]:
    """``boxes`` wrapped under ``password`` for the person ``name``: (the text kept on the server,
    the key that wraps them, for adding a box later in the session)."""
    keys = _keyfile(os.urandom(16).hex())
    kek = keys.wrap(user_slot(name), password, os.urandom(_CHECK_BYTES), boxes=boxes)
    return _text(keys, name), kek


def _text(keys: KeyFile, name: str) -> str:
    return json.dumps({"format": FORMAT, "version": VERSION, "database_id": keys.database_id,
                       "slot": keys.slots[user_slot(name)].to_json()}, sort_keys=True)


def _load(text: str, name: str) -> KeyFile | None:
    try:
        data = json.loads(text)
        if data.get("format") != FORMAT or int(data.get("version", 0)) > VERSION:
            return None
        keys = _keyfile(str(data["database_id"]))
        keys.slots[user_slot(name)] = Slot.from_json(data["slot"])
        return keys
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def unwrap(text: str | None, name: str, password: str) -> Unlocked | None:
    """What ``password`` opens of ``name``'s keys (None: a wrong password, or keys of another name)."""
    keys = _load(text or "", name)
    if keys is None:
        return None
    unlocked = keys.unlock(user_slot(name), password)
    if unlocked is None or unlocked.database_key is None:
        return None
    unlocked.database_key = None  # a check value, not a key of anything
    return unlocked


def put_boxes(text: str, name: str, kek: bytes, boxes: dict[str, bytes]) -> str:
    """The same slot with ``boxes`` added or replaced (under the key a sign-in unwrapped)."""
    keys = _load(text, name)
    if keys is None:
        raise ValueError("not a person's keys")
    keys.put_boxes(user_slot(name), kek, boxes)
    return _text(keys, name)
