"""Opening, migrating and auditing a facility database (no QApplication needed)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text

from app.domain.permissions import Permission
from app.security.signin import sign_in, upgrade_database
from app.services.facility import FacilityDetails, FacilityError, get_facility, save_facility
from app.storage.database import (
    DatabaseError,
    alembic_config,
    create_db_engine,
    head_revision,
    is_plain_sqlite,
    open_database,
    sqlite_url,
)
from app.storage.models import AuditEntry, Case
from tests.support import ADMIN, PASSWORD, create, raw_connection, reopen


def test_new_database_is_migrated_with_wal_and_foreign_keys(empty_db) -> None:
    with empty_db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()


def test_missing_file_is_refused_unless_creating(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="No database at"):
        open_database(sqlite_url(tmp_path / "missing.sqlite3"))
    assert not (tmp_path / "missing.sqlite3").exists()


def test_non_database_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_bytes(b"Quarterly notes, not a database")
    with pytest.raises(DatabaseError, match="not an MROQC Facility Desk database"):
        open_database(sqlite_url(path), create=True)
    assert path.read_bytes() == b"Quarterly notes, not a database"


def _checksum(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_foreign_sqlite_database_is_refused_and_not_written_to(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    before = _checksum(path)
    for attempt in (lambda: sign_in(sqlite_url(path), ADMIN, PASSWORD),
                    lambda: upgrade_database(sqlite_url(path), ADMIN, PASSWORD)):
        with pytest.raises(DatabaseError, match="another program"):
            attempt()
        assert _checksum(path) == before  # not even its journal mode changed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.sqlite3"]


def test_newer_schema_is_refused(db, db_path: Path) -> None:
    db.dispose()
    with raw_connection(db_path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    with pytest.raises(DatabaseError, match="newer version"):
        reopen(db_path)


def _plain_database(path: Path, revision: str) -> None:
    """An earlier version's unencrypted file at ``revision`` with a facility and a patient."""
    engine = create_db_engine(sqlite_url(path))
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)
        conn.execute(
            text("INSERT INTO facility (id, name, kind, radiation_oncologists, joined_on, baseline_year, active_projects, enrollment_period_start) VALUES (1, 'Old RO', 'hospital', 2, '2018-01-01', 2018, '', '01-01')")
        )
        conn.execute(text("INSERT INTO cases (case_id, project, eligible_on, status, mrn, name) "
                          "VALUES ('C1', 'breast', '2024-01-02', 'pending', 'MRN-4411907', 'Old Patient')"))
    engine.dispose()


def test_upgrade_from_first_revision_keeps_data_encrypts_and_keeps_an_encrypted_copy(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _plain_database(path, "0001")
    with pytest.raises(DatabaseError, match="earlier version"):
        sign_in(sqlite_url(path), ADMIN, PASSWORD)  # no user yet: the administrator comes first
    db, recovery_key = upgrade_database(sqlite_url(path), ADMIN, PASSWORD)
    assert recovery_key and get_facility(db).name == "Old RO"
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
    db.dispose()
    assert not is_plain_sqlite(path)
    assert (tmp_path / f"old.before-{head_revision()}.backup").exists()  # encrypted, like every copy
    for written in tmp_path.iterdir():
        assert b"MRN-4411907" not in written.read_bytes() and b"Old Patient" not in written.read_bytes(), written
    reopen(path).dispose()


def test_every_service_change_is_audited_with_before_and_after(db) -> None:
    save_facility(
        db,
        FacilityDetails(name="Lakeside RO", radiation_oncologists=5, joined_on=dt.date(2019, 3, 1), baseline_year=2019),
        today=dt.date(2026, 1, 5),
    )
    with db.reader() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.table_name == "facility")
                                  .order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["insert", "update"]
    assert entries[1].before["name"] == "Lakeside Cancer Center"
    assert entries[1].after == {"name": "Lakeside RO", "radiation_oncologists": 5}
    assert entries[1].user == ADMIN  # the signed-in user, never the environment


