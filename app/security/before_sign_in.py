"""What the window asks of a database before anyone signs in: whether it is a file, and whether it
needs its first administrator (which dialog to show). Also ``hold_for_sign_in``, which every
sign-in to a file goes through first.

Apart from ``app.security.signin`` because for a file none of it needs SQLAlchemy or the models:
importing ``app.security.signin`` took ~0.31 s of the ~0.55 s from start to the sign-in dialog on
screen (``python -X importtime`` and ``python -m bench --only startup``, the 2-core development
machine), so the dialog now shows first and that import happens when the password is submitted.
A server's address is still asked the full way (it connects to the server in any case).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from app.paths import written_sqlite_path
from app.storage.journal_names import journals
from app.storage.key_slots import key_file_for
from app.storage.plain_file import identify_plain, is_plain_sqlite

if TYPE_CHECKING:
    from app.storage.locks import OpenLock


def sqlite_file(url: str) -> Path | None:
    """The database file ``url`` names (None: a server's), as ``app.storage.database.sqlite_path``
    reads it; a URL of ``app.paths.sqlite_url``'s form (``--db``, the default file) without loading
    SQLAlchemy."""
    written = written_sqlite_path(url)
    if written is not None:
        return written
    from app.storage.database import sqlite_path  # any other URL: read by SQLAlchemy's own parser

    return sqlite_path(url)


def hold_for_sign_in(path: Path) -> OpenLock | None:
    """Hold the file open before anything reads it: whatever a killed restore, backup or encryption
    left is settled first (a database is never read half restored). Nothing is created beside a
    file that is not this app's database (another program's, a typo's): it is refused by the
    read-only checks of ``app.security.signin.check_openable`` instead."""
    from app.storage.locks import hold_open, lock_file_for  # portalocker: see journal_names

    ours = journals(path) or lock_file_for(path).exists() or key_file_for(path).exists()
    if not ours and path.is_file() and is_plain_sqlite(path):
        identify_plain(path)  # an earlier version's file is ours; another program's is refused here, read-only
        ours = True
    return hold_open(path) if ours else None


def needs_administrator(url: str) -> bool:
    """Whether the database exists but has no user yet (an earlier version's file or server database)."""
    path = sqlite_file(url)
    if path is not None:
        if not journals(path) and not is_plain_sqlite(path):
            # an encrypted file (or none) with no operation half done beside it, which settling
            # could turn back into an earlier version's plain file: it needs no administrator.
            # The hold (settling, waiting for a restore or re-key under way) is taken as the
            # password is checked, as every sign-in takes it; taking it here too, only to let go
            # at once, cost ~25 ms of imports before the dialog showed.
            return False
        lock = hold_for_sign_in(path)  # an encryption killed half way is finished first
        if lock is not None:
            lock.release()
        return path.is_file() and path.stat().st_size > 0 and is_plain_sqlite(path)

    from sqlalchemy import func, select
    from sqlalchemy.engine import make_url

    from app.security.server_signin import settle_schema
    from app.storage.database import open_database
    from app.storage.models import User

    if not make_url(url).username:  # a person's address: only their sign-in can tell
        return False
    if not settle_schema(url):  # not the owner's: a person or an earlier version's shared login
        return False
    db = open_database(url)
    try:
        with db.reader() as session:
            return session.scalar(select(func.count()).select_from(User)) == 0
    finally:
        db.dispose()
