"""Learning of changes made elsewhere: other workstations on a shared database, or a second window
or the command line on the same file.

``ChangeWatcher`` runs in a thread of its own and announces every change committed by someone
else through the database's one change signal (``Database.announce``), so those screens refresh
exactly as for a change made here. On PostgreSQL it LISTENs on the channel every committed change
NOTIFYs (``app.storage.changes.CHANNEL``, sent inside the transaction, so delivered only if it
commits); on SQLite it polls ``PRAGMA data_version`` (which moves only when another connection
commits) and reads which tables the new audit entries name. The change sets committed from this
process (``Database.own``) are skipped: they were announced when they committed.

The watcher is also how the window learns that the server is gone: ``on_status(connected)`` is
called when its connection drops and again when it is back, after which everything is announced
(notifications sent while it was away are lost with the connection).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy.engine import make_url

from app.storage.changes import CHANNEL, EVERYTHING, DataChanged, read_notice
from app.storage.database import Database, connect_sqlite
from app.storage.errors import DatabaseReplaced

log = logging.getLogger(__name__)

#: How often SQLite is asked and how long PostgreSQL notifications are gathered into one refresh.
POLL_SECONDS = 0.5
#: A connection that has heard nothing is tested this often (a dropped network sends no error).
PING_SECONDS = 5.0
#: Between attempts to reach a server that went away.
RETRY_SECONDS = 2.0

StatusListener = Callable[[bool], None]


class ChangeWatcher:
    """``start()`` then ``stop()``; announces through ``db`` and reports reachability to ``on_status``."""

    def __init__(self, db: Database, on_status: StatusListener | None = None, *,
                 poll_seconds: float = POLL_SECONDS, ping_seconds: float = PING_SECONDS,
                 retry_seconds: float = RETRY_SECONDS, on_replaced: Callable[[], None] | None = None) -> None:
        self.db = db
        self.on_status = on_status
        #: called once when the SQLite file is no longer the one opened (renamed, deleted, replaced)
        self.on_replaced = on_replaced
        self.poll_seconds = poll_seconds
        self.ping_seconds = ping_seconds
        self.retry_seconds = retry_seconds
        self.connected = True
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- life ---------------------------------------------------------------------------
    def start(self) -> ChangeWatcher:
        if self._thread is None:
            target = self._watch_sqlite if self.db.is_sqlite else self._watch_server
            self._thread = threading.Thread(target=self._run, args=(target,), name="change-watcher", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self, watch: Callable[[], None]) -> None:
        while not self._stop.is_set():
            try:
                watch()
            except Exception as exc:  # noqa: BLE001 - a dropped server, a file moved away: say so, retry
                log.info("change watcher lost its connection (%s); retrying", type(exc).__name__)
                self._status(False)
                self._stop.wait(self.retry_seconds)

    def _status(self, connected: bool) -> None:
        if connected == self.connected:
            return
        self.connected = connected
        if self.on_status is not None:
            self.on_status(connected)
        if connected:  # whatever was committed while away went unheard
            self.db.announce(DataChanged(EVERYTHING.tables, elsewhere=True))

    def _announce(self, change_sets: dict[str | None, frozenset[str] | None]) -> None:
        tables: set[str] = set()
        for change_set, written in change_sets.items():
            if change_set is not None and change_set in self.db.own:
                continue
            if written is None:
                self.db.announce(DataChanged(None, elsewhere=True))
                return
            tables |= written
        if tables:
            self.db.announce(DataChanged(frozenset(tables), elsewhere=True))

    # -- PostgreSQL ---------------------------------------------------------------------
    def _watch_server(self) -> None:
        import psycopg

        url = make_url(self.db.url).set(drivername="postgresql")
        with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True, connect_timeout=5) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            self._status(True)
            quiet_since = time.monotonic()
            while not self._stop.is_set():
                heard: dict[str | None, frozenset[str] | None] = {}
                for note in conn.notifies(timeout=self.poll_seconds):
                    change_set, tables = read_notice(note.payload)
                    if tables is None or (change_set in heard and heard[change_set] is None):
                        heard[change_set] = None
                    else:
                        heard[change_set] = (heard.get(change_set) or frozenset()) | tables
                if heard:
                    quiet_since = time.monotonic()
                    self._announce(heard)
                elif time.monotonic() - quiet_since > self.ping_seconds:
                    conn.execute("SELECT 1")  # raises when the server or the network went away
                    quiet_since = time.monotonic()

    # -- SQLite -------------------------------------------------------------------------
    def _watch_sqlite(self) -> None:
        assert self.db.path is not None
        conn = connect_sqlite(self.db.path, self.db.key, read_only=True)
        try:
            version = conn.execute("PRAGMA data_version").fetchone()[0]
            last = self._last_entry(conn)
            self._status(True)
            while not self._stop.wait(self.poll_seconds):
                try:
                    self.db.check_still_there()
                except DatabaseReplaced:  # never watch (or reconnect to) another file under its name
                    self._stop.set()
                    if self.on_replaced is not None:
                        self.on_replaced()
                    return
                now = conn.execute("PRAGMA data_version").fetchone()[0]
                if now == version:
                    continue
                version = now
                newest = self._last_entry(conn)
                if newest <= last:
                    continue
                heard: dict[str | None, set[str]] = {}
                rows = conn.execute("SELECT DISTINCT change_set, table_name FROM audit_log WHERE id > ? AND id <= ?",
                                    (last, newest))
                for change_set, table in rows:
                    heard.setdefault(change_set, set()).add(table)
                last = newest
                self._announce({cs: frozenset(t) for cs, t in heard.items()})
        finally:
            conn.close()

    @staticmethod
    def _last_entry(conn) -> int:  # type: ignore[no-untyped-def]
        row = conn.execute("SELECT last_id FROM audit_head WHERE id = 1").fetchone()
        return int(row[0]) if row else 0
