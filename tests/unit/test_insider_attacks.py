"""The insider's attacks of the evidence issue, each tried as the physics user would: signed in with
their own password, so holding the database key, with SQLite and the chain's own code at hand.

Each rewrite of the audit log is followed by recomputing every hash and ``audit_head`` (and, where
the insider can, re-signing their own transactions with their own key), as the report did; then
the next honest person signs in and runs ``verify``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from app.domain.permissions import NotAllowed
from app.domain.records import CaseRecord
from app.security.keyfile import KeyFile, key_file_for, user_slot
from app.security.people import SIGNING, signed_message
from app.security.pki import load_signing_key, sign
from app.security.signin import RoleNotGranted, SignInFailed, sign_in, sign_in_with_recovery_key
from app.services import cases, users
from app.services.maintenance import reindex_database, verify_database
from app.storage.audit_chain import GENESIS, link
from app.storage.database import sqlite_url
from app.storage.errors import NoFacility  # noqa: F401 - the module's errors load without SQLAlchemy
from tests.support import ADMIN, PASSWORD, cli, create_with_key, raw_connection, reopen

TODAY = dt.date(2026, 12, 7)
PHIL = "phil"
PHIL_PASSWORD = "phil's own password 1"


@pytest.fixture
def facility(db_path):  # type: ignore[no-untyped-def]
    """Dana (the administrator) and Phil (physics), each with work of their own in the log."""
    db, recovery = create_with_key(db_path)
    from app.services.facility import FacilityDetails, save_facility

    save_facility(db, FacilityDetails(name="Lakeside Cancer Center"), today=TODAY)
    users.add_user(db, PHIL, "physics", "phil's first password")
    for n in range(6):
        cases.save_case(db, CaseRecord(case_id=f"C{n}", project="lung", status="pending", eligible_on=TODAY))
    db.dispose()
    phil = sign_in(sqlite_url(db_path), PHIL, "phil's first password")
    users.change_own_password(phil, "phil's first password", PHIL_PASSWORD)
    phil.dispose()
    phil = sign_in(sqlite_url(db_path), PHIL, PHIL_PASSWORD)
    phil.dispose()
    admin = reopen(db_path)  # the administrator saw all of it
    cases.save_case(admin, CaseRecord(case_id="C9", project="breast", status="pending", eligible_on=TODAY))
    admin.dispose()
    return db_path, recovery


def _honest_verify(db_path):  # type: ignore[no-untyped-def]
    """The administrator signs in (their own slot's memory is checked) and verifies. A sign-in
    refused because the grant of their own role was removed is a finding too."""
    try:
        admin = reopen(db_path)
    except RoleNotGranted as refused:
        return [str(refused)]
    try:
        report = verify_database(admin)
        return admin.alarms + report.problems
    finally:
        admin.dispose()


def _rechain(conn, signer_name: str | None = None, signer_password: str | None = None, db_path=None) -> None:  # type: ignore[no-untyped-def]
    """Recompute every hash and the head, as the insider would; re-sign their own transactions."""
    columns = ("id", "at", "user", "action", "table_name", "record_key", "before", "after", "change_set", "summary")
    rows = conn.execute(f"SELECT {', '.join(columns)} FROM audit_log ORDER BY id").fetchall()
    previous = GENESIS
    for row in rows:
        entry = dict(zip(columns, row, strict=True))
        entry["at"] = dt.datetime.fromisoformat(entry["at"])
        previous = link(previous, entry)
        conn.execute("UPDATE audit_log SET hash = ? WHERE id = ?", (previous, entry["id"]))
    last = rows[-1][0] if rows else 0
    conn.execute("UPDATE audit_head SET last_id = ?, last_hash = ?, entries = ?", (last, previous, len(rows)))
    if signer_name is not None:
        unlocked = KeyFile.load(key_file_for(db_path)).unlock(user_slot(signer_name), signer_password)
        key = load_signing_key(unlocked.boxes[SIGNING])
        for sig_id, last_id in conn.execute("SELECT id, last_entry_id FROM audit_signatures WHERE user_name = ?",
                                            (signer_name,)).fetchall():
            entry = conn.execute("SELECT hash, change_set FROM audit_log WHERE id = ?", (last_id,)).fetchone()
            if entry is None:
                continue
            conn.execute("UPDATE audit_signatures SET entry_hash = ?, signature = ? WHERE id = ?",
                         (entry[0], sign(key, signed_message(last_id, entry[0], signer_name, entry[1])).hex(), sig_id))
    conn.commit()


def _admin_entries(conn) -> list[int]:  # type: ignore[no-untyped-def]
    return [r[0] for r in conn.execute("SELECT id FROM audit_log WHERE user = ? ORDER BY id", (ADMIN,))]


def test_an_untouched_log_verifies(facility) -> None:
    db_path, _ = facility
    assert _honest_verify(db_path) == []


@pytest.mark.parametrize("attack", ["edit a middle entry", "delete the last entry", "delete the last 5 entries",
                                    "delete a middle entry", "reorder two entries", "delete every entry of one user"])
def test_six_rewrites_of_the_log_are_found(facility, attack: str) -> None:
    db_path, _ = facility
    conn = raw_connection(db_path)  # Phil's password gives the database key: he can do all of this
    ids = [r[0] for r in conn.execute("SELECT id FROM audit_log ORDER BY id")]
    middle = ids[len(ids) // 2]
    if attack == "edit a middle entry":
        conn.execute("UPDATE audit_log SET summary = 'nothing to see' WHERE id = ?", (middle,))
    elif attack.startswith("delete the last"):
        cut = ids[-1:] if attack == "delete the last entry" else ids[-5:]
        conn.execute(f"DELETE FROM audit_log WHERE id IN ({','.join('?' * len(cut))})", cut)
        conn.execute(f"DELETE FROM audit_signatures WHERE last_entry_id IN ({','.join('?' * len(cut))})", cut)
    elif attack == "delete a middle entry":
        conn.execute("DELETE FROM audit_log WHERE id = ?", (middle,))
    elif attack == "reorder two entries":
        a, b = middle, middle + 1
        conn.execute("UPDATE audit_log SET id = -1 WHERE id = ?", (a,))
        conn.execute("UPDATE audit_log SET id = ? WHERE id = ?", (a, b))
        conn.execute("UPDATE audit_log SET id = ? WHERE id = -1", (b,))
    else:  # everything Dana ever did, gone, and Phil's own transactions re-signed by Phil
        gone = _admin_entries(conn)
        conn.execute(f"DELETE FROM audit_log WHERE id IN ({','.join('?' * len(gone))})", gone)
        conn.execute("DELETE FROM audit_signatures WHERE user_name = ?", (ADMIN,))
    conn.commit()
    _rechain(conn, PHIL, PHIL_PASSWORD, db_path)
    conn.close()
    found = _honest_verify(db_path)
    assert found, f"{attack}: nothing found"
    # verify exits 1; with Dana's own grant gone she is refused at sign-in instead (exit 2, saying why)
    assert cli(["verify", "--db", db_path]) == (2 if attack == "delete every entry of one user" else 1)


def forge_entry(conn, user: str, table: str, key: str, summary: str) -> None:  # type: ignore[no-untyped-def]
    """An entry written straight into the file in ``user``'s name and the chain rehashed, as an
    insider would: only the missing signature gives it away."""
    last = conn.execute("SELECT max(id) FROM audit_log").fetchone()[0]
    conn.execute("INSERT INTO audit_log (id, at, user, action, table_name, record_key, change_set, summary) "
                 "VALUES (?, '2026-12-07 10:00:00.000000', ?, 'note', ?, ?, 'forged', ?)",
                 (last + 1, user, table, key, summary))
    conn.commit()
    _rechain(conn)


def test_an_entry_written_in_anothers_name_is_found(facility) -> None:
    db_path, _ = facility
    conn = raw_connection(db_path)
    forge_entry(conn, ADMIN, "cases", "C1", "deleted C1")
    conn.close()
    assert any(f"in the name of {ADMIN} is not signed by {ADMIN}" in p for p in _honest_verify(db_path))


def test_a_row_changed_outside_the_app_is_named(facility) -> None:
    db_path, _ = facility
    conn = raw_connection(db_path)
    conn.execute("UPDATE cases SET status = 'enrolled', enrolled_on = '2026-12-01' WHERE case_id = 'C3'")
    conn.execute("INSERT INTO staff (staff_id, name, profession, works_on_mroqc, treats_mroqc_patients, version) "
                 "VALUES ('S-X', 'Ghost', 'physicist', 0, 0, 1)")
    conn.commit()
    conn.close()
    found = _honest_verify(db_path)
    assert any("cases" in p and "C3" in p and "changed outside the app" in p for p in found), found
    assert any(p.startswith("table staff S-X") and "added outside the app" in p for p in found), found


def test_a_case_hidden_from_the_search_by_id_is_found_and_reindex_brings_it_back(facility, capsys) -> None:
    """The register's search index of the case IDs is derived, not audited: Phil removes a case's
    entry (and slips in an ID of no case) so the coordinator's search for it finds nothing.
    ``verify`` holds the index to the cases; ``reindex`` (an administrator) makes it again."""
    from app.services.register import RegisterQuery, count_cases

    db_path, _ = facility
    admin = reopen(db_path)
    cases.save_case(admin, CaseRecord(case_id="LUNG-2026-0042", project="lung", status="pending", eligible_on=TODAY))
    admin.dispose()
    conn = raw_connection(db_path)
    conn.execute("DELETE FROM case_id_search WHERE case_id = 'LUNG-2026-0042'")
    conn.execute("INSERT INTO case_id_search (case_id) VALUES ('GHOST-1')")
    conn.commit()
    conn.close()
    admin = reopen(db_path)
    assert count_cases(admin, RegisterQuery(search="2026-0042")) == 0  # hidden
    admin.dispose()
    found = _honest_verify(db_path)
    assert any(p.startswith("search index:") and "1 case(s) missing" in p and "1 ID(s) of no case" in p
               and "mroqc-desk reindex" in p for p in found), found
    assert cli(["verify", "--db", db_path]) == 1
    phil = sign_in(sqlite_url(db_path), PHIL, PHIL_PASSWORD)
    with pytest.raises(NotAllowed):  # physics may not
        reindex_database(phil)
    phil.dispose()
    assert cli(["reindex", "--db", db_path]) == 0
    assert "the register's search index holds 8 case IDs" in capsys.readouterr().out
    assert _honest_verify(db_path) == []
    admin = reopen(db_path)
    assert count_cases(admin, RegisterQuery(search="2026-0042")) == 1
    admin.dispose()
    conn = raw_connection(db_path)
    assert conn.execute("SELECT count(*) FROM audit_log WHERE summary LIKE 'every index made again%'").fetchone()[0] == 1
    conn.close()


def test_making_oneself_administrator_in_the_users_table_gives_no_rights(facility) -> None:
    db_path, _ = facility
    conn = raw_connection(db_path)
    conn.execute("UPDATE users SET role = 'admin' WHERE name = ?", (PHIL,))
    conn.commit()
    conn.close()
    phil = sign_in(sqlite_url(db_path), PHIL, PHIL_PASSWORD)
    try:
        assert phil.actor.role == "physics"
        assert any("role in the users table is admin" in a for a in phil.alarms)
        from app.domain.permissions import NotAllowed

        with pytest.raises(NotAllowed):
            users.add_user(phil, "crony", "admin", "a password for crony")
    finally:
        phil.dispose()
    # and an account inserted outside the app does not sign in at all
    conn = raw_connection(db_path)
    conn.execute("INSERT INTO users (name, role, disabled, must_change_password, created_at, version) "
                 "VALUES ('ghost', 'admin', 0, 0, '2026-12-07 10:00:00', 1)")
    conn.commit()
    conn.close()
    keys = KeyFile.load(key_file_for(db_path))
    from tests.support import database_key

    keys.wrap(user_slot("ghost"), "ghost's password 123", database_key(db_path))
    keys.save()
    with pytest.raises(RoleNotGranted):
        sign_in(sqlite_url(db_path), "ghost", "ghost's password 123")


def test_a_password_typed_as_a_user_name_is_never_written_down(facility) -> None:
    db_path, _ = facility
    with pytest.raises(SignInFailed):
        sign_in(sqlite_url(db_path), "hunter2-is-my-password", "whatever")
    text = key_file_for(db_path).read_text()
    assert "hunter2" not in text
    admin = reopen(db_path)
    try:
        with admin.reader() as session:
            from sqlalchemy import text as sql

            logged = " ".join(str(r) for r in session.execute(sql("SELECT summary, record_key FROM audit_log")))
        assert "hunter2" not in logged
    finally:
        admin.dispose()


def test_the_recovery_key_opens_the_database_when_its_key_file_is_lost(facility) -> None:
    db_path, recovery = facility
    key_file_for(db_path).unlink()
    with pytest.raises(SignInFailed):
        sign_in_with_recovery_key(sqlite_url(db_path), "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH")
    db = sign_in_with_recovery_key(sqlite_url(db_path), recovery)
    try:
        assert db.actor.role == "admin"
        users.reset_password(db, ADMIN, "dana's new first password")
    finally:
        db.dispose()
    assert key_file_for(db_path).exists()
    again = sign_in(sqlite_url(db_path), ADMIN, "dana's new first password")
    again.dispose()
    assert PASSWORD  # the old password opens nothing: its slot went with the key file
    with pytest.raises(SignInFailed):
        sign_in(sqlite_url(db_path), ADMIN, PASSWORD)


def test_a_restored_database_verifies_clean_its_restore_signed_by_who_restored(facility, tmp_path) -> None:
    from app.services.maintenance import backup_database, restore_database

    db_path, _ = facility
    admin = reopen(db_path)
    backup_database(admin, tmp_path / "friday.backup")
    admin.dispose()
    restore_database(sqlite_url(db_path), tmp_path / "friday.backup", ADMIN, PASSWORD)
    assert _honest_verify(db_path) == []


def test_a_rekey_revokes_a_copy_of_the_old_key_file_and_everyone_else_keeps_access(facility, tmp_path) -> None:
    """Disabling Phil removes his slot; a key file he copied before still opened the database until
    the database got a new key. After it, everyone else signs in with their own password."""
    import shutil

    from app.security.rekey import plan_rekey, rekey_database

    db_path, _ = facility
    stolen = tmp_path / "stolen.keys"
    shutil.copy(key_file_for(db_path), stolen)
    admin = reopen(db_path)
    users.disable_user(admin, PHIL)
    plan = plan_rekey(admin)
    assert plan.keep == (ADMIN,) and plan.estimate_seconds > 0
    report = rekey_database(admin, f"{PHIL} was disabled")
    # Phil's old slot, from the copy he kept, unwraps the old key: it opens the file no more
    old_key = KeyFile.load(stolen).unwrap(user_slot(PHIL), PHIL_PASSWORD)
    assert old_key is not None
    from app.storage.database import connect_sqlite

    conn = connect_sqlite(db_path, old_key)
    with pytest.raises(Exception, match="not a database|file is not"):
        conn.execute("SELECT count(*) FROM cases").fetchone()
    conn.close()
    again = reopen(db_path)  # Dana's own password: the new key was sealed to her and is now hers
    try:
        assert again.actor.name == ADMIN and again.alarms == []
        assert verify_database(again).ok
    finally:
        again.dispose()
    assert reopen(db_path).dispose() is None  # and again, from her slot alone
    recovered = sign_in_with_recovery_key(sqlite_url(db_path), report.recovery_key)
    recovered.dispose()


def test_a_physics_lead_submits_dosimetry_in_their_own_name_once_linked(facility) -> None:
    from app.domain.records import DosimetryRecord, StaffRecord
    from app.services import dosimetry, staff
    from app.services.editing import ValidationFailed

    db_path, _ = facility
    admin = reopen(db_path)
    for sid, name in (("S-PH", "Phil Physicist"), ("S-OT", "Other Physicist")):
        staff.save_staff(admin, StaffRecord(staff_id=sid, name=name, profession="physicist"))
    cases.save_case(admin, CaseRecord(case_id="B1", project="breast", status="enrolled", eligible_on=TODAY,
                                      enrolled_on=TODAY, payer="bcbsm"))
    phil = sign_in(sqlite_url(db_path), PHIL, PHIL_PASSWORD)
    record = DosimetryRecord(case_id="B1", submitted_on=TODAY, staff_id="S-OT", technique="3D", total_dose_gy=42.5,
                             fractions=16)
    try:
        with pytest.raises(ValidationFailed, match="not linked"):
            dosimetry.save_submission(phil, record)
        users.set_staff(admin, PHIL, "S-PH")
        with pytest.raises(ValidationFailed, match="submitted by you"):
            dosimetry.save_submission(phil, record)
        assert dosimetry.submitter_of(phil) == "S-PH"
        import dataclasses

        dosimetry.save_submission(phil, dataclasses.replace(record, staff_id="S-PH"))
    finally:
        phil.dispose()
        admin.dispose()


def test_a_workbook_import_and_a_screening_list_verify_clean(facility, tmp_path) -> None:
    """Bulk paths write an entry per row named by the row's key, so the log replays onto the tables."""
    from app.exports.service import export_kind
    from app.workbook.importer import import_workbook

    db_path, _ = facility
    admin = reopen(db_path)
    try:
        book = tmp_path / "facility.xlsx"
        export_kind(admin, "workbook", book, year=None, as_of=TODAY)
        import_workbook(admin, book)  # nothing new: every row up to date
        other = tmp_path / "other.sqlite3"
        from tests.support import create

        fresh = create(other)
        import_workbook(fresh, book)  # a new database from the workbook: every row inserted
        assert verify_database(fresh).ok, verify_database(fresh).problems
        fresh.dispose()
        assert verify_database(admin).ok
    finally:
        admin.dispose()


def test_a_row_an_import_wrote_changed_outside_the_app_is_named(facility, tmp_path) -> None:
    """An import's entries (stored a write at a time) carry each row's values as it wrote them:
    an imported case changed afterwards with the key and raw SQL is found, as a saved one is."""
    from app.exports.service import export_kind
    from app.workbook.importer import import_workbook

    db_path, _ = facility
    admin = reopen(db_path)
    book = tmp_path / "facility.xlsx"
    try:
        export_kind(admin, "workbook", book, year=None, as_of=TODAY)
    finally:
        admin.dispose()
    other = tmp_path / "imported.sqlite3"
    fresh, _recovery = create_with_key(other, build=lambda new: import_workbook(new, book))
    fresh.dispose()
    assert _honest_verify(other) == []
    conn = raw_connection(other)
    conn.execute("UPDATE cases SET note = 'moved by hand', eligible_on = '2020-01-01' WHERE case_id = 'C3'")
    conn.commit()
    conn.close()
    found = _honest_verify(other)
    assert any("cases" in p and "C3" in p and "changed outside the app" in p for p in found), found


def test_every_change_of_users_and_certificates_verifies_clean(facility) -> None:
    """Resetting a password supersedes a certificate; linking re-issues one; setting a role hands
    the facility key over: each is an audited change the log replays."""
    from app.domain.records import StaffRecord
    from app.services import staff

    db_path, _ = facility
    admin = reopen(db_path)
    try:
        staff.save_staff(admin, StaffRecord(staff_id="S-PH", name="Phil Physicist", profession="physicist"))
        users.set_staff(admin, PHIL, "S-PH")
        users.reset_password(admin, PHIL, "phil's reset password")
        users.set_role(admin, PHIL, "admin")
        users.set_role(admin, PHIL, "physics")
        report = verify_database(admin)
        assert report.ok, report.problems
    finally:
        admin.dispose()
