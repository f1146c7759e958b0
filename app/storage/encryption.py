"""Encrypting an earlier version's unencrypted SQLite database, leaving no unencrypted copy.

The file is first identified through a read-only connection (a foreign or newer file is never
written to), its WAL is folded into it, then it is exported with SQLCipher into a new file under
a temporary name, an encrypted backup of that is kept (``<name>.before-<head>.backup``), the new
file is migrated and given its administrator, and only then does it take the old one's name (the
old one renamed to a hidden name first, then its bytes overwritten with zeros and removed — all
under a journal, so a kill at any step is finished by the next open). Unencrypted
copies that earlier versions left beside it (``<name>.before-*.sqlite3``) become encrypted
backups the same way.

Overwriting is best effort: on copy-on-write or wear-levelled storage old blocks may survive;
docs/security.md says so and recommends full-disk encryption as well.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from app.paths import file_url
from app.storage.backup import write_backup_file
from app.storage.database import (
    COMPANIONS,
    Database,
    key_pragma,
    open_database,
    sqlcipher_module,
)
from app.storage.errors import DatabaseError
from app.storage.files import make_private, shred  # noqa: F401 (shred: its home was here)
from app.storage.journal import crash_point, operation
from app.storage.key_slots import KeySlots, key_file_for
from app.storage.locks import exclusive
from app.storage.plain_file import identify_plain, is_plain_sqlite
from app.storage.schema_version import HEAD_REVISION


def _fold_wal(path: Path) -> None:
    """Move the WAL's committed pages into the file and close it, so the WAL holds no row any more."""
    conn = sqlite3.connect(path.resolve().as_uri(), uri=True)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} cannot be read ({exc}); it was left untouched.") from None
    finally:
        conn.close()


def export_encrypted(plain: Path, target: Path, key: bytes) -> None:
    """Write ``plain`` into a new SQLCipher file ``target`` keyed with ``key`` (read-only on ``plain``)."""
    export_with_key(plain, None, target, key, failed=f"{plain} could not be encrypted ({{exc}}); it was left as it was.")


