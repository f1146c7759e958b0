"""Property: whatever any cells of a valid workbook are changed to, the import either succeeds or
raises WorkbookError with well-formed problem lines, and a refused import changes nothing.

In-process and quick (a fixed number of seeded examples), so it runs with the unit tests; the
CLI-level corpus is ``test_fuzz_import``.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.workbook.importer import import_workbook
from app.workbook.schema import WorkbookError
from tests.fuzz.harness import PROBLEM_LINE
from tests.unit.test_workbook import VALID, snapshot, write_folder

TARGETS = [(sheet, row, column) for sheet, rows in VALID.items() for row in range(2, len(rows) + 1)
           for column in (["value"] if sheet == "facility" else rows[0])]
NASTY = ["", " ", "yes", "no", "=1+1", "@SUM(A1)", "-", "\x00", "a\x00b", "\r", "\n", "\"", "'", ",", ";", "=",
         "1e400", "nan", "inf", "-0", "2099-01-01", "1800-01-01", "0000-00-00", "2024-02-30", "9" * 30, "C1", "S1",
         "M1", "breast", "bone_mets", "not_enrolled", "other", "a=1;a=2", "a=-1", "x" * 5000, "\ufeff", "é", "😀"]
CELLS = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=60),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats().map(repr),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(dt.date.isoformat),
)


@pytest.fixture(scope="module")
def workdir() -> Path:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


@settings(max_examples=120, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(changes=st.lists(st.tuples(st.sampled_from(TARGETS), CELLS), min_size=1, max_size=4))
def test_any_cell_values_get_an_import_or_clear_problems(empty_db, workdir: Path, changes) -> None:
    sheets = {k: [list(r) for r in v] for k, v in VALID.items()}
    for (sheet, row, column), value in changes:
        header = sheets[sheet][0]
        sheets[sheet][row - 1][1 if sheet == "facility" else header.index(column)] = value
    folder = Path(tempfile.mkdtemp(dir=workdir))
    before = snapshot(empty_db)
    try:
        import_workbook(empty_db, write_folder(folder, sheets))
    except WorkbookError as error:
        assert error.problems
        bad = [p for p in error.problems if not PROBLEM_LINE.match(p)]
        assert not bad, bad
        assert snapshot(empty_db) == before
