"""Users, roles, sign-in, lockout, key slots, the recovery key, backups, encryption at rest and the
audit log's hash chain (issue "Trust with patient data")."""

from __future__ import annotations

import datetime as dt
import os
import socket
import stat
from pathlib import Path

import pytest
from sqlalchemy import select, text

from app.domain.permissions import ALLOWED, ROLES, NotAllowed, Permission
from app.security.keyfile import KeyFile, key_file_for, user_slot
from app.security.passwords import PasswordRejected
from app.security.signin import AccountLocked, SignInFailed, sign_in, sign_in_with_recovery_key
from app.services import cases, dosimetry, letters, meetings, qip, staff, users
from app.services.facility import FacilityDetails, get_facility, save_facility
from app.services.maintenance import backup_database, restore_database, verify_database
from app.storage.database import head_revision, is_plain_sqlite, sqlite_url
from app.storage.errors import DatabaseError
from app.storage.models import AuditEntry, Case
from tests.support import (
    ADMIN,
    PASSWORD,
    as_role,
    create,
    create_with_key,
    database_key,
    raw_connection,
    reopen,
)

D = dt.date(2025, 6, 30)
NOW = dt.datetime(2026, 12, 1, 9, 0, 0)


# ---- every role × every service permission ---------------------------------------------------

def _case(db, case_id: str = "P1"):  # type: ignore[no-untyped-def]
    from app.domain.records import CaseRecord

    return cases.save_case(db, CaseRecord(case_id=case_id, project="breast", eligible_on=dt.date(2025, 1, 2),
                                          status="pending"))


def _staff(db, staff_id: str = "S9"):  # type: ignore[no-untyped-def]
    from app.domain.records import StaffRecord

    return staff.save_staff(db, StaffRecord(staff_id=staff_id, name="Sam Physicist", profession="physicist",
                                            works_on_mroqc=True))


def _dosimetry(db):  # type: ignore[no-untyped-def]
    from app.domain.records import DosimetryRecord

    return dosimetry.save_submission(db, DosimetryRecord(case_id="P1", submitted_on=dt.date(2025, 2, 1),
                                                         staff_id="S9", technique="VMAT", total_dose_gy=40.05,
                                                         fractions=15))


ACTIONS = {
    Permission.CASES: lambda db: _case(db, "P2"),
    Permission.STAFF: lambda db: _staff(db, "S10"),
    Permission.MEETINGS: lambda db: meetings.save_meeting(db, "M9", dt.date(2025, 3, 1), "in_person"),
    Permission.LETTERS: lambda db: letters.save_letter(db, dt.date(2025, 3, 1), "Data request", True),
    Permission.DOSIMETRY: _dosimetry,
    Permission.QIP: lambda db: qip.open_episode(db, "QIP-ENR-ZERO", {"project": "lung"}, "no lung cases", D),
    Permission.FACILITY: lambda db: save_facility(db, FacilityDetails(name="Renamed RO"), today=D),
    Permission.USERS: lambda db: users.add_user(db, "newbie", "reviewer", "a first password"),
}


@pytest.fixture
def seeded(db):  # type: ignore[no-untyped-def]
    """The case and the physicist the dosimetry action refers to."""
    _case(db)
    _staff(db)
    return db


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("permission", list(ACTIONS), ids=lambda p: p.name)
def test_every_role_may_exactly_what_the_table_says(seeded, role: str, permission: Permission) -> None:
    acting = as_role(seeded, role)
    with seeded.reader() as session:
        entries_before = session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    if permission in ALLOWED[role]:
        ACTIONS[permission](acting)
        return
    with pytest.raises(NotAllowed) as refused:
        ACTIONS[permission](acting)
    assert str(refused.value).startswith("not allowed: only ")
    assert "administrator" in str(refused.value)
    with seeded.reader() as session:  # nothing changed, nothing audited
        assert session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1)) == entries_before


