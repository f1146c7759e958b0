"""``mroqc-desk copy``: a facility moved from its file to an empty shared PostgreSQL database,
users and audit log included, verified table by table, nothing changed at the source, nothing
kept at the target when it fails, and a target that is not empty refused (exit 2) untouched; each
person gets a server login of their own (a first password to hand over, or the directory's)."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
import sqlalchemy as sa

from app.demo.generator import DemoOptions, generate_demo
from app.domain.permissions import NotAllowed
from app.domain.records import CaseRecord
from app.domain.security_policy import security_policy
from app.security.server_signin import sign_in_directory
from app.security.signin import (
    AccountLocked,
    SignInFailed,
    check_credentials,
    sign_in,
    sign_in_with_recovery_key,
)
from app.services import cases, letters, moving, users
from app.services.maintenance import verify_database
from app.storage.database import create_db_engine, open_database, sqlite_url
from app.storage.errors import DatabaseError
from app.storage.server_names import ServerNames
from bench.scratch_pg import drop_database, new_database, url_of
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
    recovery_key = next(line.split(": ", 1)[1] for line in out.out.splitlines() if line.startswith("recovery key: "))
    first = {line.split(": ", 1)[0].removeprefix("first password for "): line.split(": ", 1)[1]
             for line in out.out.splitlines() if line.startswith("first password for ")}
    assert set(first) == {"cda2", "cy"}  # each enabled person but the administrator, shown once to hand over

    source = reopen(facility_file)
    signed_in = ("audit_log", "audit_head", "audit_signatures", "sign_in_failures", "users")  # the copier's sign-in
    assert _checksums(source, skip=signed_in) == {k: v for k, v in before.items() if k not in signed_in}  # only read
    source.dispose()

    def judged(*where: str) -> dict:  # what the facility is judged on, as scripts read it
        capsys.readouterr()
        assert cli(["check", "--json", "--as-of", AS_OF.isoformat(), *where]) in (0, 1)
        return {k: v for k, v in json.loads(capsys.readouterr().out).items() if k != "database"}

    assert judged("--db", facility_file) == judged("--db-url", pg_url)

    shared = sign_in(pg_url, ADMIN, PASSWORD)  # the administrator's password came along, as their own login's
    try:
        assert verify_database(shared).ok  # the audit chain intact, the copy's own entry after it
        moved = ("audit_log", "audit_head", "audit_signatures", "sign_in_failures", "users", "recovery_keys",
                 "user_certificates", "person_keys")  # (logins given; new keys certified)
        owner = open_database(pg_url)  # (a person reads no secret column: the owner compares)
        try:
            assert _checksums(owner, skip=moved) == {k: v for k, v in before.items() if k not in moved}
        finally:
            owner.dispose()
        # new records get new IDs: the sequences moved past the copied rows
        coordinator = as_role(shared, "coordinator")
        letters.save_letter(coordinator, AS_OF, "after the move", True)
        cases.save_case(coordinator, CaseRecord(case_id="MOVED-1", project="breast", eligible_on=AS_OF,
                                                status="pending"))
    finally:
        shared.dispose()
    sign_in_with_recovery_key(pg_url, recovery_key).dispose()
    cda2 = sign_in(pg_url, "cda2", first["cda2"])  # her first password, handed over ...
    assert cda2.actor.must_change_password and cda2.actor.role == "coordinator"  # ... to be changed
    cda2.dispose()
    with pytest.raises(SignInFailed):
        sign_in(pg_url, "gone", "a first password 3")  # disabled in the file: no login there


def _stored(url: str, column: str, name: str) -> str | None:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(f"SELECT {column} FROM users WHERE name = :n"), {"n": name}).scalar()
    finally:
        engine.dispose()


def test_each_person_gets_a_server_login_of_their_own(facility_file, pg_url) -> None:
    """The administrator keeps her password; cy gets a first password to change; no password
    material is in the app's tables; wrong passwords are counted and lock as always."""
    source = reopen(facility_file)
    try:
        report = moving.copy_database(source, pg_url, PASSWORD)
    finally:
        source.dispose()
    assert sorted(report.first_passwords) == ["cda2", "cy"] and report.administrator == ADMIN
    names = ServerNames.of_url(pg_url)
    assert _stored(pg_url, "server_role", "cy") == names.login("cy")
    engine = create_db_engine(pg_url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM users WHERE password_hash IS NOT NULL")).scalar() == 0
        assert connection.execute(sa.text("SELECT count(*) FROM recovery_keys")).scalar() == 0
        key = database_key(facility_file)
        stored_keys = " ".join(connection.execute(sa.text("SELECT slot FROM person_keys")).scalars())
    engine.dispose()
    assert key.hex() not in stored_keys and base64.b64encode(key).decode().rstrip("=") not in stored_keys
    admin = sign_in(pg_url, ADMIN, PASSWORD)  # her own keys and the facility CA's came along, under her password
    try:
        assert admin.person.keys is not None and admin.person.authority_key is not None
        assert admin.signer is not None
    finally:
        admin.dispose()

    with pytest.raises(SignInFailed):
        sign_in(pg_url, "cy", CY_PASSWORD)  # her file password is not the server's
    attempts = security_policy().failed_attempts
    for _ in range(attempts - 2):
        with pytest.raises(SignInFailed) as wrong:
            sign_in(pg_url, "cy", "not cy's passphrase")
        assert not isinstance(wrong.value, AccountLocked)
    db = sign_in(pg_url, "cy", report.first_passwords["cy"])
    try:
        assert db.actor.role == "coordinator" and db.actor.must_change_password
        users.change_own_password(db, report.first_passwords["cy"], CY_PASSWORD)
    finally:
        db.dispose()
    sign_in(pg_url, "cy", CY_PASSWORD).dispose()  # her own from now on
    for _ in range(attempts - 1):  # the failures were forgotten at her sign-in ...
        with pytest.raises(SignInFailed):
            sign_in(pg_url, "cy", "not cy's passphrase")
    with pytest.raises(AccountLocked):  # ... and wrong passwords lock her out as always
        sign_in(pg_url, "cy", "not cy's passphrase")
    with pytest.raises(AccountLocked):
        sign_in(pg_url, "cy", CY_PASSWORD)


def test_the_lock_screen_and_switching_user_ask_the_server(facility_file, pg_url) -> None:
    source = reopen(facility_file)
    try:
        report = moving.copy_database(source, pg_url, PASSWORD)
    finally:
        source.dispose()
    shared = sign_in(pg_url, ADMIN, PASSWORD)
    try:
        assert check_credentials(shared, ADMIN, PASSWORD).name == ADMIN  # the same person unlocks
        with pytest.raises(SignInFailed):
            check_credentials(shared, "cy", "not cy's passphrase")
        assert check_credentials(shared, "cy", report.first_passwords["cy"]).name == "cy"  # cy takes over ...
        with shared.engine.connect() as connection:  # ... and the window's connections are hers
            assert connection.execute(sa.text("SELECT session_user")).scalar() == ServerNames.of_url(pg_url).login("cy")
    finally:
        shared.dispose()


def test_directory_sign_in_asks_no_password_of_the_app(facility_file, pg_url) -> None:
    """Moved with directory sign-in: each person's login is the directory's (here made for the test);
    the server says who it is, the app asks nothing more."""
    prefix = ServerNames.of_url(pg_url).prefix
    logins = {"cda2": f"{prefix}.dir-cda2", "cy": f"{prefix}.dir-cy"}
    source = reopen(facility_file)
    try:
        report = moving.copy_database(source, pg_url, PASSWORD, hand_over="directory", directory_logins=logins)
    finally:
        source.dispose()
    assert report.directory == logins and not report.first_passwords
    with pytest.raises(SignInFailed):
        sign_in(pg_url, "cy", "any password")  # no login of the app's for her
    url = sa.engine.make_url(pg_url).set(username=logins["cy"]).render_as_string(hide_password=False)
    db = sign_in_directory(url)  # the test server trusts 127.0.0.1, as a Kerberos ticket would vouch
    try:
        assert db.actor.name == "cy" and db.actor.role == "coordinator" and db.signer is None
        letters.save_letter(db, AS_OF, "from the directory", True)
        with db.reader() as session:
            last = session.execute(sa.text('SELECT "user" FROM audit_log ORDER BY id DESC LIMIT 1')).scalar()
        assert last == "cy"  # the server's log names her
        assert verify_database(db).ok
    finally:
        db.dispose()
    with pytest.raises(SignInFailed, match="owner"):
        sign_in_directory(pg_url)  # the owner's address is nobody of the facility


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


@pytest.mark.parametrize(("table", "damage", "caught"), [
    ("cases", "a note changed", "The copy differs from the source in cases"),
    ("data_entries", "a row lost", "The copy differs from the source in data_entries"),
    ("cases", "a row lost", "violates foreign key constraint"),  # a parent lost: its children's keys fail
])
def test_a_row_changed_or_lost_on_the_way_is_caught_and_nothing_is_kept(facility_file, pg_url, monkeypatch,
                                                                        table, damage, caught) -> None:
    """The checksum of what was read is held against what the server kept, row by row: one text
    changed (or one row not arriving) in one table fails the whole copy before it commits."""
    import psycopg

    sent, copy_rows = psycopg.Copy.write_row, moving._copy_rows
    now: list[str] = []
    damaged: list[tuple] = []

    def table_by_table(reading, writing, table, *rest):  # type: ignore[no-untyped-def]
        now[:] = [table.name]
        return copy_rows(reading, writing, table, *rest)

    def on_the_wire(copy, row):  # type: ignore[no-untyped-def]
        if now == [table] and not damaged:
            damaged.append(tuple(row))
            if damage == "a row lost":
                return None
            note = list(moving.Base.metadata.tables["cases"].columns.keys()).index("note")
            row = (*row[:note], f"{row[note] or ''} (changed on the way)", *row[note + 1:])
        return sent(copy, row)

    monkeypatch.setattr(moving, "_copy_rows", table_by_table)
    monkeypatch.setattr(psycopg.Copy, "write_row", on_the_wire)
    source = reopen(facility_file)
    try:
        with pytest.raises(DatabaseError, match=caught):
            moving.copy_database(source, pg_url, PASSWORD)
    finally:
        source.dispose()
    assert damaged  # the damage was done ...
    assert tables_at(pg_url) == []  # ... and caught: nothing kept


def _catalogue(url: str) -> dict[str, list[str]]:
    """Every index and constraint of the app's tables, as the server would make them again."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            tables = [f'"{t.name}"' for t in moving._tables()]
            indexes = connection.execute(sa.text(
                "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = ANY(CAST(:t AS regclass[]))"),
                {"t": tables}).scalars()
            constraints = connection.execute(sa.text(
                "SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE conrelid = ANY(CAST(:t AS regclass[]))"), {"t": tables}).scalars()
            return {"indexes": sorted(indexes), "constraints": sorted(constraints)}
    finally:
        engine.dispose()


def test_the_moved_database_has_every_index_and_key_its_migrations_make(facility_file, pg_url) -> None:
    """The rows go in with the secondary indexes and foreign keys held off (each built and checked
    once afterwards): what commits has exactly the catalogue a new shared database gets."""
    fresh = new_database()
    try:
        open_database(url_of(fresh), create=True).dispose()
        made = _catalogue(url_of(fresh))
    finally:
        drop_database(fresh)
    source = reopen(facility_file)
    try:
        moving.copy_database(source, pg_url, PASSWORD)
    finally:
        source.dispose()
    moved = _catalogue(pg_url)
    assert len(made["indexes"]) > 30 and any("FOREIGN KEY" in c for c in made["constraints"])
    assert moved == made


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

