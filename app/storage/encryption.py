"""Encrypting an earlier version's unencrypted SQLite database, leaving no unencrypted copy.

The file is first identified through a read-only connection (a foreign or newer file is never
written to), its WAL is folded into it, then it is exported with SQLCipher into a new file under
a temporary name, an encrypted backup of that is kept (``<name>.before-<head>.backup``), the new
file is migrated and given its administrator, and only then renamed over the old one. The old
file's bytes are overwritten with zeros through a handle opened before the rename. Unencrypted
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

from app.security.keyfile import KeyFile
from app.storage.database import (
    COMPANIONS,
    Database,
    identify_plain,
    is_plain_sqlite,
    key_pragma,
    open_database,
    sqlcipher_module,
)
from app.storage.errors import DatabaseError
from app.storage.files import fsync_folder, make_private
from app.storage.schema_version import HEAD_REVISION

CHUNK = 1 << 20


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
    module = sqlcipher_module()
    conn = module.connect(plain.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        conn.execute("PRAGMA temp_store=MEMORY")
        quoted = str(target).replace("'", "''")
        conn.execute(f"ATTACH DATABASE '{quoted}' AS encrypted KEY \"x'{key.hex()}'\"")
        conn.execute("SELECT sqlcipher_export('encrypted')")
        conn.execute("DETACH DATABASE encrypted")
    except module.DatabaseError as exc:
        raise DatabaseError(f"{plain} could not be encrypted ({exc}); it was left as it was.") from None
    finally:
        conn.close()
    make_private(target)
    check = module.connect(target.resolve().as_uri(), uri=True)
    try:
        check.execute(key_pragma(key))
        if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise DatabaseError(f"The encrypted copy of {plain} failed its check; {plain} was left as it was.")
    finally:
        check.close()


def shred(path: Path, handle=None) -> None:  # type: ignore[no-untyped-def]
    """Overwrite a file's bytes with zeros, sync, and remove it (through ``handle`` if the name now
    points at another file)."""
    own = handle is None
    if own:
        try:
            handle = open(path, "r+b")  # noqa: SIM115 (closed below)
        except OSError:
            return
    try:
        size = os.fstat(handle.fileno()).st_size
        handle.seek(0)
        zeros = bytes(CHUNK)
        for start in range(0, size, CHUNK):
            handle.write(zeros[: min(CHUNK, size - start)])
        handle.flush()
        os.fsync(handle.fileno())
    finally:
        handle.close()
    if own:
        path.unlink(missing_ok=True)


def _temporary(path: Path, what: str) -> Path:
    return path.with_name(f".{path.name}.{what}-{os.urandom(4).hex()}")


def _remove(path: Path) -> None:
    for name in (path, *(path.with_name(path.name + c) for c in COMPANIONS)):
        name.unlink(missing_ok=True)


def earlier_copies(path: Path) -> list[Path]:
    """Unencrypted copies earlier versions kept beside the database (before migrations, restores)."""
    return sorted(p for p in path.parent.glob(f"{path.stem}.before-*{path.suffix}")
                  if p.is_file() and is_plain_sqlite(p))


def encrypt_earlier_version(path: Path, key: bytes, keys: KeyFile, first_user: Callable[[Database], None]) -> None:
    """Encrypt the earlier version's database at ``path`` under ``key`` (whose slots ``keys``
    holds), migrate it and let ``first_user`` add its administrator; see the module docstring."""
    from app.storage.backup import write_backup_file

    identify_plain(path)
    _fold_wal(path)
    building = _temporary(path, "encrypting")
    try:
        export_encrypted(path, building, key)
        revision = identify_revision(building, key)
        if revision != HEAD_REVISION:
            write_backup_file(building, key, keys, path.with_name(f"{path.stem}.before-{HEAD_REVISION}.backup"))
        db = open_database(f"sqlite:///{building}", key=key)
        try:
            first_user(db)
        finally:
            db.dispose()
        keys.save()
        with open(path, "r+b") as old:  # noqa: SIM115
            os.replace(building, path)
            fsync_folder(path.parent)
            shred(path, old)
        for companion in COMPANIONS:  # folded above; whatever is left holds no committed row
            shred(path.with_name(path.name + companion))
    finally:
        _remove(building)
    for copy in earlier_copies(path):
        _encrypt_copy(copy, key, keys)


def identify_revision(path: Path, key: bytes) -> str | None:
    module = sqlcipher_module()
    conn = module.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        conn.execute(key_pragma(key))
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    finally:
        conn.close()


def _encrypt_copy(copy: Path, key: bytes, keys: KeyFile) -> None:
    """An earlier version's unencrypted copy becomes an encrypted backup file, then is shredded; a
    file that turns out not to be such a copy is left alone."""
    from app.storage.backup import write_backup_file

    try:
        identify_plain(copy)
    except DatabaseError:
        return
    building = _temporary(copy, "encrypting")
    try:
        export_encrypted(copy, building, key)
        write_backup_file(building, key, keys, copy.with_name(f"{copy.stem}.backup"))
    except DatabaseError:
        return
    finally:
        _remove(building)
    shred(copy)
    for companion in COMPANIONS:
        shred(copy.with_name(copy.name + companion))
