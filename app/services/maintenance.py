"""Backing up, restoring and checking a facility database, for the CLI and Settings → Data.

A backup is written from the open, signed-in database (a coordinator or administrator); a
restore is checked under the backup's own passwords (an administrator of the backup, or its
recovery key) before the current database is moved aside; the integrity check covers every
page, the foreign keys, the schema version and the audit log's hash chain.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import inspect as sql_inspect
from sqlalchemy import select, text

from app.domain.permissions import Actor, NotAllowed, Permission
from app.paths import file_url
from app.security import evidence
from app.security.keyfile import RECOVERY_SLOT, KeyFile, Unlocked, key_file_for, user_slot
from app.security.passwords import normal_recovery_key
from app.security.people import authorities, person_from_boxes
from app.security.signin import RECOVERY_NAME, WRONG, SignInFailed, normal_name, now_utc
from app.storage import audit, case_search
from app.storage.backup import (
    COUNTED_TABLES,
    OpenedBackup,
    VerifyReport,
    aside_renames,
    check_file,
    extract_backup,
    free_aside_name,
    read_manifest,
    table_counts,
    write_backup_file,
)
from app.storage.database import (
    Database,
    connect_sqlite,
    is_database_file,
    open_database,
    sqlite_path,
)
from app.storage.errors import DatabaseError
from app.storage.journal import crash_point, operation
from app.storage.locks import APPLICATION, exclusive
from app.storage.models import Facility, User
from app.storage.schema_version import KNOWN_REVISIONS


def _sqlite_only(db: Database, what: str) -> Path:
    if db.path is None or db.key is None:
        raise DatabaseError(f"{what} works on a SQLite file; for PostgreSQL use the server's own tools (pg_dump).")
    return db.path


def reindex_database(db: Database) -> int:
    """Every index of the SQLite file made again from its table (``REINDEX``: what a damaged
    index that ``verify`` names needs), the register's search index of the case IDs too
    (``app.storage.case_search``); one transaction, audited. Returns the case IDs indexed."""
    db.require(Permission.FACILITY)
    _sqlite_only(db, "Reindex")
    with db.transaction(Permission.FACILITY) as session:
        connection = session.connection()
        connection.exec_driver_sql("REINDEX")
        indexed = case_search.rebuild(connection) if case_search.held_by(connection) else 0
        audit.note(session, f"every index made again from its table; {indexed} case IDs in the register's search "
                            "index", table="cases")
    return indexed


def backup_database(db: Database, out: Path) -> VerifyReport:
    """One backup file of the open database (online: others may keep working)."""
    db.require(Permission.BACKUP)
    path = _sqlite_only(db, "Backup")
    out = Path(out).expanduser().resolve()
    if is_database_file(path, out):
        raise DatabaseError(f"Choose another file for the backup: {out.name} is one of the database's own files "
                            f"(every name beginning with {path.name} beside it is).")
    assert db.key is not None
    db.check_still_there()
    report = write_backup_file(path, db.key, KeyFile.load(key_file_for(path)), out,
                               taken_by=db.actor.name if db.actor else None)
    with db.transaction(Permission.BACKUP) as session:
        audit.note(session, f"backup written to {out.name}", table="backups")
    return report


@dataclass(frozen=True)
class AuditPosition:
    """Where the audit log was when a self-audit was signed (it carries this)."""

    last_id: int
    last_hash: str
    entries: int


def verify_database(db: Database, *, against: AuditPosition | None = None, rows: bool = True) -> VerifyReport:
    """Pages (and their encryption), foreign keys and schema of a SQLite file; the audit chain
    always; every transaction signed by its author with a certificate of the facility this person
    trusts; rows no audit entry explains (``rows``); key slots of no active user; and, ``against``,
    that the log still extends what a signed self-audit recorded (``app.security.evidence``)."""
    if db.path is not None and db.key is not None:
        report = check_file(db.path, db.key)
    else:
        with db.reader() as session:
            from sqlalchemy import text

            revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
            facility = session.scalars(select(Facility.name).limit(1)).first()
        problems = [] if revision in KNOWN_REVISIONS else [f"schema: version {revision} is not known to this app"]
        report = VerifyReport(problems=problems, revision=revision, facility=facility)
    person = getattr(db, "person", None)
    trusted = getattr(person, "trusted", None)
    warnings: list[str] = []
    with db.reader() as session:
        chain = audit.verify_chain(session)
        roots = [trusted] if trusted is not None else authorities(session)
        if trusted is None and roots:
            warnings.append("signatures checked against the facility certificate the database holds (signed in "
                            "without a person's own trust: the recovery key)")
        signed = evidence.check_signatures(session, roots, since=getattr(person, "signed_from", None))
        replayed = evidence.unexplained_rows(session) if rows else []
        behind = evidence.check_against(session, against.last_id, against.last_hash, against.entries) if against else None
        active = {n for n, in session.execute(select(User.name).where(User.disabled.is_(False)))}
    problems = list(report.problems)
    if not chain.intact:
        problems.append(f"audit log: {chain.problem}")
    problems.extend(f"audit log: {p}" for p in signed.problems)
    problems.extend(f"table {p}" for p in replayed)
    if behind:
        problems.append(f"against the self-audit: {behind}")
    if db.path is not None and db.encrypted:
        slots = KeyFile.load(key_file_for(db.path)).slots
        problems.extend(f"key file: a slot of {slot[5:]}, who is no active user, opens the database (it is removed at "
                        "the next sign-in)" for slot in slots if slot.startswith("user:") and slot[5:] not in active)
    warnings.extend(signed.warnings)
    return replace(report, problems=problems, audit_entries=chain.entries, warnings=tuple(warnings),
                   signed_transactions=signed.signed)


def connected_elsewhere(db: Database) -> list[str]:
    """The other sessions of this app on a shared database (PostgreSQL's own list, by the name each
    workstation gives itself), in words: what IT checks before restoring the server's database."""
    if db.is_sqlite:
        return []


    with db.reader() as session:
        rows = session.execute(text(
            "SELECT application_name, client_addr, backend_start FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name LIKE :ours "
            "ORDER BY backend_start"), {"ours": f"{APPLICATION}%"}).all()
    return [f"{name} from {addr or 'this server'} since {started:%Y-%m-%d %H:%M}" for name, addr, started in rows]


