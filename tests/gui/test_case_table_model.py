"""The register's table model on its own, without any widget (as Vorta tests its models): counts,
pages fetched on demand and cached in bounds, sorting and filtering in SQL, words for codes."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QModelIndex, Qt

from app.domain.permissions import Permission
from app.services.register import RegisterQuery
from app.storage.models import Case
from ui.models.case_table_model import COLUMNS, MAX_CACHED_PAGES, PAGE_SIZE, CaseTableModel


def _cases(db, n: int) -> None:  # type: ignore[no-untyped-def]
    with db.transaction(Permission.IMPORT) as session:
        for i in range(n):
            session.add(Case(case_id=f"M-{i:05d}", project=("breast", "lung", "bone_mets")[i % 3],
                             primary_site="melanoma" if i % 3 == 2 else None,
                             eligible_on=dt.date(2025, 1, 1) + dt.timedelta(days=i % 300), status="pending",
                             mrn=f"MRN-{i:05d}", name=f"Patient {i}"))


def test_counts_pages_and_a_bounded_cache(qapp, db) -> None:
    _cases(db, PAGE_SIZE * (MAX_CACHED_PAGES + 2) + 7)
    model = CaseTableModel(db)
    total = PAGE_SIZE * (MAX_CACHED_PAGES + 2) + 7
    assert model.rowCount() == total and model.columnCount() == len(COLUMNS) + 1  # + the flag
    assert model.rowCount(model.index(0, 0)) == 0  # a table: no children
    assert model.cached_pages == 0  # nothing read until asked
    first = model.case_id(0)
    last = model.case_id(total - 1)
    assert first and last and first != last and model.case_id(total) is None
    for row in range(0, total, PAGE_SIZE):
        model.case_id(row)
    assert model.cached_pages == MAX_CACHED_PAGES  # old pages dropped, memory stays bounded
    ids = {model.case_id(r) for r in range(total)}
    assert len(ids) == total  # every case once across the pages


def test_sort_filter_and_display_words(qapp, db) -> None:
    _cases(db, 30)
    model = CaseTableModel(db)
    project = [key for key, _ in COLUMNS].index("project")
    model.sort(project, Qt.SortOrder.AscendingOrder)
    shown = [model.data(model.index(r, project)) for r in range(model.rowCount())]
    assert shown == sorted(shown) and "Bone metastases" in shown and "bone_mets" not in shown
    assert model.data(model.index(0, project), Qt.ItemDataRole.UserRole) in ("bone_mets", "breast", "lung")
    model.set_query(RegisterQuery(search="M-0001"))
    assert {model.case_id(r) for r in range(model.rowCount())} == {f"M-{i:05d}" for i in range(10, 20)}
    model.set_query(RegisterQuery(search="MRN-00012"))  # patient identifiers are never searched
    assert model.rowCount() == 0
    assert model.data(QModelIndex()) is None
    header = model.headerData(0, Qt.Orientation.Horizontal)
    assert header == COLUMNS[0][1]


def test_refresh_sees_new_rows(qapp, db) -> None:
    model = CaseTableModel(db)
    assert model.rowCount() == 0
    _cases(db, 3)
    assert model.rowCount() == 0  # until told: the hub calls refresh
    model.refresh()
    assert model.rowCount() == 3
