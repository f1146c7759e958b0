"""Online backup, restore and integrity check of a SQLite facility database."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from app.storage.database import (
    SQLITE_HEADER,
    DatabaseError,
    alembic_config,
    copy_sqlite,
)


@dataclass(frozen=True)
class VerifyReport:
    problems: list[str]
    revision: str | None
    facility: str | None

    @property
    def ok(self) -> bool:
        return not self.problems


def inspect_file(path: Path) -> VerifyReport:
    """Integrity, foreign keys and schema version of a database file, without changing it."""
    if not path.is_file():
        raise DatabaseError(f"No database file at {path}.")
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise DatabaseError(f"{path} is not an MROQC Facility Desk database (not a SQLite file).")
    problems: list[str] = []
    revision = facility = None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if integrity != ["ok"]:
                problems.extend(f"integrity: {line}" for line in integrity[:20])
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "alembic_version" not in tables or "facility" not in tables:
                raise DatabaseError(f"{path} is not an MROQC Facility Desk database.")
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = revision[0] if revision else None
            row = conn.execute("SELECT name FROM facility LIMIT 1").fetchone()
            facility = row[0] if row else None
            for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check"):
                problems.append(f"foreign key: {table} row {rowid} points to a missing {parent} record")
                if len(problems) > 50:
                    break
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} is damaged and cannot be read ({exc}).") from None
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    if revision is None:
        problems.append("schema: no version recorded")
    else:
        try:
            script.get_revision(revision)
        except Exception:
            problems.append(f"schema: version {revision} is from a newer app version")
    return VerifyReport(problems=problems, revision=revision, facility=facility)


def backup(db_path: Path, out: Path) -> VerifyReport:
    """Copy a live database to ``out`` (temp file then rename, so ``out`` is never half-written)."""
    if not db_path.is_file():
        raise DatabaseError(f"No database file at {db_path}.")
    out = out.expanduser().resolve()
    if not out.parent.is_dir():
        raise DatabaseError(f"The folder {out.parent} does not exist.")
    fd, tmp_name = tempfile.mkstemp(prefix=".backup-", suffix=".sqlite3", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        copy_sqlite(db_path, tmp)
        with sqlite3.connect(tmp) as conn:
            conn.execute("PRAGMA journal_mode=DELETE")  # a backup is one self-contained file
        report = inspect_file(tmp)
        if not report.ok:
            raise DatabaseError("The backup copy failed its integrity check: " + report.problems[0])
        os.replace(tmp, out)
        return report
    finally:
        tmp.unlink(missing_ok=True)


def restore(backup_file: Path, db_path: Path) -> VerifyReport:
    """Replace the database with a backup after checking the backup; keeps the old file aside."""
    report = inspect_file(backup_file)
    if not report.ok:
        raise DatabaseError(f"{backup_file} is not a valid backup: {report.problems[0]}")
    db_path = db_path.expanduser().resolve()
    if db_path.exists():
        copy_sqlite(db_path, db_path.with_name(f"{db_path.stem}.before-restore{db_path.suffix}"))
    copy_sqlite(backup_file, db_path)
    return report
