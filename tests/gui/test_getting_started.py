"""Day one on the Dashboard of a new facility: the getting-started checklist (each step opens its
screen and leaves once done) and the history rule (no red for what the app cannot know)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from app.domain.records import CaseRecord, StaffRecord
from app.services import data_entry, meetings, staff
from app.services.cases import save_case
from app.services.facility import FacilityDetails, save_facility
from tests.gui.conftest import AS_OF, open_window, settle
from ui.dashboard import TileWidget
from ui.screens import SCREENS


def new_facility(db):  # type: ignore[no-untyped-def]
    """Joined 2020-01-15, starting with the app on the window's as-of date, nothing entered yet."""
    save_facility(db, FacilityDetails("Harbor RO", joined_on=dt.date(2020, 1, 15), records_kept_since=AS_OF),
                  today=AS_OF)
    return db


def test_a_new_facility_gets_the_checklist_and_each_step_opens_its_screen(qtbot, empty_db) -> None:
    window = open_window(qtbot, new_facility(empty_db))
    page = window.page("Dashboard")
    checklist = page.getting_started
    qtbot.waitUntil(lambda: checklist.isVisible(), timeout=10000)
    assert list(checklist.buttons) == ["facility", "roles", "meetings", "eligible", "data_entry"]
    for key, screen in (("roles", "Staff & roles"), ("meetings", "Meetings"), ("eligible", "Enrollment"),
                        ("data_entry", "Programs"), ("facility", "Settings")):
        window.show_area("Dashboard")
        qtbot.mouseClick(checklist.buttons[key], Qt.MouseButton.LeftButton)
        assert SCREENS[window.nav.currentRow()].title == screen, key


def test_a_step_leaves_the_checklist_once_done_and_the_list_goes_when_all_are(qtbot, empty_db) -> None:
    db = new_facility(empty_db)
    window = open_window(qtbot, db)
    page = window.page("Dashboard")
    qtbot.waitUntil(lambda: "meetings" in page.getting_started.buttons, timeout=10000)
    meetings.save_meeting(db, "M-2025-09-10", dt.date(2025, 9, 10), "in_person")
    page.refresh()
    settle(qtbot)
    qtbot.waitUntil(lambda: "meetings" not in page.getting_started.buttons, timeout=10000)
    assert "roles" in page.getting_started.buttons and page.getting_started.isVisible()
    # the other steps, done where they are done: the list goes once all are
    save_facility(db, FacilityDetails("Harbor RO", joined_on=dt.date(2020, 1, 15), radiation_oncologists=2),
                  today=AS_OF)
    for staff_id, profession, role in (("CC", "radiation_oncologist", "clinical_champion"),
                                       ("PL", "physicist", "physics_lead"), ("CD", "cda", "cda")):
        staff.save_staff(db, StaffRecord(staff_id, staff_id, profession))
        staff.save_role(db, staff_id, role, AS_OF, None)
    save_case(db, CaseRecord("C-1", "lung", AS_OF))
    data_entry.save_data_entry(db, AS_OF, "abstraction")
    page.refresh()
    settle(qtbot)
    qtbot.waitUntil(lambda: not page.getting_started.buttons, timeout=10000)
    assert not page.getting_started.isVisible()


def test_the_history_rule_on_a_new_facility_says_not_enough_history(qtbot, empty_db) -> None:
    db = new_facility(empty_db)
    staff.save_staff(db, StaffRecord("CD", "Dee Abstractor", "cda"))
    window = open_window(qtbot, db)
    page = window.page("Dashboard")
    qtbot.waitUntil(lambda: page.data is not None, timeout=10000)
    for rule in ("QIP-DATA-LAG", "QIP-ENR-ZERO", "PART-VOLUME"):
        tile = page.findChild(TileWidget, f"tile-{rule}")
        texts = [w.text() for w in tile.findChildren(QLabel)]
        assert tile.status == "history", rule
        assert any(t.replace("\u00a0", " ") == "not enough history yet (records kept since 2025-06-30)"
                   for t in texts), texts
        assert "What counts:" in tile.toolTip() and tile.counts
    lag = page.findChild(TileWidget, "tile-QIP-DATA-LAG")
    assert "data-entry session" in lag.findChild(QLabel, "why").toolTip()
    assert not any(t.status == "triggered" for t in page.tile_widgets if t.rule in
                   {"QIP-DATA-LAG", "QIP-ENR-ZERO", "QIP-ENR-DECLINE", "PART-VOLUME", "QIP-MTG-MISSED"})
