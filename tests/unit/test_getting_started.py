"""The getting-started checklist of a new facility: derived from its records, a step leaves the
list once done, the list goes once every step is, and an established facility never sees it."""

from __future__ import annotations

import datetime as dt

from app.domain.records import CaseRecord, StaffRecord
from app.services import data_entry, meetings, staff
from app.services.cases import save_case
from app.services.facility import FacilityDetails, save_facility
from app.services.getting_started import (
    DATA_ENTRY,
    ELIGIBLE,
    FACILITY,
    MEETINGS,
    ROLES,
    checklist,
    still_to_do,
)

TODAY = dt.date(2026, 12, 7)


def keys(db, day: dt.date = TODAY) -> list[str]:  # type: ignore[no-untyped-def]
    return [step.key for step in still_to_do(db, day)]


def test_each_step_leaves_the_list_once_the_records_say_it_is_done(empty_db) -> None:
    db = empty_db
    save_facility(db, FacilityDetails("New RO", joined_on=dt.date(2020, 1, 15), records_kept_since=TODAY), today=TODAY)
    assert keys(db) == [FACILITY, ROLES, MEETINGS, ELIGIBLE, DATA_ENTRY]
    save_facility(db, FacilityDetails("New RO", joined_on=dt.date(2020, 1, 15), radiation_oncologists=3), today=TODAY)
    assert keys(db) == [ROLES, MEETINGS, ELIGIBLE, DATA_ENTRY]
    for staff_id, role in (("CC", "clinical_champion"), ("PL", "physics_lead")):
        staff.save_staff(db, StaffRecord(staff_id, staff_id, "physicist"))
        staff.save_role(db, staff_id, role, dt.date(2020, 1, 15), None)
    assert ROLES in keys(db)  # the CDA is still missing
    staff.save_staff(db, StaffRecord("CD", "CD", "cda"))
    staff.save_role(db, "CD", "cda", dt.date(2026, 12, 1), None)
    assert keys(db) == [MEETINGS, ELIGIBLE, DATA_ENTRY]
    meetings.save_meeting(db, "M-2025-03-05", dt.date(2025, 3, 5), "in_person")  # last year's: not this year's
    assert MEETINGS in keys(db)
    meetings.save_meeting(db, "M-2026-12-15", dt.date(2026, 12, 15), "virtual")
    save_case(db, CaseRecord("C-1", "lung", dt.date(2026, 11, 30)))
    assert keys(db) == [DATA_ENTRY]
    data_entry.save_data_entry(db, TODAY, "abstraction")
    assert keys(db) == [] and all(step.done for step in checklist(db, TODAY))


def test_every_step_names_a_screen_of_the_window() -> None:
    from app.services.getting_started import _steps
    from ui.screens import screen_named

    steps = _steps(None, set(), False, False, False, 2026)
    assert [s.key for s in steps] == [FACILITY, ROLES, MEETINGS, ELIGIBLE, DATA_ENTRY]
    for step in steps:
        assert screen_named(step.screen).title == step.screen and step.why and not step.done


def test_an_established_facility_never_sees_the_checklist(db) -> None:
    """Records kept since 2019 (the fixture's join date): nothing to get started with."""
    assert checklist(db, TODAY) == []
