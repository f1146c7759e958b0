"""``mroqc-desk copy``: a facility moved from its file to an empty shared PostgreSQL database,
users and audit log included, verified table by table, nothing changed at the source, nothing
kept at the target when it fails, and a target that is not empty refused (exit 2) untouched."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from app.demo.generator import DemoOptions, generate_demo
from app.domain.records import CaseRecord
from app.security.roles import NotAllowed
from app.security.signin import SignInFailed, sign_in, sign_in_with_recovery_key
from app.services import cases, letters, moving, users
from app.services.maintenance import verify_database
from app.storage.database import create_db_engine
from tests.support import ADMIN, PASSWORD, as_role, cli, create, reopen, tables_at

pytestmark = pytest.mark.pg
AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def facility_file(tmp_path_factory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("copy") / "facility.sqlite3"
    db = create(path, lambda db: generate_demo(db, DemoOptions(years=2, seed=7, as_of=AS_OF)))
    users.add_user(db, "cda2", "coordinator", "a first password 1")
    db.dispose()
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
    assert "cda2 need a first password" in out.err
    recovery_key = next(line.split(": ", 1)[1] for line in out.out.splitlines() if line.startswith("recovery key: "))

    source = reopen(facility_file)
    signed_in = ("audit_log", "audit_head", "sign_in_failures", "users")  # the copier's sign-in is recorded
    assert _checksums(source, skip=signed_in) == {k: v for k, v in before.items() if k != "users"}  # only read
    source.dispose()

    def judged(*where: str) -> dict:  # what the facility is judged on, as scripts read it
        capsys.readouterr()
        assert cli(["check", "--json", "--as-of", AS_OF.isoformat(), *where]) in (0, 1)
        return {k: v for k, v in json.loads(capsys.readouterr().out).items() if k != "database"}

    assert judged("--db", facility_file) == judged("--db-url", pg_url)

    shared = sign_in(pg_url, ADMIN, PASSWORD)  # the administrator's password came along
    try:
        assert verify_database(shared).ok  # the audit chain intact, the copy's own entry after it
        assert _checksums(shared, skip=("audit_log", "audit_head", "sign_in_failures", "users", "recovery_keys")) == \
            {k: v for k, v in before.items() if k not in ("users", "recovery_keys")}
        # new records get new IDs: the sequences moved past the copied rows
        coordinator = as_role(shared, "coordinator")
        letters.save_letter(coordinator, AS_OF, "after the move", True)
        cases.save_case(coordinator, CaseRecord(case_id="MOVED-1", project="breast", eligible_on=AS_OF,
                                                status="pending"))
    finally:
        shared.dispose()
    sign_in_with_recovery_key(pg_url, recovery_key).dispose()
    with pytest.raises(SignInFailed):
        sign_in(pg_url, "cda2", "a first password 1")  # a file keeps no password a server can check


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
