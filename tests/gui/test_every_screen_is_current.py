"""Every screen is current after every edit: a change made through a service (as another screen,
an import or a script would make it) reaches the screen without anyone touching the as-of date."""

from __future__ import annotations

import datetime as dt

import pytest

from app.domain.records import CaseRecord, DosimetryRecord, StaffRecord
from app.services import cases, dosimetry, letters, meetings, qip, staff
from app.services.facility import FacilityDetails, get_facility, save_facility
from tests.gui.conftest import AS_OF, settle
from ui.main_window import MainWindow


@pytest.fixture
def window(settled_window: MainWindow) -> MainWindow:
    return settled_window


def shown(qtbot, window: MainWindow, area: str):  # type: ignore[no-untyped-def]
    window.show_area(area)
    settle(qtbot)
    return window.page(area)


def unchanged_date(window: MainWindow) -> None:
    assert window.as_of.day == AS_OF


def test_dashboard_counts_letters_entered_elsewhere(qtbot, window: MainWindow) -> None:
    page = shown(qtbot, window, "Dashboard")
    tile = next(t for t in page.data.tiles if t.rule == "QIP-CORR-NORESPONSE")
    before = int(tile.figure)
    for day in (1, 2):
        letters.save_letter(window.db, AS_OF - dt.timedelta(days=60 + day), f"Overdue request {day}", True)
    settle(qtbot)
    tile = next(t for t in page.data.tiles if t.rule == "QIP-CORR-NORESPONSE")
    assert int(tile.figure) == before + 2 and tile.status == "triggered"
    unchanged_date(window)


def test_register_shows_a_case_added_elsewhere(qtbot, window: MainWindow) -> None:
    page = shown(qtbot, window, "Enrollment")
    before = page.model.rowCount()
    cases.save_case(window.db, CaseRecord(case_id="HUB-0001", project="lung", eligible_on=AS_OF - dt.timedelta(days=3),
                                          status="pending"))
    settle(qtbot)
    assert page.model.rowCount() == before + 1
    unchanged_date(window)


def test_dosimetry_lists_a_submission_logged_elsewhere(qtbot, window: MainWindow) -> None:
    page = shown(qtbot, window, "Dosimetry")
    before = len(page.list.records)
    cases.save_case(window.db, CaseRecord(case_id="HUB-0002", project="breast", eligible_on=AS_OF - dt.timedelta(days=40),
                                          status="enrolled", enrolled_on=AS_OF - dt.timedelta(days=30)))
    physicist = next(p.staff_id for p in staff.list_staff(window.db) if p.profession == "physicist")
    dosimetry.save_submission(window.db, DosimetryRecord(case_id="HUB-0002", submitted_on=AS_OF - dt.timedelta(days=5),
                                                         staff_id=physicist, technique="VMAT", total_dose_gy=40.05,
                                                         fractions=15))
    settle(qtbot)
    assert len(page.list.records) == before + 1
    assert any(r["case_id"] == "HUB-0002" for r in page.list.records)


def test_staff_and_roles_show_a_person_added_elsewhere(qtbot, window: MainWindow) -> None:
    page = shown(qtbot, window, "Staff & roles")
    before = len(page.people.records)
    staff.save_staff(window.db, StaffRecord(staff_id="HUB-S1", name="Hub Example", profession="cda", works_on_mroqc=True))
    settle(qtbot)
    assert len(page.people.records) == before + 1


def test_meetings_show_a_meeting_added_elsewhere(qtbot, window: MainWindow) -> None:
    page = shown(qtbot, window, "Meetings")
    before = len(page.meeting_list.records)
    meetings.save_meeting(window.db, "HUB-M1", AS_OF - dt.timedelta(days=10), "in_person", "Hub test meeting")
    settle(qtbot)
    assert len(page.meeting_list.records) == before + 1


def test_correspondence_shows_a_letter_and_its_status_at_the_as_of_date(qtbot, window: MainWindow) -> None:
    page = shown(qtbot, window, "Correspondence")
    letters.save_letter(window.db, AS_OF - dt.timedelta(days=30), "Hub status check", True)
    settle(qtbot)
    row = next(r for r in page.list.records if r["subject"] == "Hub status check")
    assert row["state"] == "overdue"  # due 14 days after receipt, long before the as-of date
    window.as_of.set(AS_OF - dt.timedelta(days=25))
    settle(qtbot)
    row = next(r for r in page.list.records if r["subject"] == "Hub status check")
    assert row["state"] == "awaiting reply"  # judged at the as-of date, not today
    window.as_of.set(AS_OF)


def test_findings_show_a_trigger_caused_elsewhere(qtbot, window: MainWindow) -> None:
    page = shown(qtbot, window, "Findings")
    before = sum(1 for f in page.result.findings if f.rule == "QIP-CORR-NORESPONSE" and f.severity == "trigger")
    for day in (1, 2):
        letters.save_letter(window.db, AS_OF - dt.timedelta(days=80 + day), f"Findings request {day}", True)
    settle(qtbot)
    after = [f for f in page.result.findings if f.rule == "QIP-CORR-NORESPONSE"]
    assert after and after[0].severity == "trigger" and (before == 0 or len(after[0].evidence["letters"]) >= 2)
    unchanged_date(window)


def test_qip_tracker_shows_an_episode_opened_elsewhere(qtbot, window: MainWindow) -> None:
    page = shown(qtbot, window, "QIP tracker")
    before = len(page.episodes)
    qip.open_episode(window.db, "QIP-DATA-LAG", {}, "opened by the hub test", AS_OF)
    settle(qtbot)
    assert len(page.episodes) == before + 1


def test_programs_follow_a_change_of_the_oncologists(qtbot, window: MainWindow) -> None:
    page = shown(qtbot, window, "Programs")
    staff.save_staff(window.db, StaffRecord(staff_id="HUB-RO", name="Dr. Hub Oncologist", profession="radiation_oncologist",
                                            works_on_mroqc=True, treats_mroqc_patients=True))
    settle(qtbot)
    assert "Dr. Hub Oncologist" in page.text.toPlainText()


def test_audit_log_and_settings_follow_a_facility_change(qtbot, window: MainWindow) -> None:
    audit = shown(qtbot, window, "Audit log")
    rows = audit.table.rowCount()
    facility = get_facility(window.db)
    save_facility(window.db, FacilityDetails(name="Renamed by the hub test", kind=facility.kind,
                                             radiation_oncologists=facility.radiation_oncologists,
                                             joined_on=facility.joined_on, baseline_year=facility.baseline_year,
                                             policy_year=facility.policy_year), today=AS_OF)
    settle(qtbot)
    assert audit.table.rowCount() >= rows + 1 or audit.count.text()
    assert "Renamed by the hub test" in window.windowTitle()
    settings = shown(qtbot, window, "Settings")
    assert settings.name.text() == "Renamed by the hub test"


def test_f5_reads_everything_again(qtbot, window: MainWindow) -> None:
    page = shown(qtbot, window, "Dashboard")
    page.data = None
    refresh = next(a for a in window.menuBar().actions() if a.text() == "&View").menu().actions()[0]
    assert refresh.shortcuts()[0].toString() == "F5"
    refresh.trigger()
    settle(qtbot)
    assert page.data is not None
