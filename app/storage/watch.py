"""Learning of changes made elsewhere: other workstations on a shared database, or a second window
or the command line on the same file.

``ChangeWatcher`` runs in a thread of its own and announces every change committed by someone
else through the database's one change signal (``Database.announce``), so those screens refresh
exactly as for a change made here. On PostgreSQL it LISTENs on the channel every committed change
NOTIFYs (``app.storage.changes.CHANNEL``, sent inside the transaction, so delivered only if it
commits); on SQLite it polls ``PRAGMA data_version`` (which moves only when another connection
commits) and reads which tables the new audit entries name. The change sets committed from this
process (``Database.own``) are skipped: they were announced when they committed.

What was committed between ``start()`` and the moment the watcher listens (its connection takes
a moment, longer on a busy machine or a slow network, while the screens read) is caught up from
the audit log: ``start()`` notes the log's last entry, and once listening the watcher announces
the tables every later entry names. So every change committed elsewhere after ``start()`` is
announced, by a notice or by the catch-up (``listening`` is set when both are in place).

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

from app.storage import audit
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
        #: set once the watcher listens and has caught up with what was committed since ``start()``
        self.listening = threading.Event()
        #: the audit log's last entry when ``start()`` ran (None: unknown), caught up from once
        self._since: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- life ---------------------------------------------------------------------------
    def start(self) -> ChangeWatcher:
        if self._thread is None:
            self._since = self._audit_position()  # before the caller's screens read: later is caught up
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

    def _audit_position(self) -> int | None:
        """The audit log's last entry now, read through the database's own connections (one small
        query); None when it cannot be read (then the first connection announces everything)."""
        try:
            with self.db.reader() as session:
                return audit.last_entry(session)
        except Exception:  # noqa: BLE001 - a server not reachable yet: the watcher says so when it tries
            return None

    def _catch_up(self, conn) -> int:  # type: ignore[no-untyped-def]
        """Announce what was committed after ``start()`` and before this connection listened;
        returns the audit log's last entry. Only the first connection catches up: after a lost
        connection ``_status`` announces everything."""
        since, self._since = self._since, None
        head, written = self._written_after(conn, since if since is not None else -1)
        if since is None:
            if not self.listening.is_set() and self.connected:  # where the screens started from is unknown
                self.db.announce(DataChanged(EVERYTHING.tables, elsewhere=True))  # (else ``_status`` does)
        elif written:
            self._announce(written)
        return head

    def _written_after(self, conn, last: int) -> tuple[int, dict[str | None, frozenset[str] | None]]:  # type: ignore[no-untyped-def]
        """The audit log's last entry, and the tables each change set after entry ``last`` wrote
        (none when ``last`` is -1: only the position is wanted)."""
        head = self._last_entry(conn)
        if last < 0 or head <= last:
            return head, {}
        mark = "?" if self.db.is_sqlite else "%s"
        written: dict[str | None, set[str]] = {}
        for change_set, table in conn.execute("SELECT DISTINCT change_set, table_name FROM audit_log "
                                              f"WHERE id > {mark} AND id <= {mark}", (last, head)):
            written.setdefault(change_set, set()).add(table)
        return head, {change_set: frozenset(tables) for change_set, tables in written.items()}

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
        secret = {"password": self.db.password} if self.db.password is not None else {}  # the person's own login
        with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True, connect_timeout=5,
                             **secret) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            self._catch_up(conn)  # after LISTEN: what commits from now on is notified
            self._status(True)
            self.listening.set()
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
            last = self._catch_up(conn)  # after data_version: a later commit moves it
            self._status(True)
            self.listening.set()
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
                last, written = self._written_after(conn, last)
                if written:
                    self._announce(written)
        finally:
            conn.close()

    @staticmethod
    def _last_entry(conn) -> int:  # type: ignore[no-untyped-def]
        row = conn.execute("SELECT last_id FROM audit_head WHERE id = 1").fetchone()
        return int(row[0]) if row else 0