@dataclass(frozen=True)
class BackupContents:
    """What a backup holds, shown before a restore changes anything."""

    file: Path
    facility: str | None
    taken_at: dt.datetime | None  # UTC
    taken_by: str | None
    app_version: str | None
    revision: str | None
    counts: dict[str, int]
    verified: bool  # read from the backup's own database with a password that opens it (not only its label)


def _taken_at(manifest: dict) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(str(manifest.get("taken_at")))
    except ValueError:
        return None
    return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value


def describe_backup(backup_file: Path) -> BackupContents:
    """What the backup says of itself, without a password (its label; ``inspect_backup`` checks it)."""
    manifest = read_manifest(Path(backup_file))
    counts = manifest.get("counts") if isinstance(manifest.get("counts"), dict) else {}
    return BackupContents(Path(backup_file), manifest.get("facility"), _taken_at(manifest), manifest.get("taken_by"),
                          manifest.get("app_version"), manifest.get("revision"),
                          {str(k): int(v) for k, v in counts.items() if isinstance(v, int)}, verified=False)


def _unlock_backup(backup: OpenedBackup[KeyFile], backup_file: Path, name: str, secret: str, recovery: bool) -> bytes:
    """The backup's database key, for an administrator of the backup (or its recovery key), after
    every page of it was checked; refuses anyone else."""
    return _unlock_backup_slot(backup, backup_file, name, secret, recovery).database_key  # type: ignore[return-value]


def _unlock_backup_slot(backup: OpenedBackup[KeyFile], backup_file: Path, name: str, secret: str, recovery: bool) -> Unlocked:
    keys = backup.keys
    unlocked = keys.unlock(RECOVERY_SLOT, normal_recovery_key(secret)) if recovery else keys.unlock(user_slot(name), secret)
    key = unlocked.database_key if unlocked is not None else None
    if key is None or unlocked is None:
        raise SignInFailed(WRONG + " for that backup")
    report = check_file(backup.database, key)
    if not report.ok:
        raise DatabaseError(f"{Path(backup_file).name} is not a valid backup: {report.problems[0]}")
    if not recovery:
        db = open_database(file_url(backup.database), key=key, migrate=False, hold=False)
        try:
            with db.reader() as session:
                user = session.scalars(select(User).where(User.name == name)).first()
        finally:
            db.dispose()
        if user is None or user.disabled:
            raise SignInFailed(WRONG + " for that backup")
        if user.role != "admin":
            raise NotAllowed(Permission.RESTORE, Actor(name, user.role))
    return unlocked


def _restore_target(url: str) -> Path:
    target = sqlite_path(url)
    if target is None:
        raise DatabaseError("Restore works on a SQLite file; for PostgreSQL use the server's own tools (pg_restore).")
    target = target.expanduser().resolve()
    if not target.parent.is_dir():
        raise DatabaseError(f"The folder {target.parent} does not exist.")
    return target