def export_with_key(source: Path, source_key: bytes | None, target: Path, key: bytes, *, failed: str) -> None:
    """Write ``source`` (unencrypted, or keyed with ``source_key``) into a new SQLCipher file
    ``target`` keyed with ``key`` (SQLCipher's export, read-only on ``source``), then check every
    page of it: the encryption of an earlier version's file and a re-key. ``failed``: what to say,
    ``{exc}`` the driver's reason."""
    module = sqlcipher_module()
    conn = module.connect(source.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        if source_key is not None:
            conn.execute(key_pragma(source_key))
        conn.execute("PRAGMA temp_store=MEMORY")
        quoted = str(target).replace("'", "''")
        conn.execute(f"ATTACH DATABASE '{quoted}' AS exported KEY \"x'{key.hex()}'\"")
        conn.execute("SELECT sqlcipher_export('exported')")
        conn.execute("DETACH DATABASE exported")
    except module.DatabaseError as exc:
        raise DatabaseError(failed.format(exc=exc)) from None
    finally:
        conn.close()
    make_private(target)
    check = module.connect(target.resolve().as_uri(), uri=True)
    try:
        check.execute(key_pragma(key))
        if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise DatabaseError(f"The new copy of {source.name} failed its check; {source.name} was left as it was.")
    finally:
        check.close()


def _temporary(path: Path, what: str) -> Path:
    return path.with_name(f".{path.name}.{what}-{os.urandom(4).hex()}")


def _remove(path: Path) -> None:
    for name in (path, *(path.with_name(path.name + c) for c in COMPANIONS)):
        name.unlink(missing_ok=True)


def earlier_copies(path: Path) -> list[Path]:
    """Unencrypted copies earlier versions kept beside the database (before migrations, restores)."""
    return sorted(p for p in path.parent.glob(f"{path.stem}.before-*{path.suffix}")
                  if p.is_file() and is_plain_sqlite(p))


def encrypt_earlier_version(path: Path, key: bytes, keys: KeySlots, first_user: Callable[[Database], None]) -> None:
    """Encrypt the earlier version's database at ``path`` under ``key`` (whose slots ``keys``
    holds), migrate it and let ``first_user`` add its administrator; see the module docstring.

    Done alone (``app.storage.locks.exclusive``) under a journal (``app.storage.journal``): the
    encrypted file and its key file are built under hidden names; then the plain file is renamed
    to a hidden name, the key file and the encrypted file take their names, and the plain file is
    overwritten and removed. A kill at any step leaves the plain file as it was, or the encrypted
    one with its key file — and the next open finishes the overwriting."""
    identify_plain(path)
    with exclusive(path, "encryption", doing="encrypted"):
        identify_plain(path)  # again, now that nobody else has it: a settled journal may have changed it
        building = _temporary(path, "encrypting")
        plain = _temporary(path, "plain")
        temporaries = [building, *(building.with_name(building.name + c) for c in COMPANIONS), key_file_for(building)]
        with operation(path, "encryption", temporaries) as journal:
            _fold_wal(path)
            export_encrypted(path, building, key)
            crash_point("encryption:exported")
            revision = identify_revision(building, key)
            if revision != HEAD_REVISION:
                write_backup_file(building, key, keys, path.with_name(f"{path.stem}.before-{HEAD_REVISION}.backup"),
                                  journal_for=path)
            db = open_database(file_url(building), key=key, hold=False)
            try:
                first_user(db)
            finally:
                db.dispose()
            _fold_wal_encrypted(building, key)
            final_keys = keys.path
            keys.path = key_file_for(building)
            keys.save()
            keys.path = final_keys
            crash_point("encryption:built")
            journal.commit(
                [*((path.with_name(path.name + c), plain.with_name(plain.name + c)) for c in COMPANIONS),
                 (path, plain), (key_file_for(building), final_keys, True), (building, path)],
                shreds=[plain, *(plain.with_name(plain.name + c) for c in COMPANIONS)])
    encrypt_earlier_copies(path, key, keys)


def _fold_wal_encrypted(path: Path, key: bytes) -> None:
    """One file to move: the encrypted build's WAL folded into it."""
    module = sqlcipher_module()
    conn = module.connect(path.resolve().as_uri(), uri=True)
    try:
        conn.execute(key_pragma(key))
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


def encrypt_earlier_copies(path: Path, key: bytes, keys: KeySlots) -> None:
    """Unencrypted copies earlier versions kept beside ``path`` become encrypted backups (also run at
    every sign-in, so a copy left by an interrupted encryption is done the next time)."""
    for copy in earlier_copies(path):
        _encrypt_copy(copy, key, keys, path)


def identify_revision(path: Path, key: bytes) -> str | None:
    module = sqlcipher_module()
    conn = module.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        conn.execute(key_pragma(key))
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    finally:
        conn.close()


def _encrypt_copy(copy: Path, key: bytes, keys: KeySlots, db_path: Path) -> None:
    """An earlier version's unencrypted copy becomes an encrypted backup file, then is shredded; a
    file that turns out not to be such a copy is left alone. Journaled beside ``db_path``."""
    try:
        identify_plain(copy)
    except DatabaseError:
        return
    building = _temporary(copy, "encrypting")
    try:
        with operation(db_path, "copy-encryption",
                       [building, *(building.with_name(building.name + c) for c in COMPANIONS)]) as journal:
            export_encrypted(copy, building, key)
            write_backup_file(building, key, keys, copy.with_name(f"{copy.stem}.backup"), journal_for=db_path)
            crash_point("copy-encryption:written")
            journal.commit([], shreds=[copy, *(copy.with_name(copy.name + c) for c in COMPANIONS)])
    except DatabaseError:
        return