def test_the_table_is_the_one_the_issue_gives() -> None:
    assert ALLOWED["admin"] == frozenset(Permission)
    assert ALLOWED["physics"] == {Permission.DOSIMETRY, Permission.EXPORT}
    assert ALLOWED["reviewer"] == {Permission.QIP, Permission.REVIEW, Permission.SIGN_AUDIT, Permission.EXPORT}
    # issue 16: reviewers and coordinators may mark findings reviewed; the physics lead may not
    assert Permission.REVIEW in ALLOWED["coordinator"] and Permission.REVIEW not in ALLOWED["physics"]
    assert Permission.EXPORT_IDENTIFIED in ALLOWED["coordinator"] and Permission.USERS not in ALLOWED["coordinator"]


@pytest.mark.parametrize(("role", "identified", "allowed"), [
    ("physics", False, True), ("physics", True, False), ("reviewer", True, False), ("coordinator", True, True),
])
def test_exports_by_role(seeded, tmp_path: Path, role: str, identified: bool, allowed: bool) -> None:
    from app.exports.service import export_kind

    out = tmp_path / "e.csv"
    acting = as_role(seeded, role)
    if allowed:
        export_kind(acting, "enrollment", out, year=2025, as_of=D, identified=identified)
        with seeded.reader() as session:
            note = session.scalars(select(AuditEntry).where(AuditEntry.table_name == "exports")).one()
        assert note.user == f"test-{role}" and ("identified" in note.summary)
    else:
        with pytest.raises(NotAllowed):
            export_kind(acting, "enrollment", out, year=2025, as_of=D, identified=identified)
        assert not out.exists()


# ---- passwords, sign-in and lockout ----------------------------------------------------------

def test_short_password_and_the_user_name_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PasswordRejected, match="12 characters"):
        create_with_key_pw(tmp_path / "a.sqlite3", "short")
    with pytest.raises(PasswordRejected, match="user name"):
        create_with_key_pw(tmp_path / "b.sqlite3", "TEST-ADMIN-XYZ", admin="test-admin-xyz")
    assert list(tmp_path.iterdir()) == []


def create_with_key_pw(path: Path, password: str, admin: str = ADMIN):  # type: ignore[no-untyped-def]
    from app.security.signin import create_database

    return create_database(sqlite_url(path), admin, password)


def test_wrong_password_and_unknown_user_fail_alike(db, db_path: Path) -> None:
    db.dispose()
    messages = set()
    for name, password in ((ADMIN, "not the password"), ("nobody-here", PASSWORD)):
        with pytest.raises(SignInFailed) as failed:
            sign_in(sqlite_url(db_path), name, password, at=NOW)
        messages.add(str(failed.value))
    assert messages == {"sign-in failed: the user name or password is not right"}


def test_five_failures_in_fifteen_minutes_lock_and_an_admin_unlocks(db, db_path: Path) -> None:
    url = sqlite_url(db_path)
    for minute in range(5):
        with pytest.raises(SignInFailed) as failed:
            sign_in(url, ADMIN, "wrong password!!", at=NOW + dt.timedelta(minutes=minute * 3))
    assert isinstance(failed.value, AccountLocked)
    with pytest.raises(AccountLocked, match="locked until"):  # even the right password, while locked
        sign_in(url, ADMIN, PASSWORD, at=NOW + dt.timedelta(minutes=13))
    sign_in(url, ADMIN, PASSWORD, at=NOW + dt.timedelta(minutes=12 + 15)).dispose()  # the lock ends
    for minute in range(5):
        with pytest.raises(SignInFailed):
            sign_in(url, "nobody-here", "x" * 12, at=NOW + dt.timedelta(minutes=40 + minute))
    with pytest.raises(AccountLocked):  # an unknown name locks the same way: nothing tells it apart
        sign_in(url, "nobody-here", "x" * 12, at=NOW + dt.timedelta(minutes=45))
    users.add_user(db, "carol", "coordinator", "carol's first pw")
    for _ in range(5):
        with pytest.raises(SignInFailed):
            sign_in(url, "carol", "wrong password!!", at=NOW + dt.timedelta(minutes=50))
    with pytest.raises(AccountLocked):
        sign_in(url, "carol", "carol's first pw", at=NOW + dt.timedelta(minutes=51))
    users.unlock_user(db, "carol")
    carol = sign_in(url, "carol", "carol's first pw", at=NOW + dt.timedelta(minutes=52))
    assert carol.actor.role == "coordinator" and carol.actor.must_change_password
    carol.dispose()
    with db.reader() as session:
        notes = [(e.user, e.summary) for e in session.scalars(select(AuditEntry).where(AuditEntry.action == "note"))]
    summaries = [summary for _user, summary in notes]
    here = socket.gethostname()
    assert f"failed sign-in: not signed in, tried carol at workstation {here}" in summaries
    assert "unlocked carol" in summaries
    assert f"failed sign-in: not signed in, tried an unknown name at workstation {here}" in summaries
    assert not any("nobody-here" in summary for summary in summaries)  # never the typed name
    assert {user for user, summary in notes if "failed sign-in" in summary} == {"(not signed in)"}


