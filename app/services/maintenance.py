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

from sqlalchemy import select

from app.security.keyfile import KeyFile, key_file_for, user_slot
from app.security.roles import Actor, NotAllowed, Permission
from app.security.signin import RECOVERY_NAME, WRONG, SignInFailed, normal_name, now_utc
from app.storage import audit
from app.storage.backup import VerifyReport, check_file, open_backup, set_aside, write_backup_file
from app.storage.database import Database, is_database_file, open_database, sqlite_path
from app.storage.errors import DatabaseError
from app.storage.models import Facility, User
from app.storage.schema_version import KNOWN_REVISIONS


def _sqlite_only(db: Database, what: str) -> Path:
    if db.path is None or db.key is None:
        raise DatabaseError(f"{what} works on a SQLite file; for PostgreSQL use the server's own tools (pg_dump).")
    return db.path


def backup_database(db: Database, out: Path) -> VerifyReport:
    """One backup file of the open database (online: others may keep working)."""
    db.require(Permission.BACKUP)
    path = _sqlite_only(db, "Backup")
    out = Path(out).expanduser().resolve()
    if is_database_file(path, out):
        raise DatabaseError(f"Choose another file for the backup: {out.name} is one of the database's own files "
                            f"(every name beginning with {path.name} beside it is).")
    assert db.key is not None
    report = write_backup_file(path, db.key, KeyFile.load(key_file_for(path)), out)
    with db.transaction(Permission.BACKUP) as session:
        audit.note(session, f"backup written to {out.name}", table="backups")
    return report


def verify_database(db: Database) -> VerifyReport:
    """Pages (and their encryption), foreign keys and schema of a SQLite file; the audit chain always."""
    if db.path is not None and db.key is not None:
        report = check_file(db.path, db.key)
    else:
        with db.reader() as session:
            from sqlalchemy import text

            revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
            facility = session.scalars(select(Facility.name).limit(1)).first()
        problems = [] if revision in KNOWN_REVISIONS else [f"schema: version {revision} is not known to this app"]
        report = VerifyReport(problems=problems, revision=revision, facility=facility)
    with db.reader() as session:
        chain = audit.verify_chain(session)
    problems = list(report.problems)
    if not chain.intact:
        problems.append(f"audit log: {chain.problem}")
    return replace(report, problems=problems, audit_entries=chain.entries)


@dataclass(frozen=True)
class RestoreReport:
    facility: str | None
    taken_at: str | None
    set_aside: Path | None


def restore_database(url: str, backup_file: Path, name: str, secret: str, *, recovery: bool = False,
                     at: dt.datetime | None = None) -> RestoreReport:
    """Replace the SQLite database at ``url`` with a backup, signed in to the backup as an
    administrator (or with its recovery key). The current database, if any, is renamed to
    ``<name>.before-restore<suffix>`` (still an openable database); then the backup's file and
    key file take its place and the restore is audited in the restored database."""
    at = at or now_utc()
    target = sqlite_path(url)
    if target is None:
        raise DatabaseError("Restore works on a SQLite file; for PostgreSQL use the server's own tools (pg_restore).")
    target = target.expanduser().resolve()
    if not target.parent.is_dir():
        raise DatabaseError(f"The folder {target.parent} does not exist.")
    name = RECOVERY_NAME if recovery else normal_name(name)
    with open_backup(backup_file, target.parent) as backup:
        keys = backup.keys
        key = keys.unwrap_recovery(secret) if recovery else keys.unwrap(user_slot(name), secret)
        if key is None:
            raise SignInFailed(WRONG + " for that backup")
        report = check_file(backup.database, key)
        if not report.ok:
            raise DatabaseError(f"{Path(backup_file).name} is not a valid backup: {report.problems[0]}")
        if not recovery:
            db = open_database(f"sqlite:///{backup.database}", key=key, migrate=False)
            try:
                with db.reader() as session:
                    user = session.scalars(select(User).where(User.name == name)).first()
            finally:
                db.dispose()
            if user is None or user.disabled:
                raise SignInFailed(WRONG + " for that backup")
            if user.role != "admin":
                raise NotAllowed(Permission.RESTORE, Actor(name, user.role))
        aside = set_aside(target, "before-restore")
        os.replace(backup.database, target)
        keys.path = key_file_for(target)
        keys.failures, keys.notes = {}, []
        keys.save()
    db = open_database(f"sqlite:///{target}", key=key)
    try:
        db.actor = Actor(name, "admin")
        with db.transaction(Permission.RESTORE, at=at) as session:
            audit.note(session, f"restored from the backup {Path(backup_file).name} taken {backup.manifest.get('taken_at')}",
                       table="backups")
    finally:
        db.dispose()
    return RestoreReport(report.facility, backup.manifest.get("taken_at"), aside)
