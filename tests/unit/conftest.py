"""Fixtures the unit tests of one subject share across their modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.storage.database import Database
from app.workbook.importer import import_workbook
from tests.unit.test_workbook import VALID, write_folder


@pytest.fixture
def loaded(empty_db: Database, tmp_path: Path) -> Database:
    """A database holding the valid sample workbook (``VALID``): what the workbook tests (records,
    values, damaged files) import over and expect to find unchanged after a refusal."""
    import_workbook(empty_db, write_folder(tmp_path / "valid", VALID))
    return empty_db
