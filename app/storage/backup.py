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
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from app.storage import case_search
from app.storage.database import COMPANIONS, connect_sqlite
from app.storage.errors import DatabaseError
from app.storage.files import TEMP_NAME_CHARS, cannot_write, check_output, make_private
from app.storage.journal import crash_point, operation
from app.storage.key_slots import KeySlots, key_file_for
from app.storage.schema_version import KNOWN_REVISIONS

BACKUP_FORMAT = "MROQC Facility Desk backup"
BACKUP_VERSION = 1
MANIFEST, KEYS, DATABASE = "manifest.json", "keys.json", "facility.sqlite3"
MEMBERS = {MANIFEST, KEYS, DATABASE}
MAX_SMALL_MEMBER = 1 << 20  # manifest and keys: a few kilobytes
#: the key file a restore reads from a backup (``app.security.keyfile.KeyFile``, whose ``load`` reads it)
Keys = TypeVar("Keys", bound=KeySlots)


@dataclass(frozen=True)
class VerifyReport:
    problems: list[str]
    revision: str | None
    facility: str | None
    audit_entries: int = 0
    #: what is worth knowing but proves no tampering (entries nobody with keys wrote)
    warnings: tuple[str, ...] = ()
    signed_transactions: int = 0

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
        problems.extend(case_search.index_problems(conn))
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


#: Tables whose row counts a backup's manifest lists (what a restore shows before anything changes).
COUNTED_TABLES = ("cases", "dosimetry_submissions", "data_entries", "staff", "role_assignments", "absences",
                  "meetings", "attendance", "correspondence", "program_years", "qip_episodes", "finding_reviews",
                  "users", "audit_log")


