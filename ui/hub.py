"""The window's one change signal: every screen is current after every edit.

The database tells its listeners what each committed transaction wrote (``app.storage.changes``),
whichever screen, dialog, import, bulk change or undo made it, and from whichever thread. The
hub relays that to the GUI thread as ``changed(DataChanged)``, and ``follow`` keeps a screen up
to date with it: a visible screen that shows one of the written tables reloads at once, a hidden
one is marked stale and reloads when it is next shown (so an import does not rebuild twelve
screens at once). The as-of date moving and View → Refresh (F5) arrive the same way, and so do
changes made at other workstations (``app.storage.watch``, started here): the hub also relays
whether the database's server can be reached (``connection(bool)``).

The hub also owns what is true at the as-of date (``evaluations``, one evaluation per as-of date
and data version, ``app.services.evaluations``): the Dashboard, Findings and Programs read it
instead of each loading the same snapshot, and a committed change makes the next read evaluate
again. A change of the policy in force (an installed policy file, the facility's chosen program
year) reaches every screen, since any may judge by that policy.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QWidget

from app.services.evaluations import EvaluationCache
from app.services.findings import Evaluation
from app.storage.changes import EVERYTHING, DataChanged
from app.storage.database import Database
from app.storage.watch import ChangeWatcher
from ui.as_of import AsOf

#: What each kind of screen shows. ``None``: anything of the facility's (the evaluating screens).
FACILITY = None
#: Where the policy in force is decided: the installed policy files and the facility's chosen
#: program year. Any screen may judge by that policy (letter statuses, the role warnings' horizon,
#: the register's flags), so a change there reaches every screen; it is rare (Settings).
POLICY_TABLES = frozenset({"installed_policies", "facility"})


class Hub(QObject):
    changed = Signal(object)  # DataChanged, on the GUI thread
    connection = Signal(bool)  # the database's server reachable (False: lost, retrying), on the GUI thread
    replaced = Signal()  # the database file was renamed, deleted or replaced underneath the window
    _relay = Signal(object)  # from any thread
    _relay_connection = Signal(bool)
    _relay_replaced = Signal()

    def __init__(self, db: Database, as_of: AsOf, parent: QObject | None = None, *, watch: bool = True) -> None:
        super().__init__(parent)
        self.db = db
        self.as_of = as_of
        self._relay.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._relay_connection.connect(self.connection, Qt.ConnectionType.QueuedConnection)
        self._relay_replaced.connect(self.replaced, Qt.ConnectionType.QueuedConnection)
        # before the relay subscribes: a commit is forgotten by the cache before any screen hears of it
        self.evaluations = EvaluationCache(db).share()
        # a file replaced underneath holds other data, though no commit said so
        self.replaced.connect(lambda: self.evaluations.changed(EVERYTHING))
        self._unsubscribe = db.subscribe(self._relay.emit)
        self._followers: list[_Follower] = []
        self.watcher: ChangeWatcher | None = None
        if watch:
            self.watcher = ChangeWatcher(db, self._relay_connection.emit, on_replaced=self._relay_replaced.emit).start()
            watcher = self.watcher
            self.destroyed.connect(lambda *_: watcher.stop(timeout=0))

    @Slot(object)
    def _deliver(self, change: DataChanged) -> None:
        self.changed.emit(change)

    def evaluation(self) -> Evaluation:
        """What is true at the window's as-of date, evaluated once per data version (off the GUI
        thread: the first read of a date loads a snapshot)."""
        return self.evaluations.evaluation(self.as_of.day)

    def refresh_everything(self) -> None:
        """View → Refresh (F5): every screen reads everything again."""
        self.evaluations.changed(EVERYTHING)
        self.changed.emit(EVERYTHING)

    def follow(self, screen: QWidget, shows: Iterable[str] | None, reload: Callable[[], None], *,
               as_of: bool = False, bookkeeping: bool = False) -> None:  # noqa: FBT001
        """Keep ``screen`` current: ``reload()`` when a change touches the tables it ``shows``
        (None: any facility data) or, with ``as_of``, when the as-of date moves. ``bookkeeping``:
        sign-ins and exports count too (the audit log shows them). Every screen also reloads when
        the policy in force may have changed (``POLICY_TABLES``)."""
        follower = _Follower(self, screen, None if shows is None else frozenset(shows), reload, bookkeeping)
        self._followers.append(follower)
        if as_of:  # the follower's own slot: the connection goes with the screen
            self.as_of.changed.connect(follower.day_moved)

    def stop_watching(self) -> None:
        """The window closes: stop hearing of other workstations' changes (the screens go with it),
        so stop serving evaluations too: what was kept would no longer hear of changes."""
        self.evaluations.close()
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None

    def close(self) -> None:
        self.stop_watching()
        self._unsubscribe()
        self.evaluations.close()
        for follower in self._followers:
            follower.detach()
        self._followers.clear()


class _Follower(QObject):
    """One screen kept current: reloads now if visible, else on its next show."""

    def __init__(self, hub: Hub, screen: QWidget, shows: frozenset[str] | None, reload: Callable[[], None],
                 bookkeeping: bool) -> None:
        super().__init__(screen)
        self.screen = screen
        self.shows = shows
        self.reload = reload
        self.bookkeeping = bookkeeping
        self.stale = False
        self.hub = hub
        hub.changed.connect(self.changed)
        screen.installEventFilter(self)

    def relevant(self, change: DataChanged) -> bool:
        if change.tables is None:
            return True
        if not self.bookkeeping and not change.facility_data:
            return False
        return (self.shows is None or change.touches(self.shows) or (self.bookkeeping and bool(change.tables))
                or change.touches(POLICY_TABLES))

    @Slot(object)
    def changed(self, change: DataChanged) -> None:
        if not shiboken6.isValid(self.screen) or not self.relevant(change):
            return
        if self.screen.isVisible():
            self.stale = False
            self.reload()
        else:
            self.stale = True

    @Slot(object)
    def day_moved(self, _day: object) -> None:
        self.changed(EVERYTHING)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Show and self.stale:
            self.stale = False
            self.reload()
        return False

    def detach(self) -> None:
        if shiboken6.isValid(self.hub):
            with contextlib.suppress(RuntimeError, TypeError):  # already gone with the screen
                self.hub.changed.disconnect(self.changed)