def test_a_guess_that_read_the_clock_before_five_counted_failures_is_still_refused(db, db_path: Path) -> None:
    """Parallel guesses stamp their time before they wait for the key file: the slowest one's
    time is earlier than the five failures already counted, and it must not get a sixth try."""
    url = sqlite_url(db_path)
    for second in range(1, 6):
        with pytest.raises(SignInFailed):
            sign_in(url, ADMIN, "wrong password!!", at=NOW + dt.timedelta(seconds=second))
    with pytest.raises(AccountLocked):
        sign_in(url, ADMIN, PASSWORD, at=NOW)  # stamped before all five, arriving after them


def test_first_password_must_be_changed_and_the_new_one_works(db, db_path: Path) -> None:
    users.add_user(db, "dora", "physics", "dora's first pw")
    dora = sign_in(sqlite_url(db_path), "dora", "dora's first pw")
    assert dora.actor.must_change_password
    with pytest.raises(PasswordRejected, match="differ"):
        users.change_own_password(dora, "dora's first pw", "dora's first pw")
    users.change_own_password(dora, "dora's first pw", "dora's own password")
    dora.dispose()
    with pytest.raises(SignInFailed):
        sign_in(sqlite_url(db_path), "dora", "dora's first pw")
    again = sign_in(sqlite_url(db_path), "dora", "dora's own password")
    assert not again.actor.must_change_password
    again.dispose()


# ---- key slots -------------------------------------------------------------------------------

def test_key_slots_add_remove_and_change_without_reencrypting(db, db_path: Path) -> None:
    before = db_path.read_bytes()[:16]  # SQLCipher's salt: re-encryption would change it
    key = database_key(db_path)
    users.add_user(db, "erin", "reviewer", "erin's first pw")
    keys = KeyFile.load(key_file_for(db_path))
    assert {user_slot(ADMIN), user_slot("erin"), "recovery"} == set(keys.slots)
    users.reset_password(db, "erin", "erin's second pw")
    users.disable_user(db, "erin")
    assert user_slot("erin") not in KeyFile.load(key_file_for(db_path)).slots  # her password opens nothing
    db.dispose()
    assert db_path.read_bytes()[:16] == before and database_key(db_path) == key  # the same key still opens it
    for password in ("erin's first pw", "erin's second pw"):
        with pytest.raises(SignInFailed):
            sign_in(sqlite_url(db_path), "erin", password)
        assert KeyFile.load(key_file_for(db_path)).unwrap(user_slot("erin"), password) is None
    admin = reopen(db_path)
    assert users.enable_user(admin, "erin") is True  # enabled, but needs a new first password
    users.reset_password(admin, "erin", "erin's third pw")
    admin.dispose()
    sign_in(sqlite_url(db_path), "erin", "erin's third pw").dispose()


