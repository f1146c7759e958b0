"""Opening, migrating and auditing a facility database (no QApplication needed)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text

from app.services.facility import FacilityDetails, FacilityError, get_facility, save_facility
from app.storage.database import (
    DatabaseError,
    alembic_config,
    create_db_engine,
    head_revision,
    open_database,
    sqlite_url,
)
from app.storage.models import AuditEntry, Case


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


def test_foreign_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(DatabaseError, match="another program"):
        open_database(sqlite_url(path))


def test_newer_schema_is_refused(db, db_path: Path) -> None:
    db.dispose()
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    with pytest.raises(DatabaseError, match="newer version"):
        open_database(sqlite_url(db_path))


def test_upgrade_from_first_revision_keeps_data_and_copies_file(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    engine = create_db_engine(sqlite_url(path))
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
        conn.execute(
            text("INSERT INTO facility (id, name, kind, radiation_oncologists, joined_on, baseline_year, active_projects, enrollment_period_start) VALUES (1, 'Old RO', 'hospital', 2, '2018-01-01', 2018, '', '01-01')")
        )
    engine.dispose()
    db = open_database(sqlite_url(path))
    assert get_facility(db).name == "Old RO"
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
    if head_revision() != "0001":
        assert (tmp_path / f"old.before-{head_revision()}.sqlite3").exists()


def test_every_service_change_is_audited_with_before_and_after(db) -> None:
    save_facility(
        db,
        FacilityDetails(name="Lakeside RO", radiation_oncologists=5, joined_on=dt.date(2019, 3, 1), baseline_year=2019),
        today=dt.date(2026, 1, 5),
    )
    with db.reader() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["insert", "update"]
    assert entries[1].before["name"] == "Lakeside Cancer Center"
    assert entries[1].after == {"name": "Lakeside RO", "radiation_oncologists": 5}
    assert entries[1].user == "test-user"


def test_phi_is_masked_in_the_audit_log(db) -> None:
    with db.transaction() as session:
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
    with db.transaction() as session:
        session.add(Case(case_id="C9", **row))
    with pytest.raises(IntegrityError) as caught, db.transaction() as session:
        session.add(Case(case_id="C9", **row))  # the same ID again
    text_of_error = str(caught.value)
    assert "cases" in text_of_error  # still says what went wrong
    assert "MRN-77123" not in text_of_error and "Lee Synthetic" not in text_of_error


def test_failed_transaction_leaves_no_change_and_no_audit(db) -> None:
    with pytest.raises(RuntimeError), db.transaction() as session:
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
        db = open_database(sqlite_url(path))
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

    open_database(sqlite_url(db_path), create=True).dispose()
    code = ("import sys; from app.storage.database import open_database, sqlite_url; "
            f"open_database(sqlite_url({str(db_path)!r})).dispose(); print('alembic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"
