"""The facility's "records kept here since" day on a shared PostgreSQL server: migration 0012's
backfill, an import moving it back (audited by the server), and the history rule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text

from app.services.facility import FacilityDetails, get_facility, save_facility
from app.services.findings import evaluate_at
from app.storage.database import alembic_config, create_db_engine
from app.storage.models import AuditEntry
from app.workbook.importer import import_workbook
from tests.support import create, reopen
from tests.unit.test_workbook import VALID, write_folder

pytestmark = pytest.mark.pg
FIRST_DAY = dt.date(2026, 12, 7)


def test_a_new_facility_on_the_server_waits_for_history_and_an_import_moves_it_back(pg_url: str, tmp_path: Path) -> None:
    db = create(pg_url)
    try:
        save_facility(db, FacilityDetails("Shared RO", joined_on=dt.date(2019, 1, 15), records_kept_since=FIRST_DAY),
                      today=FIRST_DAY)
        assert get_facility(db).records_kept_since == FIRST_DAY
        assert evaluate_at(db, FIRST_DAY).measures["QIP-DATA-LAG"][0].history_since == FIRST_DAY
        import_workbook(db, write_folder(tmp_path / "wb", VALID))
        assert get_facility(db).records_kept_since == dt.date(2025, 1, 2)
        with db.reader() as session:
            entries = session.scalars(select(AuditEntry).where(AuditEntry.table_name == "facility")).all()
        assert any("records_kept_since" in (e.after or {}) for e in entries)
    finally:
        db.dispose()


def test_the_upgrade_gives_a_facility_in_use_its_earliest_record_or_join_date(pg_url: str, tmp_path: Path) -> None:
    db = create(pg_url)
    save_facility(db, FacilityDetails("Shared RO", joined_on=dt.date(2019, 1, 15)), today=FIRST_DAY)
    import_workbook(db, write_folder(tmp_path / "wb", VALID))
    db.dispose()
    owner = create_db_engine(pg_url)
    try:
        with owner.begin() as connection:  # back to before the column, records and all, then up again
            command.downgrade(alembic_config(connection), "0011")
            connection.execute(text("UPDATE facility SET joined_on = '2025-06-01'"))  # records older than joining
            command.upgrade(alembic_config(connection), "head")
    finally:
        owner.dispose()
    db = reopen(pg_url)
    try:
        assert get_facility(db).records_kept_since == dt.date(2025, 1, 2)  # C1's eligible date
    finally:
        db.dispose()