def test_a_slot_copied_to_another_name_or_database_opens_nothing(tmp_path: Path) -> None:
    one, _ = create_with_key(tmp_path / "one.sqlite3")
    two, _ = create_with_key(tmp_path / "two.sqlite3")
    one.dispose()
    two.dispose()
    a, b = KeyFile.load(key_file_for(tmp_path / "one.sqlite3")), KeyFile.load(key_file_for(tmp_path / "two.sqlite3"))
    b.slots[user_slot("intruder")] = a.slots[user_slot(ADMIN)]
    b.slots[user_slot(ADMIN)] = a.slots[user_slot(ADMIN)]
    assert b.unwrap(user_slot("intruder"), PASSWORD) is None and b.unwrap(user_slot(ADMIN), PASSWORD) is None


def test_the_recovery_key_opens_as_administrator_when_every_password_is_lost(tmp_path: Path) -> None:
    path = tmp_path / "f.sqlite3"
    db, recovery_key = create_with_key(path)
    db.dispose()
    typed = recovery_key.lower().replace("-", " ")  # as someone types it from paper
    rescued = sign_in_with_recovery_key(sqlite_url(path), typed)
    assert rescued.actor.role == "admin"
    users.reset_password(rescued, ADMIN, "a brand new password")
    rescued.dispose()
    with pytest.raises(SignInFailed):
        sign_in_with_recovery_key(sqlite_url(path), "AAAA-" * 7 + "AAAA")
    sign_in(sqlite_url(path), ADMIN, "a brand new password").dispose()


def test_a_missing_or_damaged_key_file_is_said_plainly(db, db_path: Path) -> None:
    db.dispose()
    keys = key_file_for(db_path)
    keys.write_text("{not json")
    with pytest.raises(DatabaseError, match="key file .* is damaged"):
        sign_in(sqlite_url(db_path), ADMIN, PASSWORD)
    keys.unlink()
    with pytest.raises(DatabaseError, match="key file .* is missing"):
        sign_in(sqlite_url(db_path), ADMIN, PASSWORD)


# ---- backup and restore ------------------------------------------------------------------------

def test_backup_is_one_file_that_opens_with_the_passwords_of_its_day(db, db_path: Path, tmp_path: Path) -> None:
    _case(db, "KEEP-1")
    users.add_user(db, "fay", "coordinator", "fay's first pw")
    backup = tmp_path / "monday.backup"
    backup_database(db, backup)
    users.disable_user(db, "fay")  # after the backup: the backup still knows her
    _case(db, "AFTER-1")
    users.reset_password(db, ADMIN, "admin's new password")
    db.dispose()
    assert backup.is_file() and not key_file_for(backup).exists()
    with pytest.raises(SignInFailed):  # today's password is not the backup's
        restore_database(sqlite_url(db_path), backup, ADMIN, "admin's new password")
    with pytest.raises(NotAllowed):  # fay is a coordinator in the backup: only an administrator restores
        restore_database(sqlite_url(db_path), backup, "fay", "fay's first pw")
    report = restore_database(sqlite_url(db_path), backup, ADMIN, PASSWORD)
    assert report.set_aside is not None and report.set_aside.exists()
    restored = reopen(db_path)  # the backup's passwords
    with restored.reader() as session:
        assert session.get(Case, "KEEP-1") is not None and session.get(Case, "AFTER-1") is None
        notes = list(session.scalars(select(AuditEntry.summary).order_by(AuditEntry.id.desc()).limit(2)))
    assert notes[0] == "signed in" and notes[1].startswith("restored from the backup monday.backup")
    assert verify_database(restored).ok
    restored.dispose()
    previous = reopen(report.set_aside, ADMIN, "admin's new password")  # what was replaced stays openable
    with previous.reader() as session:
        assert session.get(Case, "AFTER-1") is not None
    previous.dispose()


