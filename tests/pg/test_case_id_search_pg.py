"""The register's text filter on PostgreSQL (``ILIKE``: no trigram index there, migration 0016 makes
nothing) finds the same cases as on SQLite; ``reindex`` is a SQLite file's and says so."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert

from app.domain.permissions import Permission
from app.storage.errors import DatabaseError
from app.storage.models import Case
from tests.support import create
from tests.unit import test_case_id_search as on_sqlite

pytestmark = pytest.mark.pg


@pytest.fixture
def pg_ids(pg_url: str):  # type: ignore[no-untyped-def]
    from app.services.facility import FacilityDetails, save_facility
    from tests.conftest import TODAY

    db = create(pg_url)
    save_facility(db, FacilityDetails(name="Lakeside"), today=TODAY)
    made = [f"MRQ-{n:05d}" for n in range(0, 100_000, 173)] + list(on_sqlite.ODD_IDS)
    with db.transaction(Permission.IMPORT) as session:
        session.execute(insert(Case), [{"case_id": i, "project": "breast", "eligible_on": dt.date(2024, 1, 1),
                                        "status": "pending"} for i in made])
    try:
        yield db, made
    finally:
        db.dispose()


def test_the_text_filter_finds_the_same_cases_on_postgres(pg_ids) -> None:
    db, made = pg_ids
    for search in on_sqlite.SEARCHES:
        if any(not c.isascii() for c in search):
            continue  # ILIKE folds case beyond ASCII, SQLite's LIKE does not: the reference is SQLite's
        expected = on_sqlite.reference(made, search)
        assert on_sqlite.found(db, search) == (len(expected), expected), search


def test_reindex_is_a_database_files(pg_ids) -> None:
    from app.services.maintenance import reindex_database

    db, _ = pg_ids
    with pytest.raises(DatabaseError, match="SQLite file"):
        reindex_database(db)
