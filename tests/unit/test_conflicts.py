"""No lost update: a save, delete, bulk change or undo based on an older version of a record is
refused with a ``Conflict`` saying what the other person saved; saving over it is explicit and
audited. The same on SQLite and on a shared PostgreSQL database."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from app.domain.records import CaseRecord, StaffRecord
from app.services import cases, letters, staff
from app.services.editing import Conflict, undo
from app.storage.models import AuditEntry, Case
from tests.support import as_role, create, reopen

D = dt.date(2025, 3, 1)


@pytest.fixture(params=["sqlite", "postgresql"])
def two_workstations(request, db, tmp_path):  # type: ignore[no-untyped-def]
    """The same facility open twice, as two workstations have it: (CDA's, champion's)."""
    from app.services.facility import FacilityDetails, save_facility

    if request.param == "sqlite":
        first = db
        second = reopen(db.path)
        yield as_role(first, "coordinator", "cda1"), as_role(second, "coordinator", "cda2")
        second.dispose()
        return
    # a shared database names who changed what by their own server login: two people signed in
    from app.security.signin import sign_in
    from app.services import users

    url = request.getfixturevalue("pg_url")
    admin = create(url)
    save_facility(admin, FacilityDetails(name="Shared RO", joined_on=dt.date(2019, 1, 1)), today=D)
    for name in ("cda1", "cda2"):
        users.add_user(admin, name, "coordinator", f"{name}'s first password")
    admin.dispose()
    first, second = (sign_in(url, name, f"{name}'s first password") for name in ("cda1", "cda2"))
    yield first, second
    second.dispose()
    first.dispose()


def _case(db, note: str | None = None) -> CaseRecord:  # type: ignore[no-untyped-def]
    cases.save_case(db, CaseRecord(case_id="K1", project="breast", eligible_on=D, status="pending", note=note))
    return cases.get_case(db, "K1")


def test_a_stale_save_is_refused_and_theirs_is_kept(two_workstations) -> None:
    first, second = two_workstations
    opened_by_first = _case(first)
    opened_by_second = cases.get_case(second, "K1")
    cases.save_case(first, dataclasses.replace(opened_by_first, note="called the patient"), original_id="K1")
    with pytest.raises(Conflict) as conflict:
        cases.save_case(second, dataclasses.replace(opened_by_second, note="old idea"), original_id="K1")
    assert conflict.value.theirs["note"] == "called the patient"
    assert ("note", "called the patient", "old idea") in conflict.value.differences()
    assert cases.get_case(first, "K1").note == "called the patient"  # not lost
    assert conflict.value.by == "cda1" and conflict.value.at is not None  # who saved first, from the audit log


def test_saving_mine_over_theirs_is_explicit_and_audited(two_workstations) -> None:
    first, second = two_workstations
    opened = _case(first)
    cases.save_case(second, dataclasses.replace(cases.get_case(second, "K1"), note="theirs"), original_id="K1")
    with pytest.raises(Conflict) as conflict:
        cases.save_case(first, dataclasses.replace(opened, note="mine"), original_id="K1")
    mine = dataclasses.replace(opened, note="mine", version=conflict.value.version)
    cases.save_case(first, mine, original_id="K1", overwrite=True)
    assert cases.get_case(second, "K1").note == "mine"
    with first.reader() as session:
        notes = [e.summary for e in session.scalars(select(AuditEntry).where(AuditEntry.action == "note"))]
    assert any("saved over another person's newer version" in (n or "") for n in notes)


def test_a_conflict_names_who_deleted_it(two_workstations) -> None:
    first, second = two_workstations
    opened_by_second = _case(second)
    cases.delete_case(first, "K1")
    with pytest.raises(Conflict) as conflict:
        cases.save_case(second, dataclasses.replace(opened_by_second, note="too late"), original_id="K1")
    assert conflict.value.theirs is None and conflict.value.by == "cda1"


def test_a_stale_delete_is_refused(two_workstations) -> None:
    first, second = two_workstations
    opened = _case(first)
    cases.save_case(second, dataclasses.replace(cases.get_case(second, "K1"), note="keep me"), original_id="K1")
    with pytest.raises(Conflict):
        cases.delete_case(first, "K1", version=opened.version)
    assert cases.get_case(second, "K1").note == "keep me"


def test_a_stale_bulk_status_change_changes_no_case(two_workstations) -> None:
    first, second = two_workstations
    for i in range(7):
        cases.save_case(first, CaseRecord(case_id=f"B{i}", project="lung", eligible_on=D, status="pending"))
    seen = {f"B{i}": cases.get_case(first, f"B{i}").version for i in range(7)}
    cases.save_case(second, dataclasses.replace(cases.get_case(second, "B3"), note="enrolled elsewhere"),
                    original_id="B3")
    with pytest.raises(Conflict) as conflict:
        cases.set_status(first, list(seen), "not_enrolled", reason="declined", versions=seen)
    assert conflict.value.key == ("B3",)
    with second.reader() as session:
        statuses = {c.case_id: c.status for c in session.scalars(select(Case).where(Case.case_id.like("B%")))}
    assert set(statuses.values()) == {"pending"}  # all or nothing
    assert cases.get_case(second, "B3").note == "enrolled elsewhere"


def test_an_undo_never_overwrites_a_later_change_by_someone_else(two_workstations) -> None:
    first, second = two_workstations
    opened = _case(first, note="first")
    change = cases.save_case(first, dataclasses.replace(opened, note="second"), original_id="K1")
    cases.save_case(second, dataclasses.replace(cases.get_case(second, "K1"), note="third, elsewhere"),
                    original_id="K1")
    with pytest.raises(Conflict):
        undo(first, change)
    assert cases.get_case(first, "K1").note == "third, elsewhere"


def test_a_record_deleted_elsewhere_is_a_conflict_not_a_crash(two_workstations) -> None:
    first, second = two_workstations
    staff.save_staff(first, StaffRecord(staff_id="P1", name="Pat", profession="cda"))
    row = next(s for s in staff.list_staff(first) if s.staff_id == "P1")
    staff.delete_staff(second, "P1", version=row.version)
    with pytest.raises(Conflict) as conflict:
        staff.save_staff(first, dataclasses.replace(row, name="Pat Renamed"), original_id="P1")
    assert conflict.value.theirs is None


def test_letters_and_their_versions(two_workstations) -> None:
    first, second = two_workstations
    letters.save_letter(first, D, "Data request", True)
    [row] = [r for r in letters.list_letters(first) if r.subject == "Data request"]
    letters.save_letter(second, D, "Data request", True, replied_on=D + dt.timedelta(days=3), letter_id=row.id,
                        version=row.version)
    with pytest.raises(Conflict):
        letters.save_letter(first, D, "Data request", False, letter_id=row.id, version=row.version)
    [now] = [r for r in letters.list_letters(second) if r.subject == "Data request"]
    assert now.replied_on == D + dt.timedelta(days=3) and now.version == row.version + 1
