"""The register's flags and the kept first dosimetry date on PostgreSQL (its trigger, a definer's
function), as on SQLite (``tests/unit/test_register_scale.py``)."""

from __future__ import annotations

import pytest

from tests.support import create
from tests.unit import test_register_scale as on_sqlite

pytestmark = pytest.mark.pg


@pytest.fixture
def pg_scaled(pg_url: str):  # type: ignore[no-untyped-def]
    from app.services.facility import FacilityDetails, save_facility
    from tests.conftest import TODAY

    db = create(pg_url)
    save_facility(db, FacilityDetails(name="Lakeside", radiation_oncologists=4, joined_on=on_sqlite.D(2019, 3, 1),
                                      baseline_year=2019), today=TODAY)
    try:
        yield on_sqlite.fill_scaled(db)
    finally:
        db.dispose()


def test_the_flags_find_the_old_cases_on_postgres(pg_scaled, monkeypatch) -> None:
    for as_of in (on_sqlite.D(2024, 3, 1), on_sqlite.AS_OF):
        on_sqlite.test_the_flags_find_the_old_cases_whichever_way_the_page_is_read(pg_scaled, monkeypatch, as_of, 0)


def test_the_trigger_keeps_the_date_on_postgres(pg_scaled) -> None:
    assert on_sqlite.kept_wrong(pg_scaled) == []
    on_sqlite.test_every_save_change_delete_and_undo_keeps_the_date(pg_scaled)