def test_phi_is_masked_in_the_audit_log(db) -> None:
    with db.transaction(Permission.IMPORT) as session:
        session.add(Case(case_id="C1", project="breast", eligible_on=dt.date(2025, 1, 2), status="pending",
                         mrn="MRN-55501", name="Pat Example", birth_date=dt.date(1960, 2, 3)))
    with db.reader() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.table_name == "cases")).one()
    assert entry.record_key == "C1"
    assert "MRN-55501" not in str(entry.after) and "Pat Example" not in str(entry.after)
    assert entry.after["eligible_on"] == "2025-01-02"


def test_a_database_error_never_carries_patient_values(db) -> None:
    """Database errors reach the log file and error dialogs: their text must not hold PHI."""
    from sqlalchemy.exc import IntegrityError

    row = {"project": "breast", "eligible_on": dt.date(2025, 1, 2), "status": "pending",
           "mrn": "MRN-77123", "name": "Lee Synthetic", "birth_date": dt.date(1951, 4, 5)}
    with db.transaction(Permission.IMPORT) as session:
        session.add(Case(case_id="C9", **row))
    with pytest.raises(IntegrityError) as caught, db.transaction(Permission.IMPORT) as session:
        session.add(Case(case_id="C9", **row))  # the same ID again
    text_of_error = str(caught.value)
    assert "cases" in text_of_error  # still says what went wrong
    assert "MRN-77123" not in text_of_error and "Lee Synthetic" not in text_of_error


def test_failed_transaction_leaves_no_change_and_no_audit(db) -> None:
    with pytest.raises(RuntimeError), db.transaction(Permission.IMPORT) as session:
        session.add(Case(case_id="C2", project="lung", eligible_on=dt.date(2025, 1, 2), status="pending"))
        session.flush()
        raise RuntimeError("simulated failure")
    with db.reader() as session:
        assert session.get(Case, "C2") is None
        assert session.scalars(select(AuditEntry).where(AuditEntry.table_name == "cases")).first() is None


def test_facility_validation_has_clear_messages(db) -> None:
    with pytest.raises(FacilityError, match="needs a name"):
        save_facility(db, FacilityDetails(name="  "), today=dt.date(2026, 1, 1))
    with pytest.raises(FacilityError, match="month-day"):
        save_facility(db, FacilityDetails(name="X", enrollment_period_start="13-45"), today=dt.date(2026, 1, 1))


def test_database_from_every_released_schema_upgrades(tmp_path: Path) -> None:
    """Files kept from each released schema (tests/data/schema-*.sqlite3) open on today's app."""
    import shutil

    fixtures = sorted((Path(__file__).resolve().parents[1] / "data").glob("schema-*.sqlite3"))
    assert fixtures
    for fixture in fixtures:
        path = tmp_path / fixture.name
        shutil.copy(fixture, path)
        db, _key = upgrade_database(sqlite_url(path), ADMIN, PASSWORD)
        with db.reader() as session:
            assert session.get(Case, "C1").enrolled_on == dt.date(2024, 1, 5)
        assert get_facility(db).name.startswith("Schema")
        db.dispose()


def test_known_revisions_match_the_migration_scripts() -> None:
    """Opening an up-to-date database skips Alembic, so its list must equal the scripts'."""
    from alembic.script import ScriptDirectory

    from app.storage.schema_version import HEAD_REVISION, KNOWN_REVISIONS

    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_current_head() == HEAD_REVISION
    assert sorted(r.revision for r in script.walk_revisions()) == sorted(KNOWN_REVISIONS)


def test_opening_an_up_to_date_database_does_not_import_alembic(db_path: Path) -> None:
    import subprocess
    import sys

    create(db_path).dispose()
    code = ("import sys; from app.security.signin import sign_in; from app.storage.database import sqlite_url; "
            f"sign_in(sqlite_url({str(db_path)!r}), {ADMIN!r}, {PASSWORD!r}).dispose(); print('alembic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"