def table_counts(conn) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Rows per table of ``COUNTED_TABLES`` that the database has (a DB-API connection)."""
    present = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return {table: int(conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
            for table in COUNTED_TABLES if table in present}


def write_backup_file(db_file: Path, key: bytes, keys: KeySlots, out: Path, *, journal_for: Path | None = None,
                      taken_by: str | None = None) -> VerifyReport:
    """Back up the encrypted database file ``db_file`` (live or not) into the one-file backup ``out``.

    Journaled (``app.storage.journal``, beside ``journal_for``, the database a person opens —
    ``db_file`` unless that is a temporary): a kill leaves no temporary behind once the database
    is next opened, and ``out`` is either the previous file of that name or the whole new backup."""
    out = Path(out).expanduser().resolve()
    check_output(out)  # before the copy is made: a name too long is refused at once
    tag = os.urandom(4).hex()
    short = out.name[:TEMP_NAME_CHARS]  # a temporary's name stays within what the file system holds
    work = out.parent / f".{short}.backup-{tag}"
    archive_tmp = out.parent / f".{short}.{tag}.zip"
    with operation(journal_for or db_file, "backup", [work, archive_tmp]) as journal:
        try:
            report = _write_archive(db_file, key, keys, work, archive_tmp, taken_by)
        except OSError as exc:  # a full disk, a folder gone read-only: one line, nothing left (rolled back)
            raise cannot_write(out, exc) from None
        journal.commit([(archive_tmp, out, True)])
    return report


def _write_archive(db_file: Path, key: bytes, keys: KeySlots, work: Path, archive_tmp: Path,
                   taken_by: str | None) -> VerifyReport:
    """The database copied (online) into ``work``, checked, and archived with its manifest and key
    slots into ``archive_tmp``, synced."""
    # here, not at the top: app.__version__ loads importlib.metadata (~50 ms) on first use
    from app import __version__

    work.mkdir(mode=0o700)
    copy = work / DATABASE
    src = connect_sqlite(db_file, key)
    dst = connect_sqlite(copy, key)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # a backup is one self-contained file
        counts = table_counts(dst)
    finally:
        dst.close()
        src.close()
    crash_point("backup:copied")
    report = check_file(copy, key)
    if not report.ok:
        raise DatabaseError("The backup copy failed its integrity check: " + report.problems[0])
    manifest = {"format": BACKUP_FORMAT, "version": BACKUP_VERSION, "database_id": keys.database_id,
                "revision": report.revision, "facility": report.facility,
                "taken_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
                "taken_by": taken_by, "app_version": __version__, "counts": counts}
    slots = keys.backup_json()
    with zipfile.ZipFile(archive_tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, indent=1))
        archive.writestr(KEYS, json.dumps(slots, indent=1))
        archive.write(copy, DATABASE)
    with open(archive_tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    make_private(archive_tmp)
    crash_point("backup:written")
    return report


@dataclass(frozen=True)
class OpenedBackup(Generic[Keys]):
    manifest: dict
    keys: Keys
    database: Path  # extracted into the work folder the caller's journal removes


def read_manifest(backup_file: Path) -> dict:
    """What a backup says of itself (facility, taken when and by whom, app version, counts), read
    without a password: the manifest is not secret (it holds no patient value)."""
    archive = _open_archive(Path(backup_file))
    with archive:
        return _manifest(archive, Path(backup_file))


def _open_archive(backup_file: Path) -> zipfile.ZipFile:
    if not backup_file.is_file():
        raise DatabaseError(f"No backup file at {backup_file}.")
    try:
        archive = zipfile.ZipFile(backup_file)
    except (zipfile.BadZipFile, OSError):
        raise DatabaseError(f"{backup_file.name} is not an MROQC Facility Desk backup; nothing was changed.") from None
    infos = {info.filename: info for info in archive.infolist()}
    if set(infos) != MEMBERS or any(infos[name].file_size > MAX_SMALL_MEMBER for name in (MANIFEST, KEYS)):
        archive.close()
        raise DatabaseError(f"{backup_file.name} is not an MROQC Facility Desk backup; nothing was changed.")
    return archive


def _manifest(archive: zipfile.ZipFile, backup_file: Path) -> dict:
    try:
        manifest = json.loads(archive.read(MANIFEST))
        if not isinstance(manifest, dict) or manifest.get("format") != BACKUP_FORMAT:
            raise ValueError("not a backup")
        if int(manifest.get("version", 0)) > BACKUP_VERSION:
            raise DatabaseError(f"{backup_file.name} was written by a newer version of MROQC Facility Desk.")
    except DatabaseError:
        raise
    except (ValueError, KeyError, TypeError, zipfile.BadZipFile, OSError):
        raise DatabaseError(f"{backup_file.name} is damaged; nothing was changed.") from None
    return manifest


def extract_backup(backup_file: Path, work: Path, load_keys: Callable[[Path], Keys]) -> OpenedBackup[Keys]:
    """Check a backup file's form and extract its database and key slots into the folder ``work``
    (created here; beside the target, so moving the database into place is a rename), the slots read
    by ``load_keys`` (``KeyFile.load``). Refuses anything that is not a backup. The caller's journal
    names ``work`` as a temporary."""
    backup_file = Path(backup_file)
    archive = _open_archive(backup_file)
    with archive:
        manifest = _manifest(archive, backup_file)
        size = archive.getinfo(DATABASE).file_size
        if size > shutil.disk_usage(work.parent).free:
            raise DatabaseError(f"There is not enough free space in {work.parent} to restore {backup_file.name}.")
        work.mkdir(mode=0o700)
        try:
            keys_path = work / "keys.json"
            keys_path.write_bytes(archive.read(KEYS))
            keys = load_keys(keys_path)
            database = work / DATABASE
            with archive.open(DATABASE) as source, open(database, "wb") as target:
                shutil.copyfileobj(source, target, 1 << 20)
                target.flush()
                os.fsync(target.fileno())
        except DatabaseError:
            raise
        except (ValueError, KeyError, zipfile.BadZipFile, OSError):
            raise DatabaseError(f"{backup_file.name} is damaged; nothing was changed.") from None
    return OpenedBackup(manifest=manifest, keys=keys, database=database)


def free_aside_name(db_path: Path, label: str) -> Path:
    """``<stem>.<label><suffix>`` — or ``<stem>.<label>-2<suffix>``, -3, … — whichever is free with its
    key file: a copy kept earlier is never overwritten (it may hold the only copy of some data)."""
    for number in range(1, 10_000):
        tail = label if number == 1 else f"{label}-{number}"
        aside = db_path.with_name(f"{db_path.stem}.{tail}{db_path.suffix}")
        if not any(p.exists() for p in (aside, key_file_for(aside), *(aside.with_name(aside.name + c) for c in COMPANIONS))):
            return aside
    raise DatabaseError(f"Too many copies named {db_path.stem}.{label}… beside {db_path.name}; move some elsewhere.")


def aside_renames(db_path: Path, aside: Path) -> list[tuple[Path, Path]]:
    """The renames that set the database, its companions and its key file aside as ``aside``
    (companions first: the file and what belongs to it stay together whatever is interrupted)."""
    return [*((db_path.with_name(db_path.name + c), aside.with_name(aside.name + c)) for c in COMPANIONS),
            (db_path, aside), (key_file_for(db_path), key_file_for(aside))]
