"""The register's Flag column and its filter, at the window's as-of date."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from tests.unit.test_register_flags import add_flagged_cases
from ui.as_of import AsOf
from ui.enrollment import EnrollmentPage
from ui.models.case_table_model import FLAG_COLUMN


def shown(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    model = page.model
    return {model.case_id(r): model.data(model.index(r, FLAG_COLUMN)) for r in range(model.rowCount())}


def test_flag_column_and_filter(qtbot, db) -> None:
    add_flagged_cases(db)
    as_of = AsOf(dt.date(2025, 6, 30))
    page = EnrollmentPage(db, as_of=as_of)
    qtbot.addWidget(page)
    assert page.model.headerData(FLAG_COLUMN, Qt.Orientation.Horizontal) == "Flag"
    flags = shown(page)
    assert flags["P-OLD"] == "Pending past the decision window" and flags["P-NEW"] == ""
    assert flags["N-BAD"] == "Not enrolled, reason not accepted" and flags["E-NODOSE"] == "No dosimetry submission"
    page.flag.setCurrentIndex(page.flag.findText("No dosimetry submission"))
    assert set(shown(page)) == {"E-NODOSE", "E-LATEDOSE"}
    page.flag.setCurrentIndex(page.flag.findText("Any flag raised"))
    assert len(shown(page)) == 6
    as_of.set(dt.date(2025, 7, 15))            # judged again at the new date
    assert "P-NEW" in shown(page) and "E-LATEDOSE" not in shown(page)
    page.model.sort(FLAG_COLUMN)               # not sortable: the order stays
    assert page.model.query.sort_column == "eligible_on"
