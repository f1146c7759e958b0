"""The same storage on a shared PostgreSQL server (a facility with several workstations)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import ProgrammingError

from app.domain.permissions import NotAllowed, Permission
from app.security.signin import (
    AccountLocked,
    NeedsAdministrator,
    SignInFailed,
    sign_in,
    sign_in_with_recovery_key,
    upgrade_database,
)
from app.services import users
from app.services.facility import FacilityDetails, get_facility, save_facility
from app.services.maintenance import verify_database
from app.storage.database import DatabaseError, create_db_engine, head_revision, open_database
from app.storage.models import AuditEntry, Case, User
from tests.support import ADMIN, PASSWORD, as_role, create, create_with_key, reopen

pytestmark = pytest.mark.pg
NOW = dt.datetime(2026, 12, 1, 9, 0)


def test_migrates_and_audits_on_postgres(pg_url: str) -> None:
    db = create(pg_url)
    try:
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
        save_facility(db, FacilityDetails(name="Shared RO", joined_on=dt.date(2020, 1, 1)), today=dt.date(2026, 1, 1))
        with db.transaction(Permission.IMPORT) as session:
            session.add(Case(case_id="PG-1", project="lung", eligible_on=dt.date(2025, 2, 1), status="pending"))
        with db.reader() as session:
            assert session.get(Case, "PG-1") is not None
            entries = session.scalars(select(AuditEntry).where(AuditEntry.table_name.in_(("facility", "cases")))
                                      .order_by(AuditEntry.id)).all()
        assert [e.action for e in entries] == ["insert", "insert"] and {e.user for e in entries} == {ADMIN}
        assert get_facility(db).name == "Shared RO"
        assert verify_database(db).ok
    finally:
        db.dispose()


def test_the_register_flags_indexes_are_partial_on_postgres(pg_url: str) -> None:
    """The models say these two indexes' WHERE for SQLite alone (naming PostgreSQL's would load its
    dialect into every SQLite process): the migration gives the shared database the same WHERE."""
    from app.storage.models import Case as CaseModel

    db = create(pg_url)
    try:
        with db.engine.connect() as conn:
            made = dict(conn.execute(text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'cases' "
                                          "AND indexname IN ('ix_cases_dosimetry_due', 'ix_cases_pending')")).all())
    finally:
        db.dispose()
    on_sqlite = {index.name: str(index.dialect_options["sqlite"]["where"])
                 for index in CaseModel.__table__.indexes if index.dialect_options["sqlite"]["where"] is not None}
    assert made.keys() == on_sqlite.keys() == {"ix_cases_dosimetry_due", "ix_cases_pending"}
    assert "WHERE (enrolled_on IS NOT NULL)" in made["ix_cases_dosimetry_due"]
    assert "WHERE ((status)::text <> 'not_enrolled'::text)" in made["ix_cases_pending"]
    assert on_sqlite == {"ix_cases_dosimetry_due": "enrolled_on IS NOT NULL", "ix_cases_pending": "status != 'not_enrolled'"}


def test_a_refusal_before_anything_is_written_leaves_the_server_as_it_was(pg_url: str) -> None:
    """``create_database(before_file=…)`` on a shared database: asked before the server's schema,
    roles or administrator are made, and its refusal (a workbook found wrong) leaves none of them."""
    from app.security.signin import create_database
    from tests.support import tables_at

    class Refused(Exception):
        pass

    def refuse() -> None:
        raise Refused("the workbook has problems")

    with pytest.raises(Refused):
        create_database(pg_url, ADMIN, PASSWORD, before_file=refuse)
    assert tables_at(pg_url) == []


def test_reopening_is_a_no_op_and_newer_schema_is_refused(pg_url: str) -> None:
    create(pg_url).dispose()
    db = reopen(pg_url)
    with pytest.raises(ProgrammingError, match="permission denied"), db.engine.begin() as conn:  # a person's login
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))  # cannot touch the schema
    db.dispose()
    owner = create_db_engine(pg_url)
    with owner.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    owner.dispose()
    with pytest.raises(DatabaseError, match="newer version"):
        open_database(pg_url)
    with pytest.raises(DatabaseError, match="newer version"):
        reopen(pg_url)


def test_users_roles_lockout_and_recovery_work_the_same_on_the_server(pg_url: str) -> None:
    db, recovery_key = create_with_key(pg_url)
    users.add_user(db, "pat", "physics", "pat's first password")
    with db.reader() as session:
        stored = session.scalars(select(User.password_hash).where(User.name == "pat")).one()
        login = session.scalars(select(User.server_role).where(User.name == "pat")).one()
        logged = " ".join(str(e.after) for e in session.scalars(select(AuditEntry)))
    assert stored is None and "pat's first password" not in logged  # the server keeps its own SCRAM verifier
    assert login.endswith(".pat")  # pat's own login role
    pat = sign_in(pg_url, "pat", "pat's first password", at=NOW)
    assert pat.actor.role == "physics" and pat.actor.must_change_password
    with pytest.raises(NotAllowed):
        save_facility(pat, FacilityDetails(name="Mine now"), today=dt.date(2026, 1, 1))
    pat.dispose()
    for minute in range(5):
        with pytest.raises(SignInFailed):
            sign_in(pg_url, "pat", "wrong password!!", at=NOW + dt.timedelta(minutes=minute))
    with pytest.raises(AccountLocked):
        sign_in(pg_url, "pat", "pat's first password", at=NOW + dt.timedelta(minutes=6))
    users.unlock_user(db, "pat")
    sign_in(pg_url, "pat", "pat's first password", at=NOW + dt.timedelta(minutes=7)).dispose()
    users.disable_user(db, "pat")
    with pytest.raises(SignInFailed):
        sign_in(pg_url, "pat", "pat's first password")
    db.dispose()
    rescued = sign_in_with_recovery_key(pg_url, recovery_key)
    assert rescued.actor.role == "admin"
    rescued.dispose()
    sign_in(pg_url, ADMIN, PASSWORD).dispose()


def test_a_server_database_of_the_previous_version_gets_its_administrator(pg_url: str) -> None:
    open_database(pg_url).dispose()  # migrated, but nobody in it: as an earlier version left it
    with pytest.raises(NeedsAdministrator):
        sign_in(pg_url, ADMIN, PASSWORD)
    db, _key = upgrade_database(pg_url, ADMIN, PASSWORD)
    assert as_role(db, "admin").actor.role == "admin"
    db.dispose()
    sign_in(pg_url, ADMIN, PASSWORD).dispose()


@pytest.mark.parametrize(("url", "refused"), [
    ("postgresql+psycopg://u@db.hospital.example/mroqc", True),
    ("postgresql+psycopg://u@db.hospital.example/mroqc?sslmode=prefer", True),
    ("postgresql+psycopg://u@db.hospital.example/mroqc?sslmode=verify-full", False),
    ("postgresql+psycopg://u@db.hospital.example/mroqc?sslmode=disable", False),
    ("postgresql+psycopg://u@127.0.0.1/mroqc", False),
    ("postgresql+psycopg://u@localhost/mroqc", False),
])
def test_a_remote_server_needs_tls_unless_the_url_says_otherwise(url: str, refused: bool) -> None:
    if refused:
        with pytest.raises(DatabaseError, match="sslmode"):
            create_db_engine(url)
    else:
        create_db_engine(url).dispose()  # no connection is made until used


def test_an_earlier_version_audit_log_is_chained_as_stored(pg_url: str) -> None:
    """Entries written before migration 0005 (JSON spaced as the old version wrote it) verify."""
    from alembic import command

    from app.storage.database import alembic_config

    engine = create_db_engine(pg_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0004")
        conn.execute(text("""INSERT INTO audit_log (at, "user", action, table_name, record_key, "before", "after")
                             VALUES (now(), 'old', 'update', 'cases', 'C1', '{"b": 1, "a": [1, 2]}', '{"note":  "x"}')"""))
    engine.dispose()
    db, _key = upgrade_database(pg_url, ADMIN, PASSWORD)
    try:
        report = verify_database(db)
        assert report.ok and report.audit_entries >= 2, report.problems
    finally:
        db.dispose()


def test_each_workstation_names_itself_to_the_server(pg_url) -> None:
    """Who has the shared database open is the server's own list (pg_stat_activity), by name."""
    from app.services.maintenance import connected_elsewhere

    here = create(pg_url)
    there = reopen(pg_url)
    try:
        with there.reader() as session:
            session.execute(select(func.count()).select_from(User)).scalar()
            others = connected_elsewhere(here)
            assert any(o.startswith("MROQC Facility Desk (") for o in others), others
    finally:
        there.dispose()
        here.dispose()
