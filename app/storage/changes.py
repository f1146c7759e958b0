"""What changed in the database: the one description every screen refreshes from.

Every committed transaction that wrote anything tells the database's listeners which tables it
wrote (``Database.subscribe``), as Electrum's core tells its front ends through callbacks and
Anki's operations return ``OpChanges``. The tables are known for free: every write is audited,
and every audit entry names its table. The window's hub (``ui.hub``) turns this into one Qt
signal; imports, bulk changes, undo, other screens and (later) other workstations all arrive
the same way.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

#: Tables whose rows no screen shows as facility data: sign-in bookkeeping and operation notes.
BOOKKEEPING = frozenset({"-", "users", "exports", "backups", "alembic_version", "sign_in_failures"})


@dataclass(frozen=True)
class DataChanged:
    """``tables``: what was written (None: possibly everything, e.g. a refresh the user asked for)."""

    tables: frozenset[str] | None = None
    #: made at another workstation (or by another program on this file), learnt of by ``app.storage.watch``
    elsewhere: bool = False

    def touches(self, tables: Iterable[str]) -> bool:
        return self.tables is None or not self.tables.isdisjoint(tables)

    @property
    def facility_data(self) -> bool:
        """Whether anything beyond bookkeeping changed (the evaluating screens care about nothing else)."""
        return self.tables is None or bool(self.tables - BOOKKEEPING)


EVERYTHING = DataChanged(None)
Listener = Callable[[DataChanged], None]


#: PostgreSQL's NOTIFY channel: every committed change says its change set and tables there.
CHANNEL = "mroqc_desk_changes"
#: NOTIFY payloads must stay under 8000 bytes; a change naming more tables than fit says "everything".
_PAYLOAD_LIMIT = 7000


def notice(change_set: str, tables: Iterable[str]) -> str:
    """The NOTIFY payload for one committed change (``read_notice`` reads it)."""
    payload = json.dumps({"cs": change_set, "t": sorted(tables)}, separators=(",", ":"))
    return payload if len(payload) < _PAYLOAD_LIMIT else json.dumps({"cs": change_set, "t": None})


def read_notice(payload: str) -> tuple[str | None, frozenset[str] | None]:
    """``(change_set, tables)`` from a payload; anything unreadable means "possibly everything"."""
    try:
        data = json.loads(payload)
        tables = data.get("t")
        return data.get("cs"), None if tables is None else frozenset(str(t) for t in tables)
    except (ValueError, AttributeError, TypeError):
        return None, None


class OwnChanges:
    """The change sets committed from this process (the latest few thousand): the watcher skips them,
    since this window already announced them when they committed."""

    def __init__(self, keep: int = 4096) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._keep = keep
        self._lock = threading.Lock()

    def add(self, change_set: str) -> None:
        with self._lock:
            self._seen[change_set] = None
            while len(self._seen) > self._keep:
                self._seen.popitem(last=False)

    def __contains__(self, change_set: object) -> bool:
        with self._lock:
            return change_set in self._seen

    def latest(self) -> str | None:
        """The change set begun last here (the load test pairs a save with the notices it caused)."""
        with self._lock:
            return next(reversed(self._seen), None)
