"""The main window: a left-hand list of areas and the page of the chosen one.

The window knows its screens only through ``ui.screens.SCREENS`` (one ``Screen`` each: title,
page, how it is built, what keeps it current); each page lives in its own module and talks to
``app.services`` itself. Who is signed in, the lock and switching user are ``ui.session``'s.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QCloseEvent, QIcon, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.paths import resource
from ui.as_of import AsOf
from ui.screens import (
    CORRESPONDENCE,
    DATA_QUALITY,
    DOSIMETRY,
    ENROLLMENT,
    FINDINGS,
    MEETINGS,
    SCREENS,
    SETTINGS,
    STAFF,
    position,
    screen_named,
)
from ui.wheel_guard import guard_fields
from ui.window_geometry import restore_geometry, save_geometry
from ui.window_menus import build_menus

# SQLAlchemy (through app.storage and the pages) is most of the start-up time: it is imported only
# once the window is on screen (see MainWindow.opening), never when this module loads. So are the
# version (importlib.metadata) and ui.placeholder (its ``Qt`` namespace builds ~100 enums, ~50 ms).
if TYPE_CHECKING:
    from app.storage.database import Database
    from ui.enrollment import EnrollmentPage
    from ui.lock import IdleWatcher
    from ui.session import UserSession

log = logging.getLogger(__name__)

#: The areas' names and purposes in the list's order, derived from ``ui.screens.SCREENS`` (where
#: each screen is declared, once) for whoever lists them.
AREAS: tuple[tuple[str, str], ...] = tuple((screen.title, screen.purpose) for screen in SCREENS)


class _CurrentStack(QStackedWidget):
    """A stack as large as its current page needs (not its largest page): what the window's
    scroll area scrolls."""

    def __init__(self) -> None:
        super().__init__()
        self.currentChanged.connect(lambda _i: self.updateGeometry())

    def minimumSizeHint(self):  # type: ignore[no-untyped-def]  # noqa: N802 (Qt's name)
        page = self.currentWidget()
        return page.minimumSizeHint().expandedTo(page.minimumSize()) if page is not None else super().minimumSizeHint()

    def sizeHint(self):  # type: ignore[no-untyped-def]  # noqa: N802 (Qt's name)
        return self.minimumSizeHint()

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt's name)
        """The current page's height at ``width``: Qt's stacked layout answers the tallest page's (the
        Dashboard's, whose heading wraps), which the scroll area then gave every page with a wrapping
        label, a screen scrolling below its buttons."""
        page = self.currentWidget()
        if page is None or not page.hasHeightForWidth():
            return -1
        # the least height at that width, not the preferred one: the scroll area takes this as the
        # page's minimum, and a page's tables would otherwise scroll the page on a laptop at 150 %
        layout = page.layout()
        least = layout.minimumHeightForWidth(width) if layout is not None else -1
        return least if least > 0 else page.heightForWidth(width)


#: The list of screens' width on a wide window; below ``NARROW_WINDOW`` it keeps just its titles' width,
#: leaving the page the room (half a 1366 screen, or 1366×768 at 150 %).
NAV_WIDTH = 180
NARROW_WINDOW = 1100

PAINT_WAIT_MS = 300  # a window not painted by then (minimised, a slow window manager) opens its database anyway


def copy_rows() -> None:
    """Ctrl+C copies the selected rows of every table (``ui.table_copy``: a filter where keys enter
    each window; a second call does nothing). Installed once there are tables."""
    from ui import table_copy

    table_copy.install()


class ScreenFailed(Exception):
    """A screen could not be built; the window shows a ``ScreenFailedPage`` in its place."""


def plain_reason(exc: BaseException) -> str:
    """The first line of the error, for the user; the whole traceback goes to the log."""
    lines = str(exc).strip().splitlines()
    return (lines[0].rstrip(".") if lines else "") or type(exc).__name__


class MainWindow(QMainWindow):
    """``MainWindow(db)`` on an open database, or ``MainWindow.opening(opener, name)``, which shows
    the window first and opens the database right after (the way the app starts)."""

    on_screen = Signal()  # (opening) the frame and areas are painted; the database opens next
    opened = Signal()  # the database is open: title and status bar name the facility
    open_failed = Signal(object)  # the opener raised this exception; the window stays empty
    ready = Signal()  # the first page is built, or says why not (its evaluation may still be running)

    def __init__(self, db: Database | None, open_other: Callable[..., None] | None = None, *,
                 opener: Callable[[], Database] | None = None, name: str = "") -> None:
        super().__init__()
        if (db is None) == (opener is None):
            raise TypeError("MainWindow needs either an open database or an opener")
        self.db: Database | None = None
        self.facility_name = ""
        self._open_other = open_other
        self._opener = opener
        self._opening_name = name
        self._ready = False
        self.session: UserSession | None = None  # who is signed in: the lock, switching user (once open)
        self.hub = None  # the change hub (ui.hub), once the database is open
        self._painted = False
        self._open_after_paint = False
        self.setWindowTitle("MROQC Facility Desk")
        self.setWindowIcon(QIcon(str(resource("icons", "mroqc-desk-256.png"))))

        self.window_clock: Callable[[], dt.datetime] = type(self).clock  # as the class had it when built
        self.as_of = AsOf(clock=lambda: self.window_clock(), parent=self)  # what "today" is when a record is made
        from ui.date_field import use_reference

        self._reference_day = lambda: self.as_of.day
        use_reference(self._reference_day)  # "t" and "+7" in a form count from the as-of date
        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setFixedWidth(NAV_WIDTH)  # narrower on a narrow window (resizeEvent)
        self.nav.setSpacing(3)
        self.stack = _CurrentStack()
        self.pages: dict[str, QWidget] = {}  # by screen title, once built
        for screen in SCREENS:
            self.stack.addWidget(QWidget())  # built on first visit: start-up stays fast
            self.nav.addItem(screen.title)
        self.nav.currentRowChanged.connect(self._show_row)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.addWidget(self.nav)
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        self.digest_holder = right  # the reminder digest (ui.digest) goes above the screens
        # the screens scroll rather than clip on a small screen (1366×768, or 1280×720 at 150 %):
        # the stack gets the room there is, never less than its page needs
        from PySide6.QtWidgets import QFrame, QScrollArea

        self.screen_scroll = QScrollArea()
        self.screen_scroll.setObjectName("screen-scroll")
        self.screen_scroll.setWidgetResizable(True)
        self.screen_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.screen_scroll.setWidget(self.stack)
        right.addWidget(self.screen_scroll, 1)
        layout.addLayout(right, 1)
        self.digest = None
        self.setCentralWidget(central)
        self.data_actions = build_menus(self)  # Settings → Data from the File menu, by button
        self.backup_action = self.data_actions["backup_button"]
        self.status_label = QLabel(f"Opening {name}…")
        # a long database path must not make the window wider than the screen: it is cut, with a tooltip
        from PySide6.QtWidgets import QSizePolicy

        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.statusBar().addWidget(self.status_label, 1)
        self.connection_label = QLabel("Connection to the database lost: retrying. Nothing can be saved "
                                       "until it is back; what you typed stays in the form.")
        self.connection_label.setObjectName("connection_lost")
        self.connection_label.setStyleSheet("QLabel { color: white; background: #b3261e; "
                                            "padding: 1px 6px; border-radius: 3px; }")
        self.connection_label.setVisible(False)
        self.statusBar().addPermanentWidget(self.connection_label)
        self.replaced_label = QLabel("This database file was replaced or moved by another program: nothing more "
                                     "is saved here. Open it again (File → Open database).")
        self.replaced_label.setObjectName("database_replaced")
        self.replaced_label.setStyleSheet(self.connection_label.styleSheet())
        self.replaced_label.setVisible(False)
        self.statusBar().addPermanentWidget(self.replaced_label)
        restore_geometry(self)
        self.nav.blockSignals(True)
        self.nav.setCurrentRow(0)
        self.nav.blockSignals(False)
        if db is not None:
            self._adopt(db)
        else:
            QTimer.singleShot(0, self._open_now)  # the window appears first; the database opens next

    @classmethod
    def opening(cls, opener: Callable[[], Database], name: str,
                open_other: Callable[..., None] | None = None) -> MainWindow:
        """A window that shows its frame and areas at once and calls ``opener`` (which may import
        SQLAlchemy and migrate) just after it is on screen; ``name`` is what the status bar says it
        is opening. It emits ``opened`` then ``ready``, or ``open_failed`` with the exception."""
        return cls(None, open_other, opener=opener, name=name)

    def _open_now(self, waited: bool = False) -> None:
        """Open the database once the window is painted (or ``PAINT_WAIT_MS`` passed, or it is
        hidden): the open holds the event loop for most of a second, and the user should see the
        window meanwhile, not an empty frame."""
        opener = self._opener
        if opener is None or not shiboken6.isValid(self):
            return
        if self.isVisible() and not self._painted and not waited:
            self._open_after_paint = True  # paintEvent calls back; the timer is for a window never painted
            QTimer.singleShot(PAINT_WAIT_MS, lambda: self._open_now(waited=True))
            return
        self._opener = None  # once only, whichever of the paint and the timer comes first
        self._open_after_paint = False
        self.on_screen.emit()
        try:
            db = opener()
        except Exception as exc:  # the caller decides what to tell the user (see open_failed)
            self.status_label.setText(f"Could not open {self._opening_name}")
            self.open_failed.emit(exc)
            return
        self._adopt(db)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self.nav.setFixedWidth(NAV_WIDTH if self.width() >= NARROW_WINDOW else self.narrow_nav_width())

    def narrow_nav_width(self) -> int:
        """The list of screens as wide as its longest title, and no wider."""
        metrics = self.nav.fontMetrics()
        longest = max(metrics.horizontalAdvance(self.nav.item(row).text()) for row in range(self.nav.count()))
        return min(NAV_WIDTH, longest + 2 * self.nav.spacing() + 2 * self.nav.frameWidth() + 12)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt's name)
        super().paintEvent(event)
        self._painted = True
        if self._open_after_paint:
            self._open_after_paint = False
            QTimer.singleShot(0, self._open_now)  # after this paint reaches the screen

    def _adopt(self, db: Database) -> None:
        """Name the facility in the title and status bar, then build the chosen area's page."""
        from ui.hub import Hub
        from ui.session import UserSession

        self.db = db
        copy_rows()  # the tables come with the database (installed while the password was typed, if asked)
        self._offer_backup()
        self.hub = Hub(db, self.as_of, self)
        self.hub.changed.connect(self._facility_may_have_changed)
        self.hub.connection.connect(self._connection_changed)
        self.hub.replaced.connect(self._file_replaced)
        self._name_facility()
        self.session = UserSession(self, db, lambda: self.facility_name)
        self.session.another_user_signed_in.connect(self.rebuild_for_user)
        self.session.quit_chosen.connect(self.close)
        self.opened.emit()
        QTimer.singleShot(0, self._open_first_area)
        # after the first page's evaluation in the one background queue: the reminders never delay it
        QTimer.singleShot(0, self._start_digest)  # the window shows the facility first; its page fills in next
        self.session.ask_for_first_password_later()
        if getattr(db, "alarms", None):
            QTimer.singleShot(0, self._show_alarms)

    #: The window's clock (tests replace it): the digest's "now"; screens never read the clock themselves.
    clock: Callable[[], dt.datetime] = staticmethod(dt.datetime.now)  # type: ignore[assignment]

    def _start_digest(self) -> None:
        """The reminder digest on opening (and once a day while open), above the screens."""
        from ui.digest import DigestBar

        if self.db is None or self.db.actor is None:
            return
        if self.digest is not None:
            self.digest.deleteLater()
        self.digest = DigestBar(self.db, self.window_clock, self)
        self.digest_holder.insertWidget(0, self.digest)
        self.digest.check()

    @property
    def idle(self) -> IdleWatcher | None:
        """The idle lock's timer (``UserSession.idle``), once the database is open."""
        return self.session.idle if self.session is not None else None

    @property
    def locked(self) -> bool:
        return self.session is not None and self.session.locked

    def lock(self, reason: str = "locked by the user", switching: bool = False) -> None:
        """File → Lock (Ctrl+L): see ``UserSession.lock``; nothing while the database is opening."""
        if self.session is not None:
            self.session.lock(reason, switching)

    def switch_user(self) -> None:
        if self.session is not None:
            self.session.switch_user()

    def change_password(self) -> None:
        if self.session is not None:
            self.session.change_password()

    def rebuild_for_user(self) -> None:
        """Another user signed in: every screen is built again for their role."""
        for name in list(self.pages):
            del self.pages[name]
            self._place(position(name), QWidget())
        self._name_facility()
        self._offer_backup()
        self._show_row(self.nav.currentRow())
        self._start_digest()  # the new user's reminders, since they last looked

    def _facility_may_have_changed(self, change) -> None:  # type: ignore[no-untyped-def]
        if change.touches({"facility"}):
            self._name_facility()

    def refresh(self) -> None:
        """View → Refresh (F5): every screen reads everything again."""
        if self.hub is not None:
            self.hub.refresh_everything()

    def _name_facility(self) -> None:
        """The facility's name in the title and the status bar, read from the open database."""
        from app.services.facility import get_facility

        if self.db is None:
            return
        facility = get_facility(self.db)
        self.facility_name = facility.name if facility else "no facility yet"
        from ui.date_field import use_date_format

        use_date_format(facility.date_format if facility else "iso")
        self.setWindowTitle(f"MROQC Facility Desk — {self.facility_name}")
        from ui.sign_in import signed_in_as

        self.status_label.setText(f"{self.facility_name}  ·  {self.db.display_name}  ·  {signed_in_as(self.db)}")
        self.status_label.setToolTip(self.status_label.text())

    @property
    def display_name(self) -> str:
        """The database's name, also while it is still being opened."""
        return self.db.display_name if self.db is not None else self._opening_name

    def load_while_signing_in(self) -> None:
        """Import what opening needs after the sign-in (the change hub, the first area's page, the
        reminder digest) and install Ctrl+C's copying of rows (``copy_rows``), while the person
        types their password (``ui.sign_in.SignInDialog.preload``): ~0.1 s less between Sign in
        and the first page drawn. Nothing is built or read."""
        import ui.digest  # noqa: F401
        import ui.hub  # noqa: F401
        import ui.session  # noqa: F401

        copy_rows()
        if self.db is None:
            SCREENS[self.nav.currentRow()].page_type()

    def _open_first_area(self) -> None:
        if not shiboken6.isValid(self):
            return
        if SCREENS[self.nav.currentRow()].title not in self.pages:
            self._show_row(self.nav.currentRow())  # the area chosen while the database opened, if any
        if not self._ready:
            self._ready = True
            self.ready.emit()

    @property
    def enrollment_page(self) -> EnrollmentPage:
        from ui.enrollment import EnrollmentPage

        page = self.page(ENROLLMENT.title)
        assert isinstance(page, EnrollmentPage)
        return page

    def page(self, name: str) -> QWidget:
        """The area's page, built the first time it is needed.

        Raises ``ScreenFailed`` when building it fails; the area then shows what went wrong, and
        the page is not remembered (``ui.screenshots`` relies on that), so the next visit tries again.
        Pages exist only once the database is open (``opened``).
        """
        if self.db is None:
            raise RuntimeError(f"the {name} screen is built once the database is open")
        if name not in self.pages:
            from ui.placeholder import ScreenFailedPage

            screen = screen_named(name)
            row = position(name)
            try:
                page = self._make_page(name)
            except Exception as exc:
                # for whoever supports the facility: code lines and the error's message, never local variables
                # (database errors carry no query values: see hide_parameters)
                log.error("the %s screen could not be opened:\n%s", name, "".join(traceback.format_exception(exc)))
                self._place(row, ScreenFailedPage(name, plain_reason(exc)))
                raise ScreenFailed(name) from exc
            self._place(row, page)
            self.pages[name] = page
            guard_fields(page)  # the wheel scrolls the screen, not the field under the pointer
            # what the window and its screens are made of lives as long as the window: kept out of
            # the cycle collector's full passes, which walked it all (0.1-0.15 s at 200,000 cases,
            # now and then in the middle of a save); ``ui.application`` lets it go with the window
            gc.freeze()
            reload = getattr(page, "reload", None) or getattr(page, "refresh", None)
            if self.hub is not None and reload is not None:
                self.hub.follow(page, screen.tables, reload, as_of=screen.follows_as_of,
                                bookkeeping=screen.counts_bookkeeping)
        return self.pages[name]

    def _place(self, row: int, page: QWidget) -> None:
        """Put ``page`` in the stack at ``row`` in place of what stood there."""
        current = self.stack.currentIndex()
        old = self.stack.widget(row)
        self.stack.insertWidget(row, page)
        self.stack.removeWidget(old)
        old.deleteLater()
        self.stack.setCurrentIndex(current)

    def built(self, name: str) -> QWidget | None:
        """The area's page, or None when it could not be built (the area then says why) or the
        database is not open yet."""
        if self.db is None:
            return None
        try:
            return self.page(name)
        except ScreenFailed:
            return None

    def _show_row(self, row: int) -> None:
        if self.db is not None:  # still opening: the chosen row is remembered and built once open
            self.built(SCREENS[row].title)
        self.stack.setCurrentIndex(row)

    def _make_page(self, name: str) -> QWidget:
        """The page of the screen called ``name``, as its ``Screen`` builds it (``ui.screens``);
        ``UnknownScreen`` for a name no screen has."""
        assert self.db is not None
        return screen_named(name).make(self)

    def show_area(self, name: str) -> None:
        self.nav.setCurrentRow(position(name))

    def show_findings(self, rule: str) -> None:
        """From a Dashboard tile to its rule's findings (``ATT-*``: every attendance rule); the
        readiness tile (``DQ-*``) to the Data quality screen's open problems."""
        if rule.startswith("DQ-"):
            self.show_area(DATA_QUALITY.title)
            quality = self.pages.get(DATA_QUALITY.title)
            if quality is not None:
                quality.show_open()  # type: ignore[attr-defined]
            return
        self.show_area(FINDINGS.title)
        page = self.pages.get(FINDINGS.title)
        if page is not None:
            page.show_rule(rule.rstrip("*"))  # type: ignore[attr-defined]

    def show_cases(self, case_ids: list, caption: str) -> None:
        """Jump from a finding to exactly the cases it lists, in the register."""
        self.show_area(ENROLLMENT.title)
        from ui.enrollment import EnrollmentPage

        page = self.pages.get(ENROLLMENT.title)
        if isinstance(page, EnrollmentPage):
            page.show_cases(list(case_ids), caption)

    def show_case(self, case_id: str) -> None:
        """Jump from a finding to the case in the register."""
        self.show_area(ENROLLMENT.title)
        from ui.enrollment import EnrollmentPage

        page = self.pages.get(ENROLLMENT.title)  # None: the register could not be opened (or not yet)
        if not isinstance(page, EnrollmentPage):
            return
        if page.case_set:
            page.case_set = ()
            page.set_bar.hide()
        page.project.setCurrentIndex(0)
        page.status.setCurrentIndex(0)
        page.eligible_from.enabled.setChecked(False)
        page.eligible_to.enabled.setChecked(False)
        page.search.setText(case_id)
        page.apply_filters()

    def show_record(self, kind: str, key: str) -> None:
        """Jump from a finding or a data-quality problem to the meeting (by date), the staff member,
        the dosimetry submission (``CASE|DATE``: its form opens) or the letter behind it."""
        if kind == "submission":
            self.show_area(DOSIMETRY.title)
            page = self.pages.get(DOSIMETRY.title)
            if page is not None:
                case_id, _, day = key.partition("|")
                page.edit_submission(case_id, day)  # type: ignore[attr-defined]
            return
        if kind == "letter":
            self.show_area(CORRESPONDENCE.title)
            page = self.pages.get(CORRESPONDENCE.title)
            if page is not None:
                page.select_letter(key)  # type: ignore[attr-defined]
            return
        if kind == "meeting":
            self.show_area(MEETINGS.title)
            page = self.pages.get(MEETINGS.title)
            if page is not None:
                page.select_meeting(key)  # type: ignore[attr-defined]
        elif kind == "staff":
            self.show_area(STAFF.title)
            page = self.pages.get(STAFF.title)
            if page is not None:
                page.select_person(key)  # type: ignore[attr-defined]

    def import_eligible(self) -> None:
        if self.db is None:
            return
        self.show_area(ENROLLMENT.title)
        page = self.built(ENROLLMENT.title)
        if page is not None:
            page.import_eligible()  # type: ignore[attr-defined]

    def _offer_backup(self) -> None:
        """File → Back up this database… only where it does something: a database file, and a role
        that may back up. A shared database is backed up on its server (pg_dump, by whoever runs
        it; docs/shared-database.md): the item is disabled and says so, never a click that does
        nothing."""
        from app.domain.permissions import Permission
        from ui.permissions import may, refusal

        if self.db is None:
            return
        if self.db.path is None:
            # only here: its module brings the exports and the PDF library (~0.3 s of the sign-in)
            from ui.data_transfer import POSTGRES_BACKUP_TIP

            why = POSTGRES_BACKUP_TIP
        elif not may(self.db, Permission.BACKUP):
            why = refusal(Permission.BACKUP)
        else:
            why = ""
        self.backup_action.setEnabled(not why)
        self.backup_action.setToolTip(why or "A checked copy of the database file, safe to make while you work")
        self.backup_action.setStatusTip(why)

    def data_action(self, button: str) -> None:
        """File-menu shortcuts to Settings → Data, where import, export and backup live with their
        options and progress; nothing happens while the database is still opening."""
        if self.db is None:
            return
        self.show_area(SETTINGS.title)
        page = self.built(SETTINGS.title)
        if page is not None:
            page.show_data()
            target = getattr(page.data, button)
            if target.isEnabled():
                target.click()

    #: Set by the application's session: open another database in a new window in place of this one.
    replace_database: Callable[[Database], object] | None = None

    def restore_from(self, request) -> None:  # type: ignore[no-untyped-def]
        """Settings → Data confirmed a restore: the window lets go of its database, restores, and
        the restored database opens in its place (``ui.restore``)."""
        from ui.restore import perform_restore

        if self.db is None or self.replace_database is None:
            return
        perform_restore(self, request, self.replace_database)

    def _show_alarms(self) -> None:
        """What the sign-in found wrong with the audit log or the users table (already in the log,
        signed by whoever signed in): said to the person, who is the one to act on it."""
        if self.db is None or not self.db.alarms:
            return
        QMessageBox.warning(self, "The record was changed outside the app",
                            "Signing in found:\n\n" + "\n\n".join(f"• {a}" for a in self.db.alarms) +
                            "\n\nThis is written in the audit log. Check the whole log on the Audit log screen (or "
                            "'mroqc-desk verify'), and restore a backup if you cannot explain it.")

    def rekey(self) -> None:
        """Settings → Users → Change the database key: like a restore, the window lets go of its
        database for it (``ui.rekey``)."""
        from ui.rekey import perform_rekey

        if self.db is None or self.replace_database is None:
            return
        perform_rekey(self, self.replace_database)

    def _file_replaced(self) -> None:
        """The database file was renamed, deleted or replaced underneath the window (``app.storage.watch``):
        nothing more is saved here (``Database.check_still_there``); say so where the user looks."""
        self.replaced_label.setVisible(True)

    def about_text(self) -> str:
        from app import __version__

        return (f"<h3>MROQC Facility Desk {__version__}</h3>"
                "<p>Enrollment, meeting-attendance and QIP tracking for member facilities of the Michigan "
                "Radiation Oncology Quality Consortium.</p>"
                f"<p>Database: {self.display_name}</p>")

    def show_shortcuts(self) -> None:
        from ui.shortcuts import ShortcutSheet

        ShortcutSheet(self).show()

    def show_about(self) -> None:
        QMessageBox.about(self, "About MROQC Facility Desk", self.about_text())

    def open_database(self, url: str | None = None) -> None:
        """File → Open (a file chosen in a dialog), or ``url`` (the shared database just moved to)."""
        if self._open_other is not None:
            self._open_other(url) if url else self._open_other()
            return
        QFileDialog.getOpenFileName(self, "Open database", "", "MROQC database (*.sqlite3 *.db)")

    def _connection_changed(self, connected: bool) -> None:
        """The database's server went away or came back (``app.storage.watch``): say so where the
        user looks; what they type is kept, and a save meanwhile says it was not saved."""
        self.connection_label.setVisible(not connected)
        if connected:
            self.statusBar().showMessage("Connected to the database again; every screen shows what it holds now.", 8000)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        if self.session is not None:
            self.session.stop()
        if self.hub is not None:
            self.hub.stop_watching()  # no more listening for other workstations' changes
        save_geometry(self)
        from ui.date_field import forget_reference

        forget_reference(self._reference_day)
        for page in self.pages.values():
            close_previews = getattr(page, "close_previews", None)
            if close_previews is not None:  # report previews may hold patient identifiers: gone with the window
                close_previews()
        super().closeEvent(event)