def inspect_backup(url: str, backup_file: Path, name: str, secret: str, *, recovery: bool = False) -> BackupContents:
    """What the backup holds, read from its own database with the password of one of its
    administrators (or its recovery key): facility, schema, rows per table. Extracted beside the
    database at ``url`` (a journal removes it whatever happens); nothing else changes."""
    target = _restore_target(url)
    name = RECOVERY_NAME if recovery else normal_name(name)
    work = target.parent / f".{target.name}.inspect-{os.urandom(4).hex()}"
    with operation(target, "inspect", [work]):
        backup = extract_backup(Path(backup_file), work, KeyFile.load)
        key = _unlock_backup(backup, Path(backup_file), name, secret, recovery)
        conn = connect_sqlite(backup.database, key, read_only=True)
        try:
            counts = table_counts(conn)
            facility = (conn.execute("SELECT name FROM facility LIMIT 1").fetchone() or (None,))[0]
            revision = (conn.execute("SELECT version_num FROM alembic_version").fetchone() or (None,))[0]
        finally:
            conn.close()
    manifest = backup.manifest
    return BackupContents(Path(backup_file), facility, _taken_at(manifest), manifest.get("taken_by"),
                          manifest.get("app_version"), revision, counts, verified=True)


def current_counts(db: Database) -> dict[str, int]:
    """Rows per table of the open database, beside a backup's before a restore."""
    present = set(sql_inspect(db.engine).get_table_names())
    with db.reader() as session:
        return {table: int(session.execute(text(f'SELECT count(*) FROM "{table}"')).scalar() or 0)
                for table in COUNTED_TABLES if table in present}


@dataclass(frozen=True)
class RestoreReport:
    facility: str | None
    taken_at: str | None
    set_aside: Path | None


def restore_database(url: str, backup_file: Path, name: str, secret: str, *, recovery: bool = False,
                     at: dt.datetime | None = None) -> RestoreReport:
    """Replace the SQLite database at ``url`` with a backup, signed in to the backup as an
    administrator (or with its recovery key).

    Refused while anyone has the database open (``app.storage.locks``, naming them). Journaled
    (``app.storage.journal``): the backup is extracted, checked, migrated and given the audit entry
    of this restore beside the database, under a hidden name, while the database is untouched;
    then the current database (with its companions and key file) is renamed aside to the first
    free ``<name>.before-restore[-N]<suffix>`` — never over an earlier copy — and the backup's key
    file and database take their names. A kill at any step leaves the old database or the
    restored one, each with its key file, once the database is next opened."""
    at = at or now_utc()
    target = _restore_target(url)
    name = RECOVERY_NAME if recovery else normal_name(name)
    work = target.parent / f".{target.name}.restore-{os.urandom(4).hex()}"
    with exclusive(target, "restore", user=name, doing="restored"), \
            operation(target, "restore", [work]) as journal:
        backup = extract_backup(Path(backup_file), work, KeyFile.load)
        crash_point("restore:extracted")
        unlocked = _unlock_backup_slot(backup, Path(backup_file), name, secret, recovery)
        key = unlocked.database_key
        assert key is not None
        report = check_file(backup.database, key)
        taken_at = backup.manifest.get("taken_at")
        db = open_database(file_url(backup.database), key=key, hold=False)  # migrated here, not in place
        try:
            db.actor = Actor(name, "admin")
            person = None if recovery else person_from_boxes(db, unlocked, name)
            if person is not None:  # the restore's entry is signed by who restored, as every entry is
                db.person, db.signer = person, person.sign_transaction
            with db.transaction(Permission.RESTORE, at=at) as session:
                audit.note(session, f"restored from the backup {Path(backup_file).name} taken {taken_at}",
                           table="backups")
        finally:
            db.dispose()
        conn = connect_sqlite(backup.database, key)
        try:
            conn.execute("PRAGMA journal_mode=DELETE")  # its WAL folded in: one file to move
        finally:
            conn.close()
        keys = backup.keys
        keys.path = work / key_file_for(target).name
        keys.failures, keys.notes = {}, []
        keys.save()
        crash_point("restore:prepared")
        aside = None
        if target.exists() or key_file_for(target).exists():
            aside = free_aside_name(target, "before-restore")
        journal.commit([*(aside_renames(target, aside) if aside else []),
                        (keys.path, key_file_for(target)), (backup.database, target)])
    return RestoreReport(report.facility, taken_at, aside)
