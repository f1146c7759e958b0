"""Issue 13 on PostgreSQL: what the import accepts fits the server's columns (a 100-character
case ID or a NUL once failed inside the database, quoting SQL); what it refuses, it refuses first."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.storage.models import Case
from app.workbook.importer import import_workbook
from app.workbook.schema import SPECS
from tests.support import create
from tests.unit.test_workbook import VALID, mutate, refused, write_folder
from tests.unit.test_workbook_values import NONSENSE

pytestmark = pytest.mark.pg


def test_values_at_every_limit_fit_and_nonsense_is_refused_before_the_server(pg_url: str, tmp_path: Path) -> None:
    db = create(pg_url)
    try:
        import_workbook(db, write_folder(tmp_path / "valid", VALID))
        longest = {}
        for sheet in ("cases", "staff", "meetings", "dosimetry", "correspondence"):
            for column in SPECS[sheet].columns:
                if column.kind in ("text", "id") and column.name in VALID[sheet][0]:
                    longest[(sheet, column.name)] = column.max_length
        sheets = {k: [list(r) for r in v] for k, v in VALID.items()}
        for (sheet, column), length in longest.items():
            at = sheets[sheet][0].index(column)
            if column in ("email",):
                sheets[sheet][1][at] = "a@" + "é" * (length - 2)
            elif column not in ("case_id", "staff_id", "meeting_id", "primary_site"):  # IDs are referenced
                sheets[sheet][1][at] = "é" * length
        sheets["cases"].append(["é" * 64, "lung", "", "2025-03-02", "pending", "", "", "", "", "", "", ""])
        import_workbook(db, write_folder(tmp_path / "longest", sheets))
        with db.reader() as s:
            assert s.get(Case, "é" * 64) is not None
        for i, (sheet, row, column, value, message) in enumerate(NONSENSE):
            problems = refused(db, write_folder(tmp_path / f"bad{i}", mutate(sheet, row, column, value)))
            assert any(p.startswith(message) for p in problems), problems
    finally:
        db.dispose()
