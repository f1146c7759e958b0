"""``mroqc-desk copy``: a facility moved from its file to an empty shared PostgreSQL database,
users and audit log included, verified table by table, nothing changed at the source, nothing
kept at the target when it fails, and a target that is not empty refused (exit 2) untouched."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
import sqlalchemy as sa

from app.demo.generator import DemoOptions, generate_demo
from app.domain.records import CaseRecord
from app.security.passwords import verify_password
from app.security.policy import security_policy
from app.security.roles import NotAllowed
from app.security.signin import (
    AccountLocked,
    SignInFailed,
    check_credentials,
    sign_in,
    sign_in_with_recovery_key,
)
from app.services import cases, letters, moving, users
from app.services.maintenance import verify_database
from app.storage.database import create_db_engine, sqlite_url
from tests.support import ADMIN, PASSWORD, as_role, cli, create, database_key, reopen, tables_at

pytestmark = pytest.mark.pg
AS_OF = dt.date(2026, 6, 30)
CY_PASSWORD = "cy's own passphrase"


@pytest.fixture(scope="module")
def facility_file(tmp_path_factory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("copy") / "facility.sqlite3"
    db = create(path, lambda db: generate_demo(db, DemoOptions(years=2, seed=7, as_of=AS_OF)))
    users.add_user(db, "cda2", "coordinator", "a first password 1")  # never signed in: must still change it
    users.add_user(db, "cy", "coordinator", "a first password 2")
    users.add_user(db, "gone", "physics", "a first password 3")
    users.disable_user(db, "gone")
    db.dispose()
    cy = sign_in(sqlite_url(path), "cy", "a first password 2")
    users.change_own_password(cy, "a first password 2", CY_PASSWORD)  # her own, chosen at the workstation
    cy.dispose()
    return path


def _checksums(db, skip=("audit_log", "audit_head", "sign_in_failures")) -> dict[str, tuple[int, str]]:  # type: ignore[no-untyped-def]
    with db.engine.connect() as connection:
        return {t.name: moving.table_checksum(connection, t) for t in moving._tables() if t.name not in skip}



def test_copy_moves_everything_verified_and_the_source_is_unchanged(facility_file, pg_url, capsys) -> None:
    source = reopen(facility_file)
    before = _checksums(source)
    source.dispose()
    assert cli(["copy", "--db", facility_file, "--to-db-url", pg_url]) == 0
    out = capsys.readouterr()
    assert "every table verified" in out.out and "DIFFERS" not in out.out
    assert "need a first password" not in out.err  # every enabled user's password came along
    recovery_key = next(line.split(": ", 1)[1] for line in out.out.splitlines() if line.startswith("recovery key: "))

    source = reopen(facility_file)
    signed_in = ("audit_log", "audit_head", "audit_signatures", "sign_in_failures", "users")  # the copier's sign-in is recorded (and signed)
    assert _checksums(source, skip=signed_in) == {k: v for k, v in before.items() if k not in signed_in}  # only read
    source.dispose()

    def judged(*where: str) -> dict:  # what the facility is judged on, as scripts read it
        capsys.readouterr()
        assert cli(["check", "--json", "--as-of", AS_OF.isoformat(), *where]) in (0, 1)
        return {k: v for k, v in json.loads(capsys.readouterr().out).items() if k != "database"}

    assert judged("--db", facility_file) == judged("--db-url", pg_url)

    shared = sign_in(pg_url, ADMIN, PASSWORD)  # the administrator's password came along
    try:
        assert verify_database(shared).ok  # the audit chain intact, the copy's own entry after it
        moved = ("audit_log", "audit_head", "audit_signatures", "sign_in_failures", "users", "recovery_keys")
        assert _checksums(shared, skip=moved) == {k: v for k, v in before.items() if k not in moved}
        # new records get new IDs: the sequences moved past the copied rows
        coordinator = as_role(shared, "coordinator")
        letters.save_letter(coordinator, AS_OF, "after the move", True)
        cases.save_case(coordinator, CaseRecord(case_id="MOVED-1", project="breast", eligible_on=AS_OF,
                                                status="pending"))
    finally:
        shared.dispose()
    sign_in_with_recovery_key(pg_url, recovery_key).dispose()
    first = sign_in(pg_url, "cda2", "a first password 1")  # the administrator's first password came along ...
    assert first.actor.must_change_password  # ... and still has to be changed, as in the file
    first.dispose()
    with pytest.raises(SignInFailed):
        sign_in(pg_url, "gone", "a first password 3")  # disabled in the file: disabled there too


def _stored_hash(url: str, name: str) -> str:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text("SELECT password_hash FROM users WHERE name = :n"), {"n": name}).scalar()
    finally:
        engine.dispose()


def test_every_password_keeps_working_after_the_move(facility_file, pg_url) -> None:
    """A coordinator who chose her own password signs in on the server with it, with no forced
    change; a wrong one fails and counts towards the lockout; her first sign-in leaves a normal
    Argon2id hash where the verifier carried over from her key slot was."""
    source = reopen(facility_file)
    try:
        report = moving.copy_database(source, pg_url, PASSWORD)
    finally:
        source.dispose()
    assert report.carried_over == ["cda2", "cy"] and report.without_password == []
    carried = _stored_hash(pg_url, "cy")
    assert carried.startswith("$mroqc-keyslot$") and not carried.startswith("$argon2")
    key = database_key(facility_file)
    assert key.hex() not in carried and base64.b64encode(key).decode().rstrip("=") not in carried  # not the file's key

    shared = sign_in(pg_url, ADMIN, PASSWORD)
    try:
        listed = {u.name: u.status for u in users.list_users(shared)}
    finally:
        shared.dispose()
    assert listed["cy"] == "active" and listed["cda2"] == "must change password"  # Settings → Users, truthfully

    attempts = security_policy().failed_attempts
    for _ in range(attempts - 1):
        with pytest.raises(SignInFailed) as wrong:
            sign_in(pg_url, "cy", "not cy's passphrase")
        assert not isinstance(wrong.value, AccountLocked)
    assert _stored_hash(pg_url, "cy") == carried  # a wrong password changes nothing
    db = sign_in(pg_url, "cy", CY_PASSWORD)  # the same password as at her workstation
    try:
        assert db.actor.role == "coordinator" and not db.actor.must_change_password
    finally:
        db.dispose()
    replaced = _stored_hash(pg_url, "cy")
    assert replaced.startswith("$argon2id$") and verify_password(replaced, CY_PASSWORD)
    sign_in(pg_url, "cy", CY_PASSWORD).dispose()  # and keeps working

    for _ in range(attempts - 1):  # the failures were forgotten at her sign-in ...
        with pytest.raises(SignInFailed):
            sign_in(pg_url, "cy", "not cy's passphrase")
    with pytest.raises(AccountLocked):  # ... and wrong passwords lock her out as always
        sign_in(pg_url, "cy", "not cy's passphrase")
    with pytest.raises(AccountLocked):
        sign_in(pg_url, "cy", CY_PASSWORD)


def test_a_carried_password_unlocks_the_window_and_is_replaced_there_too(facility_file, pg_url) -> None:
    """The lock screen (and switching user) checks a carried-over password the same way."""
    source = reopen(facility_file)
    try:
        moving.copy_database(source, pg_url, PASSWORD)
    finally:
        source.dispose()
    shared = sign_in(pg_url, ADMIN, PASSWORD)
    try:
        with pytest.raises(SignInFailed):
            check_credentials(shared, "cy", "not cy's passphrase")
        assert check_credentials(shared, "cy", CY_PASSWORD).name == "cy"
    finally:
        shared.dispose()
    assert _stored_hash(pg_url, "cy").startswith("$argon2id$")


def test_a_target_that_is_not_empty_is_refused_and_left_alone(facility_file, pg_url, capsys) -> None:
    engine = create_db_engine(pg_url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE their_table (id integer primary key, note text)"))
        connection.execute(sa.text("INSERT INTO their_table VALUES (1, 'theirs')"))
    assert cli(["copy", "--db", facility_file, "--to-db-url", pg_url]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not empty" in err[0]
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT note FROM their_table")).scalar() == "theirs"
    assert tables_at(pg_url) == ["their_table"]
    engine.dispose()


def test_a_copy_that_fails_half_way_keeps_nothing_at_the_target(facility_file, pg_url) -> None:
    source = reopen(facility_file)
    calls = []

    def fail_in_cases(table: str, done: int, everything: int) -> None:
        calls.append(table)
        if table == "cases":
            raise RuntimeError("the network went away")

    try:
        with pytest.raises(RuntimeError):
            moving.copy_database(source, pg_url, PASSWORD, progress=fail_in_cases)
    finally:
        source.dispose()
    assert "cases" in calls
    assert tables_at(pg_url) == []  # as empty as it was: a second attempt can start over


def test_only_an_administrator_with_their_password_copies(facility_file, pg_url) -> None:
    source = reopen(facility_file)
    try:
        with pytest.raises(NotAllowed):
            moving.copy_database(as_role(source, "coordinator"), pg_url, PASSWORD)
        with pytest.raises(SignInFailed):
            moving.copy_database(source, pg_url, "not the password")
    finally:
        source.dispose()
    assert tables_at(pg_url) == []


def test_copy_refuses_a_file_target(facility_file, tmp_path, capsys) -> None:
    assert cli(["copy", "--db", facility_file, "--to-db-url", f"sqlite:///{tmp_path / 'other.sqlite3'}"]) == 2
    assert "PostgreSQL" in capsys.readouterr().err
    assert not (tmp_path / "other.sqlite3").exists()


def test_a_moved_facility_verifies_on_the_shared_database(tmp_path, pg_url) -> None:
    """The file's signed audit log travels with it; the shared database has no key file (no
    personal keys), so it is not held to signatures after the move (its server's audit is)."""
    from app.services.maintenance import verify_database
    from app.services.moving import copy_database
    from tests.support import ADMIN, PASSWORD, create, reopen

    source = create(tmp_path / "facility.sqlite3")
    copy_database(source, pg_url, PASSWORD)
    source.dispose()
    shared = reopen(pg_url, ADMIN, PASSWORD)
    try:
        import datetime as dt

        from app.services.facility import FacilityDetails, save_facility

        save_facility(shared, FacilityDetails(name="Moved"), today=dt.date(2026, 12, 7))
        report = verify_database(shared, rows=False)
        assert report.ok, report.problems
    finally:
        shared.dispose()
