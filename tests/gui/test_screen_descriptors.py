"""A screen is one ``Screen`` in ``ui.screens.SCREENS``: every page the navigation reaches has
exactly one, a descriptor missing a part cannot be made, and the window (list, Go menu, building,
keeping current) reads nothing else. Sign-in, lock and switching user are ``ui.session``'s."""

from __future__ import annotations

import ast
import dataclasses
from collections import Counter
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

from tests.gui.conftest import settle
from ui import screens
from ui.lock import Cover, LockDialog
from ui.main_window import MainWindow
from ui.screens import (
    DASHBOARD,
    PARTS,
    SCREENS,
    Screen,
    ScreenDeclarationError,
    ScreenHost,
    Shows,
    UnknownScreen,
    checked,
    go_shortcut,
    screen_named,
)
from ui.session import UserSession

UI = Path(screens.__file__).parent

#: Classes named like a page that are not screens of their own, and why.
NOT_SCREENS = {
    ("ui.placeholder", "ScreenFailedPage"): "stands in the place of a screen that could not be built",
    ("ui.record_page", "RecordPage"): "the list-and-form a screen is made of, not a screen",
}


def _page_classes() -> set[tuple[str, str]]:
    """Every ``…Page`` widget class defined in ``ui/`` (wizard pages are steps of a dialog, not screens)."""
    found = set()
    for path in sorted(UI.glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and node.name.endswith("Page"):
                bases = {ast.unparse(base) for base in node.bases}
                if "QWizardPage" not in bases:
                    found.add((f"ui.{path.stem}", node.name))
    return found


def _parts(**changed: object) -> dict[str, object]:
    return {**{name: getattr(DASHBOARD, name) for name in PARTS}, **changed}


def test_every_page_the_navigation_reaches_has_exactly_one_screen() -> None:
    declared = Counter((screen.module, screen.page_class) for screen in SCREENS)
    assert all(count == 1 for count in declared.values()), declared
    assert set(declared) == _page_classes() - set(NOT_SCREENS)
    assert len({screen.title for screen in SCREENS}) == len(SCREENS)


def test_each_screen_names_a_widget_class_of_its_module() -> None:
    for screen in SCREENS:
        page = screen.page_type()
        assert isinstance(page, type) and issubclass(page, QWidget), screen.title
        assert page.__name__ == screen.page_class and page.__module__ == screen.module
        assert screen.purpose.strip(), screen.title


def test_a_screen_missing_a_part_cannot_be_made() -> None:
    for field in dataclasses.fields(Screen):  # no part is filled in silently
        assert field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING, field.name
    assert set(PARTS) == {"title", "purpose", "module", "page_class", "build", "shows", "follows_as_of",
                          "counts_bookkeeping"}
    for missing in PARTS:
        with pytest.raises(TypeError, match=missing):
            Screen(**{k: v for k, v in _parts().items() if k != missing})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Screen(*_parts().values())  # type: ignore[misc]  # by name only: no part taken for another
    with pytest.raises(dataclasses.FrozenInstanceError):
        DASHBOARD.title = "Home"  # type: ignore[misc]


@pytest.mark.parametrize(("part", "value"), [
    ("title", ""), ("purpose", "  "), ("module", "app.services.dashboard"), ("page_class", "Dashboard Page"),
    ("build", None), ("shows", None), ("shows", {"cases"}), ("shows", frozenset({1})),
    ("follows_as_of", "yes"), ("counts_bookkeeping", None),
])
def test_a_part_of_the_wrong_kind_is_refused_and_named(part: str, value: object) -> None:
    with pytest.raises(ScreenDeclarationError) as refused:
        Screen(**_parts(**{part: value}))  # type: ignore[arg-type]
    assert refused.value.part == part


def test_two_screens_with_one_title_or_one_page_are_refused() -> None:
    with pytest.raises(ScreenDeclarationError, match="declared twice"):
        checked((DASHBOARD, DASHBOARD))
    with pytest.raises(ScreenDeclarationError, match="another screen's page"):
        checked((DASHBOARD, dataclasses.replace(DASHBOARD, title="Home")))
    assert checked(iter(SCREENS)) == SCREENS


def test_an_unknown_screen_is_said_as_such() -> None:
    with pytest.raises(UnknownScreen) as unknown:
        screen_named("Billing")
    assert isinstance(unknown.value, KeyError) and isinstance(unknown.value, ValueError)
    assert unknown.value.title == "Billing"
    assert screen_named("Staff & roles").page_class == "StaffPage"


def test_go_keys_follow_the_order_of_the_list() -> None:
    assert [go_shortcut(i) for i in range(len(SCREENS))] == [f"Ctrl+{n}" for n in range(1, 10)] + [None] * 4


@pytest.fixture
def window(qtbot, demo_db) -> MainWindow:  # type: ignore[no-untyped-def]
    w = MainWindow(demo_db)
    qtbot.addWidget(w)
    w.show()
    return w


def test_the_window_lists_builds_and_follows_what_the_screens_declare(qtbot, window: MainWindow) -> None:
    assert isinstance(window, ScreenHost)  # all a screen's build may use of it
    titles = [screen.title for screen in SCREENS]
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == titles
    go = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Go")
    assert [a.text().replace("&&", "&") for a in go.actions()] == titles
    assert [a.shortcut().toString() or None for a in go.actions()] == [go_shortcut(i) for i in range(len(SCREENS))]
    for title in ("Staff & roles", "Audit log", "Settings"):
        screen = screen_named(title)
        page = window.page(title)
        assert type(page) is screen.page_type()
        [follower] = [f for f in window.hub._followers if f.screen is page]
        assert follower.shows == screen.tables and follower.bookkeeping is screen.counts_bookkeeping
    assert screen_named("Reports").tables == frozenset() and screen_named("Audit log").tables is None
    assert screen_named("Audit log").shows is Shows.EVERYTHING
    with pytest.raises(UnknownScreen):
        window.show_area("Billing")
    settle(qtbot)


def test_the_lock_belongs_to_the_session_and_settings_reach_it(qtbot, window: MainWindow) -> None:
    assert isinstance(window.session, UserSession)
    assert window.idle is window.session.idle and not window.locked
    settings = window.page("Settings")
    settings.lock_minutes_changed.emit(7)
    assert window.idle.timer.interval() == 7 * 60_000
    settle(qtbot)


def test_quit_on_the_lock_closes_the_window_and_takes_the_covers_away(qtbot, window: MainWindow) -> None:
    seen: dict[str, object] = {}

    def choose_quit() -> None:
        dialog = next((w for w in QApplication.topLevelWidgets() if isinstance(w, LockDialog) and w.isVisible()), None)
        if dialog is None:
            QTimer.singleShot(20, choose_quit)
            return
        seen["locked"] = window.locked
        dialog.quit()

    QTimer.singleShot(20, choose_quit)
    window.lock()
    assert seen["locked"] is True and not window.locked
    assert not window.isVisible()
    assert not any(isinstance(c, Cover) and c.isVisible() for c in window.children())
