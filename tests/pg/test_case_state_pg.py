"""The case-state predicates' SQL on PostgreSQL agrees with the Python reference, as on SQLite."""

from __future__ import annotations

import pytest

from tests.support import create
from tests.unit import test_case_state

pytestmark = pytest.mark.pg


def test_sql_and_python_agree_on_postgres(pg_url: str) -> None:
    db = create(pg_url)
    try:
        test_case_state.test_sql_and_python_agree_on_random_cases(db)
    finally:
        db.dispose()
