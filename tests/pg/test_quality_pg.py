"""The data-quality rules' SQL on PostgreSQL (its own date arithmetic and age): the same boundaries
as on SQLite, and the same records as the one-record rules."""

from __future__ import annotations

import datetime as dt

import pytest

from app.services import quality
from app.services.facility import FacilityDetails, save_facility
from app.services.reviews import subject_key
from tests.support import create
from tests.unit import test_quality_rules as q

pytestmark = pytest.mark.pg


def test_every_boundary_holds_on_postgres(pg_url: str) -> None:
    db = create(pg_url)
    try:
        save_facility(db, FacilityDetails(name="Shared RO", joined_on=dt.date(2019, 3, 1)), today=dt.date(2026, 1, 1))
        q.seed(db)
        found = {(p.rule, subject_key(p.subject)) for p in quality.evaluate_quality(db, q.AS_OF).problems}
        wrong = [(rule, subject, fires) for rule, subject, fires in q.EXPECTED
                 if ((rule, subject_key(subject)) in found) is not fires]
        assert wrong == []
        q.test_the_register_sql_and_the_one_record_rules_agree(db)
    finally:
        db.dispose()
