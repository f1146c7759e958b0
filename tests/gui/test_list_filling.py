"""Long lists read only when someone can see them, and once per change (issue 28): a hidden tab's
list waits for its tab, a list's own save is not read again when the change hub announces it, and
a change from elsewhere still is."""

from __future__ import annotations

import datetime as dt

from app.domain.records import DosimetryRecord
from app.services import data_entry, dosimetry
from tests.gui.conftest import settle
from ui.as_of import AsOf
from ui.models.windowed import PAGE_SIZE
from ui.screens import DOSIMETRY

AS_OF = dt.date(2025, 6, 30)


def counting(page) -> list[int]:  # type: ignore[no-untyped-def]
    """Each read of ``page``'s rows recorded: ``RecordPage._rows`` for a list held whole, the count
    of its rows (each read starts with one) for a long list read a page at a time."""
    reads: list[int] = []
    if page.paged:
        count = page.model.read_count

        def counted_rows() -> int:
            reads.append(1)
            return count()

        page.model.read_count = counted_rows
        return reads
    rows = page._rows

    def counted() -> list[dict]:
        reads.append(1)
        return rows()

    page._rows = counted
    return reads


def test_the_sessions_tab_reads_its_sessions_when_first_opened(qtbot, demo_db) -> None:
    from ui.programs import ProgramsPage

    page = ProgramsPage(demo_db, AsOf(AS_OF))
    qtbot.addWidget(page)
    page.show()
    settle(qtbot)
    assert page.sessions.table.rowCount() == 0 and page.sessions.records == []  # the Figures tab is in front
    reads = counting(page.sessions)
    page.reload()  # a change while the tab is hidden: read when it is shown, not now
    assert reads == []
    page.tabs.setCurrentWidget(page.sessions)
    # every session counted, only the page the tab shows read (issue 28: no longer all of them)
    total = data_entry.count_data_entries(demo_db)
    assert reads == [1] and page.sessions.table.rowCount() == total > 0 and page.sessions.records == []
    assert 0 < page.sessions.model.cached_rows <= 2 * PAGE_SIZE < total
    page.reload()  # shown: read at once, as every list is
    assert reads == [1, 1]


def test_a_dosimetry_save_reads_its_list_once_and_a_change_elsewhere_again(qtbot, settled_window) -> None:
    window = settled_window
    window.show_area(DOSIMETRY.title)
    settle(qtbot)
    listed = window.pages[DOSIMETRY.title].list
    reads = counting(listed)
    listed.table.selectRow(0)
    saved: list[object] = []

    def press_save(form) -> None:  # type: ignore[no-untyped-def]
        dose = form.widgets["total_dose_gy"]
        dose.setValue(dose.value() + 0.1)
        form.save()
        saved.append(form.change)

    listed.form_hook = press_save
    listed.edit()
    settle(qtbot)
    assert saved[0] is not None and reads == [1]  # read after the save; its announcement found it shown
    row = listed.records[0]
    dosimetry.save_submission(window.db, DosimetryRecord(  # as another screen or an import would
        row["case_id"], row["submitted_on"], row["staff_id"], row["technique"], row["total_dose_gy"] + 0.1,
        row["fractions"], dosimetry.list_submissions(window.db, limit=1, case_search=row["case_id"])[0].metrics,
        version=row["version"]), submission_id=row["id"])
    settle(qtbot)
    assert reads == [1, 1]


def test_dates_follow_the_facility_format_once_remembered(qtbot) -> None:
    from ui.date_field import date_format, shown, use_date_format

    before = date_format()
    try:
        use_date_format("iso")
        assert shown(dt.date(2025, 1, 15)) == "2025-01-15"
        use_date_format("us")
        assert shown(dt.date(2025, 1, 15)) == "01/15/2025"
        assert shown(None) == ""
    finally:
        use_date_format(before)
