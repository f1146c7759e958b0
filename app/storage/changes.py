"""What changed in the database: the one description every screen refreshes from.

Every committed transaction that wrote anything tells the database's listeners which tables it
wrote (``Database.subscribe``), as Electrum's core tells its front ends through callbacks and
Anki's operations return ``OpChanges``. The tables are known for free: every write is audited,
and every audit entry names its table. The window's hub (``ui.hub``) turns this into one Qt
signal; imports, bulk changes, undo, other screens and (later) other workstations all arrive
the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

#: Tables whose rows no screen shows as facility data: sign-in bookkeeping and operation notes.
BOOKKEEPING = frozenset({"-", "users", "exports", "backups", "alembic_version", "sign_in_failures"})


@dataclass(frozen=True)
class DataChanged:
    """``tables``: what was written (None: possibly everything, e.g. a refresh the user asked for)."""

    tables: frozenset[str] | None = None

    def touches(self, tables: Iterable[str]) -> bool:
        return self.tables is None or not self.tables.isdisjoint(tables)

    @property
    def facility_data(self) -> bool:
        """Whether anything beyond bookkeeping changed (the evaluating screens care about nothing else)."""
        return self.tables is None or bool(self.tables - BOOKKEEPING)


EVERYTHING = DataChanged(None)
Listener = Callable[[DataChanged], None]
