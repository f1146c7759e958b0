"""An audit log an auditor can use (issue 22): every entry names its record in people's words, a
case ID finds everything about the case, failed sign-ins are nobody's, times are the facility's,
and the export reads as words (or JSON), never as Python's reprs."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import socket
from pathlib import Path

import pytest
from sqlalchemy import select

from app.domain.records import CaseRecord, DosimetryRecord, StaffRecord
from app.security.signin import AccountLocked, SignInFailed, check_credentials, sign_in
from app.services import audit_log, cases, dosimetry, staff, users
from app.services.facility import FacilityDetails, facility_zone, get_facility, save_facility
from app.storage import audit
from app.storage.audit_words import entries_words
from app.storage.database import sqlite_url
from app.storage.models import AuditEntry, DosimetrySubmission
from tests.support import ADMIN, PASSWORD

D = dt.date
CASE = "MRQ-2025-0042"
PETE_PASSWORD = "pete's own password 1"


def _submission(db) -> int:  # type: ignore[no-untyped-def]
    """Case ``CASE`` with a dosimetry submission by S-07 Ann Lee, then its dose corrected."""
    staff.save_staff(db, StaffRecord(staff_id="S-07", name="Ann Lee", profession="physicist"))
    cases.save_case(db, CaseRecord(case_id=CASE, project="breast", eligible_on=D(2025, 5, 1), status="enrolled",
                                   enrolled_on=D(2025, 5, 9), name="Jane Patient", mrn="000123"))
    cases.save_case(db, CaseRecord(case_id="MRQ-2025-0043", project="breast", eligible_on=D(2025, 5, 1)))
    record = DosimetryRecord(CASE, D(2025, 6, 2), "S-07", "IMRT", 50.0, 25, {"mean_heart_dose_gy": 1.5})
    change = dosimetry.save_submission(db, record)
    [submission_id] = change.key
    with db.reader() as session:
        version = session.get(DosimetrySubmission, submission_id).version
    dosimetry.save_submission(db, dataclasses.replace(record, total_dose_gy=45.0, version=version),
                              submission_id=submission_id)
    return submission_id


def _entries(db, **filters) -> list[dict]:  # type: ignore[no-untyped-def]
    return audit_log.fetch_entries(db, audit_log.AuditQuery(**filters), 0, 1000)


def test_a_dosimetry_submission_is_found_by_its_case_id(db) -> None:
    submission_id = _submission(db)
    dosimetry.delete_submission(db, submission_id)
    found = _entries(db, record=CASE)
    assert [(e["table_name"], e["action"]) for e in found] == [
        ("dosimetry_submissions", "delete"), ("dosimetry_submissions", "update"), ("dosimetry_submissions", "insert"),
        ("cases", "insert")]
    assert {e["record"] for e in found if e["table_name"] == "dosimetry_submissions"} == {
        f"case {CASE}: dosimetry submitted 2025-06-02"}          # never the row number alone
    assert [e["record"] for e in found if e["table_name"] == "cases"] == [f"case {CASE}"]
    assert "MRQ-2025-0043" not in " ".join(e["record"] for e in found)  # the other case is not about it
    update = next(e for e in found if e["action"] == "update")
    assert audit_log.describe_change(update) == "total dose (Gy): 50.0 → 45.0"
    assert "Jane" not in json.dumps(found, default=str) and "000123" not in json.dumps(found, default=str)


def test_an_earlier_versions_entry_is_named_and_found_by_the_record_as_it_is(db) -> None:
    submission_id = _submission(db)
    with db.transaction(None) as session:  # as an earlier version wrote it: no words kept
        audit.append(session, [{"at": audit.now(), "user": ADMIN, "action": "update",
                                "table_name": "dosimetry_submissions", "record_key": str(submission_id),
                                "before": {"fractions": 25}, "after": {"fractions": 20}, "change_set": "old",
                                "summary": None}])
    [old] = [e for e in _entries(db, record=CASE) if e["change_set"] == "old"]
    assert old["record"] == f"case {CASE}: dosimetry submitted 2025-06-02"
    with db.reader() as session:
        assert entries_words(session, [old | {"summary": None}]) == [old["record"]]
    assert audit_log.chain_status(db).intact  # appended like any entry: the chain holds


def test_a_role_change_names_the_user_and_a_role_names_the_person(db) -> None:
    users.add_user(db, "pete", "physics", PETE_PASSWORD)
    users.set_role(db, "pete", "coordinator")
    [change] = _entries(db, table="users", record="pete")[:1]
    assert change["action"] == "update" and change["record"] == "user pete"
    assert "role:" in audit_log.describe_change(change) and change["record_key"] != "pete"  # keyed by a row number
    staff.save_staff(db, StaffRecord(staff_id="S-07", name="Ann Lee", profession="physicist"))
    staff.save_role(db, "S-07", "physics_lead", D(2025, 1, 1), None)
    [role] = _entries(db, table="role_assignments")
    assert role["record"] == "Physics lead: S-07 Ann Lee"
    assert {e["table_name"] for e in _entries(db, record="Ann Lee")} == {"staff", "role_assignments"}


def _failed_notes(db) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with db.reader() as session:
        return [(e.user, e.summary) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.summary.contains("failed sign-in")).order_by(AuditEntry.id))]


def test_failed_sign_ins_at_another_users_locked_window_are_not_that_users(db) -> None:
    users.add_user(db, "pete", "physics", PETE_PASSWORD)
    at = dt.datetime(2026, 12, 7, 15, 0)
    for minute in range(5):  # pete tries five times at the admin's locked window
        with pytest.raises(SignInFailed):
            check_credentials(db, "pete", "not pete's password", at=at + dt.timedelta(minutes=minute))
    with pytest.raises(SignInFailed):  # a password typed into the name box
        check_credentials(db, "hunter2 secret words", "x" * 12, at=at + dt.timedelta(minutes=6))
    check_credentials(db, ADMIN, PASSWORD, at=at + dt.timedelta(minutes=7))  # the admin unlocks: notes written
    notes = _failed_notes(db)
    here = socket.gethostname()
    assert notes == [(audit.NOT_SIGNED_IN, f"failed sign-in: not signed in, tried pete at workstation {here}")] * 5 + [
        (audit.NOT_SIGNED_IN, f"failed sign-in: not signed in, tried an unknown name at workstation {here}")]
    assert not any(ADMIN in user for user, _ in notes)             # never the window's user
    assert not any("hunter2" in summary for _, summary in notes)   # never what was typed
    assert len(_entries(db, record="tried pete")) == 5             # found by the name tried
    assert audit.NOT_SIGNED_IN in audit_log.filter_choices(db)[0]


def test_failed_sign_ins_at_a_fresh_window_are_not_the_systems(db, db_path: Path) -> None:
    users.add_user(db, "pete", "physics", PETE_PASSWORD)
    url = sqlite_url(db_path)
    for _ in range(2):
        with pytest.raises(SignInFailed):
            sign_in(url, "pete", "not pete's password")
    sign_in(url, "pete", PETE_PASSWORD).dispose()
    assert {user for user, _ in _failed_notes(db)} == {audit.NOT_SIGNED_IN}


def test_failed_sign_ins_on_a_shared_database_are_nobodys(pg_url: str) -> None:
    from tests.support import create

    db = create(pg_url)
    try:
        users.add_user(db, "pete", "physics", PETE_PASSWORD)
        with pytest.raises(SignInFailed):
            check_credentials(db, "pete", "not pete's password")  # at the admin's window
        with pytest.raises(SignInFailed):
            sign_in(pg_url, "pete", "not pete's password")          # at a fresh one
        with pytest.raises((SignInFailed, AccountLocked)):
            sign_in(pg_url, "nobody-here", "not a password")
        notes = _failed_notes(db)
        assert [user for user, _ in notes] == [audit.NOT_SIGNED_IN] * 3
        assert [s.split(" at workstation")[0] for _, s in notes] == [
            "failed sign-in: not signed in, tried pete"] * 2 + ["failed sign-in: not signed in, tried an unknown name"]
    finally:
        db.dispose()


def test_times_are_shown_in_the_facilitys_zone_whatever_the_computers(db, monkeypatch) -> None:
    import time

    monkeypatch.setenv("TZ", "Asia/Tokyo")  # the computer's zone must not matter
    time.tzset()
    try:
        assert facility_zone(db) == "America/Detroit"  # a facility that chose none
        with db.transaction(None, at=dt.datetime(2025, 7, 1, 2, 5, 9)) as session:  # UTC; June 30 in Michigan
            audit.note(session, "a note at a known time")
        query = audit_log.AuditQuery(record="a note at a known time", zone=facility_zone(db))
        [entry] = audit_log.fetch_entries(db, query, 0, 10)
        assert audit_log.entry_row(entry, query.zone)[0] == "2025-06-30 22:05:09 EDT"
        assert audit_log.when_heading(query.zone) == "When (America/Detroit)"
        day = dataclasses.replace(query, date_from=D(2025, 6, 30), date_to=D(2025, 6, 30))
        assert audit_log.count_entries(db, day) == 1  # the facility's day, not UTC's (July 1)
        assert audit_log.count_entries(db, dataclasses.replace(day, date_from=D(2025, 7, 1), date_to=None)) == 0
        facility = get_facility(db)
        save_facility(db, FacilityDetails(name=facility.name, joined_on=facility.joined_on,
                                          baseline_year=facility.baseline_year, time_zone="America/Menominee"),
                      today=D(2026, 1, 1))
        assert facility_zone(db) == "America/Menominee"
        assert audit_log.entry_row(entry, facility_zone(db))[0] == "2025-06-30 21:05:09 CDT"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_an_unknown_time_zone_is_refused(db) -> None:
    from app.services.facility import FacilityError

    facility = get_facility(db)
    with pytest.raises(FacilityError, match="time zone"):
        save_facility(db, FacilityDetails(name=facility.name, time_zone="Michigan/Lansing"), today=D(2026, 1, 1))


def test_the_export_reads_as_words_or_json_never_python_reprs(db, tmp_path: Path) -> None:
    from app.rules.findings import Finding
    from app.services.reviews import mark_reviewed

    _submission(db)
    finding = Finding(rule="QIP-DATA-LAG", kind="qip", severity="trigger", subject={}, message="m", evidence={})
    mark_reviewed(db, finding, "Our CDA was on leave.", D(2025, 6, 30))  # its detail is {"onset": None}
    zone = facility_zone(db)
    out = tmp_path / "audit.csv"
    assert audit_log.export_entries(db, audit_log.AuditQuery(zone=zone), out) > 0
    text = out.read_text(encoding="utf-8-sig")
    assert "{'" not in text and "None" not in text and "[hidden PHI]" in text
    rows = list(csv.reader(text.splitlines()))
    assert rows[0] == ["When (America/Detroit)", "Who", "Change", "What", "Record", "Before → after"]
    update = next(r for r in rows if r[2] == "changed" and r[3] == "dosimetry submission")
    assert update[4] == f"case {CASE}: dosimetry submitted 2025-06-02" and update[5] == "total dose (Gy): 50.0 → 45.0"
    added = next(r for r in rows if r[2] == "added" and r[3] == "dosimetry submission")
    assert "metrics (Mean heart dose (Gy) 1.5)" in added[5]
    review = next(r for r in rows if r[3] == "finding review")
    assert review[4] == "review of QIP-DATA-LAG, the facility" and "detail (onset (blank))" in review[5]
    as_json = tmp_path / "audit.json"
    audit_log.export_entries(db, audit_log.AuditQuery(zone=zone), as_json)
    entries = json.loads(as_json.read_text(encoding="utf-8"))
    changed = next(e for e in entries if e["change"] == "changed" and e["what"] == "dosimetry submission")
    assert changed["record"] == f"case {CASE}: dosimetry submitted 2025-06-02"
    assert changed["before"] == {"total_dose_gy": 50.0} and changed["after"] == {"total_dose_gy": 45.0}
    assert dt.datetime.fromisoformat(changed["when"]).utcoffset() in (dt.timedelta(hours=-4), dt.timedelta(hours=-5))
    with pytest.raises(ValueError, match=r"\.json"):
        audit_log.export_entries(db, audit_log.AuditQuery(zone=zone), tmp_path / "audit.txt")
