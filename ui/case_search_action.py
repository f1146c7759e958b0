"""View → Find a case… (Ctrl+K): the menu item of ``ui.case_search``'s box.

Apart from the box on purpose: the menus are built while the window first paints, before the
database opens, and the box's module brings SQLAlchemy with the register's service (1.0–1.4 s
to import here, measured); it is imported when Ctrl+K is first pressed.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

SHORTCUT = "Ctrl+K"


def find_case_action(window: QWidget) -> QAction:
    """The action, owned by ``window``: opens the box over whatever screen is shown."""
    action = QAction("&Find a case…", window)
    action.setShortcuts([QKeySequence(SHORTCUT)])  # in the window's context, QAction's own (WindowShortcut)

    def show() -> None:
        from ui.case_search import CaseSearch, open_case  # see the module's docstring: start-up

        db = getattr(window, "db", None)
        if db is None:  # still opening
            return
        dialog = CaseSearch(db, lambda case_id: open_case(window, case_id), window)
        window.case_search = dialog  # type: ignore[attr-defined]  (the tests read the open box)
        dialog.open()
        dialog.box.setFocus()

    action.triggered.connect(show)
    return action