def test_restore_refuses_what_is_not_a_backup_and_changes_nothing(db, db_path: Path, tmp_path: Path) -> None:
    db.dispose()
    before = db_path.read_bytes()
    for junk in (b"not a backup", b"PK\x03\x04" + os.urandom(200)):
        bogus = tmp_path / "bogus.backup"
        bogus.write_bytes(junk)
        with pytest.raises(DatabaseError, match="not an MROQC Facility Desk backup|damaged"):
            restore_database(sqlite_url(db_path), bogus, ADMIN, PASSWORD)
    assert db_path.read_bytes() == before


# ---- encryption at rest and private files -------------------------------------------------------

def _every_file(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def test_no_patient_value_on_disk_after_an_identified_import(tmp_path: Path, monkeypatch) -> None:
    from app.workbook.importer import import_workbook
    from tests.unit.test_workbook import VALID, write_folder

    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("MROQC_DESK_DATA_DIR", str(data))
    workbook = write_folder(tmp_path / "incoming", VALID)
    header, *rows = VALID["cases"]
    mrns = [row[header.index("mrn")] for row in rows if row[header.index("mrn")]]
    names = [row[header.index("name")] for row in rows if row[header.index("name")]]
    assert mrns and names
    home = tmp_path / "facility"
    home.mkdir()
    db = create(home / "f.sqlite3", lambda db: import_workbook(db, workbook))
    backup_database(db, home / "f.backup")
    with db.reader() as session:
        assert {c.mrn for c in session.scalars(select(Case))} >= set(mrns)  # the values are there, encrypted
    db.dispose()
    written = _every_file(home) + _every_file(data)
    assert len(written) >= 3
    for path in written:
        content = path.read_bytes()
        for value in (*mrns, *names):
            assert value.encode() not in content, f"{value} in {path.name}"
    for path in _every_file(home):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_files_are_private_to_the_account(tmp_path: Path) -> None:
    from app.storage.files import private_umask

    old = os.umask(0o022)
    try:
        private_umask()
        db = create(tmp_path / "p.sqlite3")
        with db.engine.connect() as conn:  # a live WAL and shared-memory file
            conn.execute(text("SELECT 1"))
            for path in tmp_path.iterdir():
                assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
        db.dispose()
    finally:
        os.umask(old)


def test_an_earlier_version_file_made_public_is_made_private_on_open(db, db_path: Path) -> None:
    db.dispose()
    db_path.chmod(0o644)
    reopen(db_path).dispose()
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


def test_the_schema_0003_file_is_encrypted_on_upgrade_without_a_plaintext_copy(tmp_path: Path) -> None:
    import shutil

    from app.security.signin import upgrade_database

    fixture = Path(__file__).resolve().parents[1] / "data" / "schema-0003.sqlite3"
    path = tmp_path / "facility.sqlite3"
    shutil.copy(fixture, path)
    with raw_plain(path) as conn:
        marker = conn.execute("SELECT mrn FROM cases WHERE mrn IS NOT NULL LIMIT 1").fetchone()
    # an earlier version's unencrypted copy beside it, as migrations used to leave
    shutil.copy(fixture, tmp_path / "facility.before-0002.sqlite3")
    db, recovery_key = upgrade_database(sqlite_url(path), ADMIN, PASSWORD)
    assert get_facility(db).name.startswith("Schema") and db.actor.role == "admin"
    db.dispose()
    names = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock"))  # locks hold no data
    assert names == ["facility.before-0002.backup", f"facility.before-{head_revision()}.backup", "facility.sqlite3",
                     "facility.sqlite3.keys"]
    for written in tmp_path.iterdir():
        assert not is_plain_sqlite(written)
        if marker:
            assert marker[0].encode() not in written.read_bytes()
    sign_in_with_recovery_key(sqlite_url(path), recovery_key).dispose()


def raw_plain(path: Path):  # type: ignore[no-untyped-def]
    import sqlite3

    return sqlite3.connect(path)


# ---- the audit log's hash chain ----------------------------------------------------------------

def test_tampering_with_the_audit_log_is_found(db, db_path: Path) -> None:
    for i in range(3):
        _case(db, f"T{i}")
    assert verify_database(db).ok
    db.dispose()
    with raw_connection(db_path) as conn:
        victim = conn.execute("SELECT id FROM audit_log WHERE record_key = 'T1'").fetchone()[0]
        conn.execute("UPDATE audit_log SET user = 'chief_of_medicine' WHERE id = ?", (victim,))
    db = reopen(db_path)
    report = verify_database(db)
    assert not report.ok and f"audit entry {victim} was changed" in " ".join(report.problems)
    db.dispose()
    with raw_connection(db_path) as conn:  # put it back, then cut the end off
        conn.execute("UPDATE audit_log SET user = ? WHERE id = ?", (ADMIN, victim))
        last = conn.execute("SELECT max(id) FROM audit_log").fetchone()[0]
        conn.execute("DELETE FROM audit_log WHERE id = ?", (last,))
    db = reopen(db_path)
    problems = " ".join(verify_database(db).problems)
    assert "removed from its end" in problems or "was changed" in problems
    db.dispose()


def test_who_is_the_signed_in_user_never_the_environment(db, monkeypatch) -> None:
    monkeypatch.setenv("LOGNAME", "chief_of_medicine")
    monkeypatch.setenv("MROQC_DESK_USER", "chief_of_medicine")
    _case(as_role(db, "coordinator", "gina"), "W1")
    with db.reader() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.record_key == "W1")).one()
    assert entry.user == "gina"


