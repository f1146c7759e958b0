"""A SQLite file read before anyone signs in: whether it is unencrypted (an earlier version's
file, or another program's) and, if it is ours, its schema revision.

Apart from ``app.storage.database`` because it needs neither SQLAlchemy nor the models: the
window asks this before its sign-in dialog shows, and importing SQLAlchemy first would hold the
dialog back by some 0.3 s (``python -X importtime``, the 2-core development machine).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from app.storage.errors import DatabaseError
from app.storage.schema_version import KNOWN_REVISIONS

SQLITE_HEADER = b"SQLite format 3\x00"
OUR_TABLES = {"facility", "cases", "staff"}


def is_plain_sqlite(path: Path) -> bool:
    """Whether the file starts as an unencrypted SQLite database does (an earlier version's file,
    or another program's); an encrypted file starts with random bytes."""
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def identify_plain(path: Path) -> str | None:
    """The schema revision of an unencrypted MROQC database (None: created but never stamped),
    read through a read-only connection: a foreign, damaged or newer file is refused, untouched."""
    try:
        with sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True) as probe:
            tables = {row[0] for row in probe.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            revision = (probe.execute("SELECT version_num FROM alembic_version").fetchone()
                        if "alembic_version" in tables else None)
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(f"{path} is damaged and cannot be read ({exc}); restore a backup.") from None
    if not OUR_TABLES & tables:
        raise DatabaseError(f"{path} belongs to another program; it was left untouched.")
    if revision is None:
        raise DatabaseError(f"{path} has no schema version; it was left untouched.")

    if revision[0] not in KNOWN_REVISIONS:
        raise DatabaseError(f"{path} was written by a newer version of MROQC Facility Desk (schema {revision[0]}). "
                            "Install the newer version to open it.")
    return str(revision[0])
