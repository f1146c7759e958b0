"""The storage error callers catch, kept apart from SQLAlchemy so that catching it loads nothing:
the CLI and the window must handle it before (and without) the database modules being imported."""

from __future__ import annotations


class DatabaseError(Exception):
    """A database that cannot be used; the message is one sentence for the user."""


class NoFacility(ValueError):
    """The database has no facility record yet: nothing to evaluate (``check`` exits 2; the
    window's screens say to set it up in Settings instead of failing)."""


class PlaintextDatabase(DatabaseError):
    """An unencrypted SQLite database from an earlier version: it needs its first administrator,
    then is encrypted (``app.security.signin.upgrade_database``)."""


class DamagedDatabase(DatabaseError):
    """The file fails the quick integrity check every open makes: nothing is read from it or
    written to it (``verify`` reports it as a problem, exit 1)."""


class ConnectionLost(DatabaseError):
    """The shared database's server went away (restarted, network down) while this was being saved,
    and it did not commit: nothing was saved, nothing half-saved (a save that did commit just
    before the connection dropped is reported as saved, not as this)."""


class DatabaseReplaced(DatabaseError):
    """The SQLite file this window opened was renamed, deleted or replaced underneath it (another
    program, an older version's restore): nothing more is written until it is opened again."""