def test_a_build_killed_between_its_two_renames_is_finished_at_the_next_open(tmp_path: Path) -> None:
    """The database got its name but its key file did not (a kill in between): the next sign-in
    finds the build's key file beside it (one file under two names) and puts it in place."""
    import os

    db = create(tmp_path / "f.sqlite3")
    db.dispose()
    path = tmp_path / "f.sqlite3"
    building = tmp_path / ".f.sqlite3.building-999999-abcd"
    os.link(path, building)
    os.replace(key_file_for(path), key_file_for(building))
    reopen(path).dispose()
    assert key_file_for(path).exists() and not building.exists() and not key_file_for(building).exists()


def test_two_inits_racing_for_one_name_never_overwrite_each_other(tmp_path: Path) -> None:
    """Two processes creating the same file at once: one wins, the other says so; the winner's
    database opens with its own key file, and nothing else is left behind."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "app", "init", "--db", str(tmp_path / "race.sqlite3"), "--facility", "Race RO",
               "--admin", ADMIN, "--password-stdin"]
    runs = [subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outcomes = [run.communicate(PASSWORD + "\n", timeout=120) + (run.returncode,) for run in runs]
    codes = sorted(code for _, _, code in outcomes)
    assert codes == [0, 2], outcomes
    loser = next(err for _, err, code in outcomes if code == 2)
    assert "already exists" in loser or "appeared while the database was being built" in loser
    assert "Traceback" not in loser
    reopen(tmp_path / "race.sqlite3").dispose()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == ["race.sqlite3",
                                                                                          "race.sqlite3.keys"]


def test_the_lock_screen_says_the_lockout_in_the_facilitys_zone(db) -> None:
    """Issue 25: lockout times in the facility's zone, with its name (never a bare or lower-case utc)."""
    from app.security.signin import check_credentials

    for minute in range(5):
        with pytest.raises(SignInFailed) as failed:
            check_credentials(db, ADMIN, "wrong password!!", at=NOW + dt.timedelta(minutes=minute))
    assert isinstance(failed.value, AccountLocked)
    # NOW is 09:00 UTC on 2026-12-01: in Detroit 04:00 EST; the lock lasts 15 minutes from the fifth failure
    assert "locked until 04:19 (2026-12-01 EST)" in str(failed.value) and "utc" not in str(failed.value).lower()
