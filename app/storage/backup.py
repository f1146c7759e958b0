"""Backups, restore and the integrity check of a facility database.

A backup is one file: a ZIP archive (stored, not compressed: the content is encrypted) holding
a manifest, the key file's slots as they were when it was taken, and the SQLCipher database
copied through SQLite's online backup. So it opens with the passwords (or the recovery key) that
were valid then, and with nothing else. Restoring checks the backup under the restoring
administrator's password, then moves the current database aside (``<name>.before-restore…``,
still an openable database) and puts the backup's in its place.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.security.keyfile import KeyFile, key_file_for
from app.storage.database import COMPANIONS, connect_sqlite
from app.storage.errors import DatabaseError
from app.storage.files import atomic_path, check_output, make_private
from app.storage.schema_version import KNOWN_REVISIONS

BACKUP_FORMAT = "MROQC Facility Desk backup"
BACKUP_VERSION = 1
MANIFEST, KEYS, DATABASE = "manifest.json", "keys.json", "facility.sqlite3"
MEMBERS = {MANIFEST, KEYS, DATABASE}
MAX_SMALL_MEMBER = 1 << 20  # manifest and keys: a few kilobytes


@dataclass(frozen=True)
class VerifyReport:
    problems: list[str]
    revision: str | None
    facility: str | None
    audit_entries: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def check_file(path: Path, key: bytes | None) -> VerifyReport:
    """Every page's integrity (and, encrypted, every page's HMAC), foreign keys and the schema
    version of a database file, through a read-only connection."""
    problems: list[str] = []
    try:
        conn = connect_sqlite(path, key, read_only=True)
    except Exception as exc:  # the driver's own error types differ between sqlite3 and sqlcipher3
        raise DatabaseError(f"{path} cannot be read ({exc}).") from None
    try:
        if key is not None:
            problems.extend(f"encryption: {row[0]}" for row in conn.execute("PRAGMA cipher_integrity_check").fetchall()[:20])
        integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if integrity != ["ok"]:
            problems.extend(f"integrity: {line}" for line in integrity[:20])
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "alembic_version" not in tables or "facility" not in tables:
            raise DatabaseError(f"{path} is not an MROQC Facility Desk database.")
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
        row = conn.execute("SELECT name FROM facility LIMIT 1").fetchone()
        facility = row[0] if row else None
        for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check"):
            problems.append(f"foreign key: {table} row {rowid} points to a missing {parent} record")
            if len(problems) > 50:
                break
    except DatabaseError:
        raise
    except Exception as exc:
        raise DatabaseError(f"{path} is damaged and cannot be read ({exc}).") from None
    finally:
        conn.close()
    if revision is None:
        problems.append("schema: no version recorded")
    elif revision not in KNOWN_REVISIONS:
        problems.append(f"schema: version {revision} is from a newer app version")
    return VerifyReport(problems=problems, revision=revision, facility=facility)


def write_backup_file(db_file: Path, key: bytes, keys: KeyFile, out: Path) -> VerifyReport:
    """Back up the encrypted database file ``db_file`` (live or not) into the one-file backup ``out``."""
    out = Path(out).expanduser().resolve()
    check_output(out)  # before the copy is made: a name too long is refused at once
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=out.parent) as work:
        copy = Path(work) / DATABASE
        src = connect_sqlite(db_file, key)
        dst = connect_sqlite(copy, key)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # a backup is one self-contained file
        finally:
            dst.close()
            src.close()
        report = check_file(copy, key)
        if not report.ok:
            raise DatabaseError("The backup copy failed its integrity check: " + report.problems[0])
        manifest = {"format": BACKUP_FORMAT, "version": BACKUP_VERSION, "database_id": keys.database_id,
                    "revision": report.revision, "facility": report.facility,
                    "taken_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()}
        slots = KeyFile(path=keys.path, database_id=keys.database_id, slots=dict(keys.slots)).to_json()
        # the archive closes before atomic_path syncs and renames it
        with atomic_path(out, ".zip") as tmp, \
                zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            archive.writestr(MANIFEST, json.dumps(manifest, indent=1))
            archive.writestr(KEYS, json.dumps(slots, indent=1))
            archive.write(copy, DATABASE)
    make_private(out)
    return report


@dataclass(frozen=True)
class OpenedBackup:
    manifest: dict
    keys: KeyFile
    database: Path  # extracted, private, removed when the ``open_backup`` block ends


@contextmanager
def open_backup(backup_file: Path, work_folder: Path) -> Iterator[OpenedBackup]:
    """Check a backup file's form and extract its database into ``work_folder`` (beside the
    target, so moving it into place is a rename). Refuses anything that is not a backup."""
    backup_file = Path(backup_file)
    if not backup_file.is_file():
        raise DatabaseError(f"No backup file at {backup_file}.")
    try:
        archive = zipfile.ZipFile(backup_file)
    except (zipfile.BadZipFile, OSError):
        raise DatabaseError(f"{backup_file} is not an MROQC Facility Desk backup; nothing was changed.") from None
    with archive, tempfile.TemporaryDirectory(prefix=".restore-", dir=work_folder) as work:
        infos = {info.filename: info for info in archive.infolist()}
        if set(infos) != MEMBERS or any(infos[name].file_size > MAX_SMALL_MEMBER for name in (MANIFEST, KEYS)):
            raise DatabaseError(f"{backup_file} is not an MROQC Facility Desk backup; nothing was changed.")
        free = shutil.disk_usage(work_folder).free
        if infos[DATABASE].file_size > free:
            raise DatabaseError(f"There is not enough free space in {work_folder} to restore {backup_file.name}.")
        try:
            manifest = json.loads(archive.read(MANIFEST))
            if manifest.get("format") != BACKUP_FORMAT:
                raise ValueError("not a backup")
            if int(manifest.get("version", 0)) > BACKUP_VERSION:
                raise DatabaseError(f"{backup_file} was written by a newer version of MROQC Facility Desk.")
            keys_path = Path(work) / "keys.json"
            keys_path.write_bytes(archive.read(KEYS))
            keys = KeyFile.load(keys_path)
            database = Path(work) / DATABASE
            with archive.open(DATABASE) as source, open(database, "wb") as target:
                shutil.copyfileobj(source, target, 1 << 20)
        except DatabaseError:
            raise
        except (ValueError, KeyError, zipfile.BadZipFile, OSError):
            raise DatabaseError(f"{backup_file} is damaged; nothing was changed.") from None
        yield OpenedBackup(manifest=manifest, keys=keys, database=database)


def set_aside(db_path: Path, label: str) -> Path | None:
    """Rename the database, its companions and its key file to ``<stem>.<label><suffix>…``, so
    it stays an openable database; returns the new name (None when there was nothing)."""
    if not db_path.exists():
        return None
    aside = db_path.with_name(f"{db_path.stem}.{label}{db_path.suffix}")
    for old in (aside, *(aside.with_name(aside.name + c) for c in COMPANIONS), key_file_for(aside)):
        old.unlink(missing_ok=True)
    os.replace(db_path, aside)
    for companion in COMPANIONS:
        if db_path.with_name(db_path.name + companion).exists():
            os.replace(db_path.with_name(db_path.name + companion), aside.with_name(aside.name + companion))
    if key_file_for(db_path).exists():
        os.replace(key_file_for(db_path), key_file_for(aside))
    return aside
