"""The same storage on a shared PostgreSQL server (a facility with several workstations)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from app.security.roles import Permission
from app.services.facility import FacilityDetails, get_facility, save_facility
from app.storage.database import DatabaseError, head_revision, open_database
from app.storage.models import AuditEntry, Case

pytestmark = pytest.mark.pg


def test_migrates_and_audits_on_postgres(pg_url: str) -> None:
    db = open_database(pg_url)
    try:
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
        save_facility(db, FacilityDetails(name="Shared RO", joined_on=dt.date(2020, 1, 1)), today=dt.date(2026, 1, 1))
        with db.transaction(Permission.IMPORT) as session:
            session.add(Case(case_id="PG-1", project="lung", eligible_on=dt.date(2025, 2, 1), status="pending"))
        with db.reader() as session:
            assert session.get(Case, "PG-1") is not None
            actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["insert", "insert"]
        assert get_facility(db).name == "Shared RO"
    finally:
        db.dispose()


def test_reopening_is_a_no_op_and_newer_schema_is_refused(pg_url: str) -> None:
    open_database(pg_url).dispose()
    db = open_database(pg_url)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    db.dispose()
    with pytest.raises(DatabaseError, match="newer version"):
        open_database(pg_url)
