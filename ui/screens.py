"""Every screen of the window, each declared once: the list on the left, the Go menu (Ctrl+1 …
Ctrl+9), how the page is built on first visit and what keeps it current all read ``SCREENS``.

Adding a screen is one ``Screen`` here and the page's own module (docs/screens.md); a screen left
out of ``SCREENS`` is not reachable, and a ``Screen`` missing a part cannot be made, so no screen
ever gets an answer it did not give.

This module imports no page and nothing of SQLAlchemy: a page's module loads the first time its
screen is opened (the window is on screen before the database opens, see ``MainWindow.opening``).
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from app.storage.database import Database
    from ui.as_of import AsOf
    from ui.session import UserSession


class Shows(enum.Enum):
    """A screen that shows anything of the facility's (the evaluating screens): every change reloads it."""

    EVERYTHING = "any of the facility's tables"


@runtime_checkable
class ScreenHost(Protocol):
    """What a screen's ``build`` may use of the window: the open database, the as-of date, who is
    signed in, and the jumps from one screen to another."""

    db: Database | None
    as_of: AsOf
    session: UserSession | None

    def show_area(self, name: str) -> None: ...
    def show_findings(self, rule: str) -> None: ...
    def show_case(self, case_id: str) -> None: ...
    def show_cases(self, case_ids: list, caption: str) -> None: ...  # type: ignore[type-arg]
    def show_record(self, kind: str, key: str) -> None: ...
    def open_database(self, url: str | None = None) -> None: ...
    def restore_from(self, request: Any) -> None: ...
    def rekey(self) -> None: ...


#: Makes the page from its class and the window: the constructor call and the page's jumps to
#: other screens wired to the window.
Build = Callable[[Any, ScreenHost], "QWidget"]


class ScreenDeclarationError(ValueError):
    """A ``Screen`` (or the tuple of them) is declared wrong; ``title`` and ``part`` say where."""

    def __init__(self, title: str, part: str, problem: str) -> None:
        super().__init__(f"screen {title!r}: {part} {problem}")
        self.title = title
        self.part = part
        self.problem = problem


class UnknownScreen(KeyError, ValueError):
    """No screen has this title (a KeyError as a missing page always was, a ValueError as a missing
    navigation row was)."""

    def __init__(self, title: str) -> None:
        super().__init__(f"no screen called {title}")
        self.title = title


