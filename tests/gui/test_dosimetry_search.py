"""A capped dosimetry list: the filter searches every submission in the database, so a physics
lead finds an old case's submission however long the history is."""

from __future__ import annotations

import datetime as dt

import ui.dosimetry
from app.domain.records import CaseRecord, DosimetryRecord, StaffRecord
from app.services import dosimetry, staff
from app.services.cases import save_case
from ui.as_of import AsOf
from ui.dosimetry import DosimetryPage


def test_filter_searches_older_submissions_when_the_list_is_capped(qtbot, db, monkeypatch) -> None:
    monkeypatch.setattr(ui.dosimetry, "SHOWN_SUBMISSIONS", 2)
    staff.save_staff(db, StaffRecord(staff_id="PH1", name="Cy Physicist", profession="physicist", works_on_mroqc=True))
    for n, case_id in enumerate(("C-OLD", "C-MID", "C-NEW")):
        save_case(db, CaseRecord(case_id=case_id, project="breast", eligible_on=dt.date(2024, 1, 2 + n),
                                 status="enrolled", enrolled_on=dt.date(2024, 1, 5 + n)))
        dosimetry.save_submission(db, DosimetryRecord(case_id, dt.date(2024, 2, 1 + n), "PH1", "IMRT", 50.0, 25))
    page = DosimetryPage(db, AsOf(dt.date(2024, 6, 30)))
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: len(page.list.records) == 2, timeout=10000)  # the list fills in (read aside)
    assert sorted(r["case_id"] for r in page.list.records) == ["C-MID", "C-NEW"]
    assert "type a case ID" in page.list.note.text()
    page.list.filter.setText("old")
    qtbot.waitUntil(lambda: [r["case_id"] for r in page.list.records] == ["C-OLD"], timeout=3000)
    assert "contains “old”: 1" in page.list.note.text()
    page.list.filter.clear()
    qtbot.waitUntil(lambda: len(page.list.records) == 2, timeout=3000)
    assert "type a case ID" in page.list.note.text()


def test_a_short_list_filters_on_screen_without_asking_the_database(qtbot, db, monkeypatch) -> None:
    calls: list[str] = []
    real = dosimetry.list_submissions

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs.get("case_search", ""))
        return real(*args, **kwargs)

    monkeypatch.setattr(ui.dosimetry.dosimetry, "list_submissions", counting)
    page = DosimetryPage(db, AsOf(dt.date(2024, 6, 30)))
    qtbot.addWidget(page)
    page.list.filter.setText("C-1")
    qtbot.wait(500)
    assert calls == [""]  # loaded once; the filter works on the rows already shown
