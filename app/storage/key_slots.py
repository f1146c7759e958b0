"""The key file beside a database, as storage sees it: its name, and what a backup and the
encryption of an earlier version's file do with it.

The key file's format and its cryptography (slots wrapped under Argon2id, failed sign-ins, sealed
boxes) are ``app.security.keyfile``'s, a layer above: storage never imports security. A backup
keeps the file's slots and the encryption puts a built file's beside it, so they take the key
file as a ``KeySlots`` (what ``app.security.keyfile.KeyFile`` is) from their caller, and a
restore is handed the function that reads one (``KeyFile.load``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

SUFFIX = ".keys"


def key_file_for(db_path: Path) -> Path:
    """``facility.sqlite3`` → ``facility.sqlite3.keys``."""
    return db_path.with_name(db_path.name + SUFFIX)


class KeySlots(Protocol):
    """What storage does with a database's key file (``app.security.keyfile.KeyFile``)."""

    #: where it is written (the encryption writes a built file's under a temporary name first)
    path: Path
    #: the database's ID, which binds each slot to it (a backup's manifest records it)
    database_id: str

    def save(self) -> None:
        """Write it to ``path``, atomically and private to the account."""
        ...

    def backup_json(self) -> dict[str, Any]:
        """Its content as a backup keeps it: the key slots, without failed sign-ins or notes."""
        ...