@dataclass(frozen=True, kw_only=True, slots=True)
class Screen:
    """One screen: every part is required (no defaults), so a new screen says all of it."""

    title: str  # its name in the list on the left and the Go menu; ``MainWindow.show_area(title)``
    purpose: str  # one line: what the coordinator finds there
    module: str  # where its page lives (``ui.dashboard``), imported on the first visit
    page_class: str  # the page's class in ``module``
    build: Build  # the page from its class and the window (see ``Build``)
    shows: frozenset[str] | Shows  # the tables whose changes reload it (``Shows.EVERYTHING``: any)
    follows_as_of: bool  # moving the as-of date reloads it
    counts_bookkeeping: bool  # sign-ins and exports reload it too (the audit log lists them)

    def __post_init__(self) -> None:
        """Refuse a part given as the wrong kind: ``None`` for ``shows`` once meant "everything" by
        accident, and a truthy string for a flag would read as yes."""
        for name in ("title", "purpose", "module", "page_class"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ScreenDeclarationError(str(self.title), name, "must be words, not empty")
        if not self.module.startswith("ui."):
            raise ScreenDeclarationError(self.title, "module", "must be a module of the window (ui.…)")
        if not self.page_class.isidentifier():
            raise ScreenDeclarationError(self.title, "page_class", "must be a class name")
        if not callable(self.build):
            raise ScreenDeclarationError(self.title, "build", "must make the page")
        if not (self.shows is Shows.EVERYTHING or
                (isinstance(self.shows, frozenset) and all(isinstance(t, str) for t in self.shows))):
            raise ScreenDeclarationError(self.title, "shows", "must be a frozenset of table names or Shows.EVERYTHING")
        for name in ("follows_as_of", "counts_bookkeeping"):
            if not isinstance(getattr(self, name), bool):
                raise ScreenDeclarationError(self.title, name, "must be True or False")

    @property
    def tables(self) -> frozenset[str] | None:
        """``shows`` as the change hub takes it (``ui.hub.Hub.follow``: None for any table)."""
        return None if self.shows is Shows.EVERYTHING else self.shows  # type: ignore[return-value]

    def page_type(self) -> type:
        """The page's class, importing its module (the first visit's cost, not the start-up's)."""
        return getattr(importlib.import_module(self.module), self.page_class)  # type: ignore[no-any-return]

    def make(self, host: ScreenHost) -> QWidget:
        """The page, built for ``host`` (the window, its database open)."""
        return self.build(self.page_type(), host)


#: Parts every ``Screen`` must give: the test of this module checks none has a default.
PARTS = tuple(f.name for f in fields(Screen))


def go_shortcut(position: int) -> str | None:
    """The Go menu's key for the screen at ``position`` (0-based) in ``SCREENS``: Ctrl+1 … Ctrl+9,
    none after the ninth."""
    return f"Ctrl+{position + 1}" if position < 9 else None


# How each page is built. Most take the database and the as-of date; the rest also wire their
# jumps to other screens to the window.

def _plain(page: Any, host: ScreenHost) -> QWidget:
    return page(host.db, host.as_of)  # type: ignore[no-any-return]


def _enrollment(page: Any, host: ScreenHost) -> QWidget:
    return page(host.db, as_of=host.as_of)  # type: ignore[no-any-return]  # (db, parent, as_of)


def _dashboard(page: Any, host: ScreenHost) -> QWidget:
    made = page(host.db, host.as_of)
    made.open_rule.connect(host.show_findings)
    made.open_screen.connect(host.show_area)  # a getting-started step opens its screen
    return made  # type: ignore[no-any-return]


def _dosimetry(page: Any, host: ScreenHost) -> QWidget:
    made = page(host.db, host.as_of)
    made.show_case.connect(host.show_case)
    return made  # type: ignore[no-any-return]


def _findings(page: Any, host: ScreenHost) -> QWidget:
    made = page(host.db, host.as_of)
    made.show_case.connect(host.show_case)
    made.show_cases.connect(host.show_cases)
    made.show_record.connect(host.show_record)
    made.episode_opened.connect(lambda: host.show_area(QIP_TRACKER.title))  # the hub told the tracker already
    return made  # type: ignore[no-any-return]


def _data_quality(page: Any, host: ScreenHost) -> QWidget:
    made = page(host.db, host.as_of)
    made.show_record.connect(host.show_record)
    return made  # type: ignore[no-any-return]


def _settings(page: Any, host: ScreenHost) -> QWidget:
    made = page(host.db, host.as_of)
    made.lock_minutes_changed.connect(
        lambda minutes: host.session.set_lock_minutes(minutes) if host.session is not None else None)
    made.open_requested.connect(host.open_database)
    made.restore_requested.connect(host.restore_from)
    made.users.rekey_hook = host.rekey
    return made  # type: ignore[no-any-return]


DASHBOARD = Screen(
    title="Dashboard",
    purpose="Status of every QIP trigger at a glance, enrollment against last year, what is due.",
    module="ui.dashboard", page_class="DashboardPage", build=_dashboard,
    shows=Shows.EVERYTHING, follows_as_of=True, counts_bookkeeping=False)
ENROLLMENT = Screen(
    title="Enrollment",
    purpose="The enrollment register: every case, its status and flags, found by search and filters.",
    module="ui.enrollment", page_class="EnrollmentPage", build=_enrollment,
    shows=frozenset({"cases", "dosimetry_submissions", "facility"}),  # the flags read both
    follows_as_of=False, counts_bookkeeping=False)
DOSIMETRY = Screen(
    title="Dosimetry",
    purpose="Log dosimetry submissions and see which enrolled cases still need one.",
    module="ui.dosimetry", page_class="DosimetryPage", build=_dosimetry,
    shows=frozenset({"dosimetry_submissions", "cases", "staff"}), follows_as_of=False, counts_bookkeeping=False)
STAFF = Screen(
    title="Staff & roles",
    purpose="People, their professions and MROQC involvement, who held each role when, leave and pauses.",
    module="ui.staff", page_class="StaffPage", build=_plain,
    shows=frozenset({"staff", "role_assignments", "absences"}), follows_as_of=False, counts_bookkeeping=False)
MEETINGS = Screen(
    title="Meetings",
    purpose="Collaborative-wide meetings, who covered each required role, substitutes and CE credit.",
    module="ui.meetings", page_class="MeetingsPage", build=_plain,
    shows=frozenset({"meetings", "attendance", "staff", "role_assignments", "facility"}),
    follows_as_of=True, counts_bookkeeping=False)
CORRESPONDENCE = Screen(
    title="Correspondence",
    purpose="Letters from the coordinating center that need a reply, and their due dates.",
    module="ui.correspondence", page_class="CorrespondencePage", build=_plain,
    shows=frozenset({"correspondence", "facility"}), follows_as_of=True, counts_bookkeeping=False)
FINDINGS = Screen(
    title="Findings",
    purpose="Every QIP trigger, attendance violation and warning, with its evidence.",
    module="ui.findings", page_class="FindingsPage", build=_findings,
    shows=Shows.EVERYTHING, follows_as_of=True, counts_bookkeeping=False)
DATA_QUALITY = Screen(
    title="Data quality",
    purpose="Is the register ready to submit: what the coordinating center's audit would find, per period "
            "and project.",
    module="ui.quality", page_class="DataQualityPage", build=_data_quality,
    shows=Shows.EVERYTHING, follows_as_of=True, counts_bookkeeping=False)
QIP_TRACKER = Screen(
    title="QIP tracker",
    purpose="QIP episodes opened from triggers and the steps of the process.",
    module="ui.qip_tracker", page_class="QipTrackerPage", build=_plain,
    shows=frozenset({"qip_episodes", "qip_steps"}), follows_as_of=True, counts_bookkeeping=False)
PROGRAMS = Screen(
    title="Programs",
    purpose="Data history, CQI VBR, FTE funding estimate and the P4P timeline.",
    module="ui.programs", page_class="ProgramsPage", build=_plain,
    shows=Shows.EVERYTHING, follows_as_of=True, counts_bookkeeping=False)
REPORTS = Screen(
    title="Reports",
    purpose="Submission files and the signed self-audit PDF.",
    module="ui.reports", page_class="ReportsPage", build=_plain,
    shows=frozenset(), follows_as_of=False, counts_bookkeeping=False)
AUDIT_LOG = Screen(
    title="Audit log",
    purpose="Every change: who, when, before and after.",
    module="ui.audit_log", page_class="AuditLogPage", build=_plain,
    shows=Shows.EVERYTHING, follows_as_of=False, counts_bookkeeping=True)
SETTINGS = Screen(
    title="Settings",
    purpose="Database location, program year and facility details.",
    module="ui.settings", page_class="SettingsPage", build=_settings,
    shows=frozenset({"facility", "users"}), follows_as_of=False, counts_bookkeeping=True)


def checked(screens: Iterable[Screen]) -> tuple[Screen, ...]:
    """``screens`` as one tuple, refused if two share a title or a page (which one would a jump open?)."""
    result = tuple(screens)
    titles: set[str] = set()
    pages: set[tuple[str, str]] = set()
    for screen in result:
        if not isinstance(screen, Screen):
            raise ScreenDeclarationError(str(screen), "entry", "is not a Screen")
        if screen.title in titles:
            raise ScreenDeclarationError(screen.title, "title", "is declared twice")
        if (screen.module, screen.page_class) in pages:
            raise ScreenDeclarationError(screen.title, "page_class", "is already another screen's page")
        titles.add(screen.title)
        pages.add((screen.module, screen.page_class))
    return result


#: The screens in the order of the list on the left (and of Ctrl+1 … Ctrl+9).
SCREENS: tuple[Screen, ...] = checked((
    DASHBOARD, ENROLLMENT, DOSIMETRY, STAFF, MEETINGS, CORRESPONDENCE, FINDINGS, DATA_QUALITY,
    QIP_TRACKER, PROGRAMS, REPORTS, AUDIT_LOG, SETTINGS,
))


def screen_named(title: str) -> Screen:
    """The screen with this title; ``UnknownScreen`` if none."""
    for screen in SCREENS:
        if screen.title == title:
            return screen
    raise UnknownScreen(title)


def position(title: str) -> int:
    """Where the screen stands in the list on the left (its row in the window's stack)."""
    return SCREENS.index(screen_named(title))
