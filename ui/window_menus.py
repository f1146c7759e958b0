"""The window's menu bar (File, View, Go, Help): kept out of ``MainWindow`` so the window's class is
about screens; every item calls one of the window's methods, and the Go menu lists ``SCREENS``."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QListWidget, QMenuBar, QWidget

from ui.screens import SCREENS, go_shortcut


class _Day(Protocol):
    day: dt.date


class MenuHost(Protocol):
    """What the menus call on the window (``MainWindow``; named here so the two modules do not
    import each other), and what Print and the user guide read of it (``ui.printing.PrintHost``)."""

    nav: QListWidget  # the list on the left: which screen is shown
    facility_name: str
    as_of: _Day

    def menuBar(self) -> QMenuBar: ...  # noqa: N802 (Qt's name)
    def open_database(self, url: str | None = None) -> None: ...
    def import_eligible(self) -> None: ...
    def data_action(self, button: str) -> None: ...
    def lock(self, reason: str = ..., switching: bool = ...) -> None: ...
    def switch_user(self) -> None: ...
    def change_password(self) -> None: ...
    def close(self) -> bool: ...
    def refresh(self) -> None: ...
    def show_area(self, name: str) -> None: ...
    def show_shortcuts(self) -> None: ...
    def show_about(self) -> None: ...
    def built(self, name: str) -> QWidget | None: ...


#: File-menu items that open Settings → Data and press its button (the button's attribute name).
DATA_ITEMS: tuple[tuple[str, str], ...] = (
    ("&Import a facility workbook…", "import_button"),
    ("&Export the facility workbook…", "export_button"),
    ("&Back up this database…", "backup_button"),
    ("&Restore from a backup…", "restore_button"),
)


def set_shortcut(action: QAction, sequence: QKeySequence) -> None:
    """``action.setShortcut(sequence)``, without its cost: PySide's overload resolution for
    ``setShortcut`` builds the ~100 enums of the ``Qt`` namespace (~45 ms) before the window can
    show; ``setShortcuts`` with the one sequence does the same and skips that."""
    action.setShortcuts([sequence])


def build_menus(window: MenuHost) -> dict[str, QAction]:
    """Fill ``window``'s menu bar; the File menu's Settings → Data items, by button name (the window
    enables Back up only where it does something)."""
    assert isinstance(window, QWidget)  # the menus' actions belong to the window
    owner: QWidget = window
    file_menu = window.menuBar().addMenu("&File")
    open_action = QAction("&Open database…", owner)
    set_shortcut(open_action, QKeySequence(QKeySequence.StandardKey.Open))
    open_action.triggered.connect(window.open_database)
    file_menu.addAction(open_action)
    file_menu.addSeparator()
    eligible = QAction("Import &eligible patients from the EHR…", owner)
    eligible.triggered.connect(window.import_eligible)
    file_menu.addAction(eligible)
    file_menu.setToolTipsVisible(True)  # a disabled item says why (backup on a server database)
    data_actions: dict[str, QAction] = {}
    for text, button in DATA_ITEMS:
        action = QAction(text, owner)
        action.triggered.connect(lambda _checked=False, b=button: window.data_action(b))
        file_menu.addAction(action)
        data_actions[button] = action
    file_menu.addSeparator()
    print_action = QAction("&Print…", owner)
    print_action.setObjectName("print")
    set_shortcut(print_action, QKeySequence(QKeySequence.StandardKey.Print))
    print_action.setStatusTip("Preview the screen shown (a list as shown, or the Dashboard), then print it")
    print_action.triggered.connect(lambda: _printing().print_screen(window))
    file_menu.addAction(print_action)
    pdf_action = QAction("Print to P&DF…", owner)
    pdf_action.setObjectName("print-pdf")
    pdf_action.triggered.connect(lambda: _printing().save_screen_as_pdf(window))
    file_menu.addAction(pdf_action)
    file_menu.addSeparator()
    lock_action = QAction("&Lock", owner)
    set_shortcut(lock_action, QKeySequence("Ctrl+L"))
    lock_action.triggered.connect(lambda: window.lock())
    file_menu.addAction(lock_action)
    switch_action = QAction("S&witch user…", owner)
    switch_action.triggered.connect(window.switch_user)
    file_menu.addAction(switch_action)
    password_action = QAction("&Change my password…", owner)
    password_action.triggered.connect(window.change_password)
    file_menu.addAction(password_action)
    file_menu.addSeparator()
    quit_action = QAction("&Quit", owner)
    set_shortcut(quit_action, QKeySequence(QKeySequence.StandardKey.Quit))
    quit_action.triggered.connect(window.close)
    file_menu.addAction(quit_action)
    view_menu = window.menuBar().addMenu("&View")
    refresh_action = QAction("&Refresh", owner)
    set_shortcut(refresh_action, QKeySequence(QKeySequence.StandardKey.Refresh))
    refresh_action.triggered.connect(window.refresh)
    view_menu.addAction(refresh_action)
    go_menu = window.menuBar().addMenu("&Go")
    for number, screen in enumerate(SCREENS):
        action = QAction(screen.title.replace("&", "&&"), owner)  # "Staff & roles", not "Staff _roles"
        key = go_shortcut(number)
        if key is not None:
            set_shortcut(action, QKeySequence(key))
        action.triggered.connect(lambda _checked=False, n=screen.title: window.show_area(n))
        go_menu.addAction(action)
    help_menu = window.menuBar().addMenu("&Help")
    guide = QAction("&User guide", owner)
    guide.setObjectName("user-guide")
    set_shortcut(guide, QKeySequence(QKeySequence.StandardKey.HelpContents))  # F1: at the screen shown
    guide.triggered.connect(lambda: _help().open_at_screen(window))
    help_menu.addAction(guide)
    keys = QAction("&Keyboard shortcuts", owner)
    set_shortcut(keys, QKeySequence("Shift+F1"))
    keys.triggered.connect(window.show_shortcuts)
    help_menu.addAction(keys)
    about = QAction("&About MROQC Facility Desk", owner)
    about.triggered.connect(window.show_about)
    help_menu.addAction(about)
    return data_actions


# The guide and printing load on first use, not with the window: measured after ui.main_window,
# importing ui.printing (QtPrintSupport) costs ~50 ms and ui.help ~30 ms of start-up.
def _help():  # type: ignore[no-untyped-def]
    from ui import help as guide

    return guide


def _printing():  # type: ignore[no-untyped-def]
    from ui import printing

    return printing
