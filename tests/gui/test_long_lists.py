"""Long lists draw at once (issue 28): the data-entry sessions (half a million at 200,000 cases)
are counted and read a page at a time from their service, which sorts and filters them; a list
held whole (5,000 dosimetry submissions) draws only the cells it shows, sorts in one Python sort
and, after a save, reads again only what changed."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QApplication

from app.services import data_entry, dosimetry
from app.services.data_entry import DataEntryQuery, count_data_entries
from tests.gui.conftest import AS_OF, settle
from ui.as_of import AsOf
from ui.models.record_models import RecordListModel
from ui.models.windowed import MAX_CACHED_PAGES, PAGE_SIZE
from ui.record_page import RecordTable


@pytest.fixture
def asked(monkeypatch):  # type: ignore[no-untyped-def]
    """What the sessions list asked its service: ("count" | "page", the query) in turn."""
    calls: list[tuple[str, DataEntryQuery]] = []
    count, page = data_entry.count_data_entries, data_entry.data_entry_page

    def counted(db, query=DataEntryQuery()):  # type: ignore[no-untyped-def]  # noqa: B008 (frozen)
        calls.append(("count", query))
        return count(db, query)

    def paged(db, query, offset, limit, total=None):  # type: ignore[no-untyped-def]
        calls.append(("page", query))
        return page(db, query, offset, limit, total)

    def never(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the sessions list read every session")

    monkeypatch.setattr(data_entry, "count_data_entries", counted)
    monkeypatch.setattr(data_entry, "data_entry_page", paged)
    monkeypatch.setattr(data_entry, "list_data_entries", never)
    return calls


def _sessions_tab(qtbot, db):  # type: ignore[no-untyped-def]
    from ui.programs import ProgramsPage

    page = ProgramsPage(db, AsOf(AS_OF))
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    settle(qtbot)
    page.tabs.setCurrentWidget(page.sessions)
    QApplication.processEvents()
    return page.sessions


def test_opening_the_sessions_tab_reads_a_count_and_the_page_shown(qtbot, demo_db, asked) -> None:
    total = count_data_entries(demo_db)
    assert total > 2 * PAGE_SIZE  # long enough to tell a page from the whole list
    asked.clear()
    sessions = _sessions_tab(qtbot, demo_db)
    model = sessions.model
    assert sessions.paged and model.rowCount() == total and sessions.records == []
    assert [what for what, _q in asked].count("count") == 1
    assert model.pages_read <= 2 and model.cached_rows <= 2 * PAGE_SIZE  # not the other sessions
    newest = sessions.record_at(0)
    assert newest is not None and sessions.table.item(0, 0).text()  # drawn: the newest session first
    sessions.table.scrollToBottom()
    QApplication.processEvents()
    oldest = sessions.record_at(total - 1)
    assert oldest is not None and oldest["date"] <= newest["date"]
    assert model.cached_rows <= MAX_CACHED_PAGES * PAGE_SIZE  # a bounded window, wherever it is scrolled


def test_sorting_and_filtering_are_the_services(qtbot, demo_db, asked) -> None:
    sessions = _sessions_tab(qtbot, demo_db)
    asked.clear()
    sessions.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)  # the Kind header clicked
    QApplication.processEvents()
    assert asked and all(what == "page" for what, _q in asked)  # the same sessions: not counted again
    assert asked[0][1] == DataEntryQuery(sort_column="kind", descending=False)
    shown = [sessions.table.item(r, 1).text() for r in range(40)]
    assert shown == sorted(shown, key=str.casefold)
    asked.clear()
    sessions.filter.setText("PRO")
    assert asked == []  # a long list waits for the typing to pause
    qtbot.waitUntil(lambda: any(what == "count" for what, _q in asked), timeout=3000)
    query = DataEntryQuery(search="PRO", sort_column="kind", descending=False)
    assert ("count", query) in asked
    assert sessions.table.rowCount() == count_data_entries(demo_db, query) > 0
    assert all(sessions.table.item(r, 1).text() == "PRO" for r in range(min(30, sessions.table.rowCount())))
    sessions.filter.clear()
    qtbot.waitUntil(lambda: sessions.table.rowCount() == count_data_entries(demo_db), timeout=3000)


def test_a_session_edited_in_the_long_list_stays_selected(qtbot, demo_db) -> None:
    sessions = _sessions_tab(qtbot, demo_db)
    sessions.table.selectRow(3)
    chosen = sessions.selected()
    assert chosen is not None
    kind = "other" if chosen["kind"] != "other" else "pro"

    def change_kind(form) -> None:  # type: ignore[no-untyped-def]
        box = form.widgets["kind"]
        box.setCurrentIndex(box.findData(kind))
        form.save()

    sessions.form_hook = change_kind
    sessions.edit()
    after = sessions.selected()
    assert after is not None and after["id"] == chosen["id"] and after["kind"] == kind
    assert sessions.table.currentRow() == data_entry.data_entry_position(demo_db, DataEntryQuery(), chosen["id"])
    sessions.undo_last()
    assert sessions.selected()["kind"] == chosen["kind"]  # type: ignore[index]


def test_the_long_list_prints_and_copies_what_it_shows(qtbot, demo_db) -> None:
    from ui.printing import shown_rows
    from ui.table_copy import selected_rows_as_text

    sessions = _sessions_tab(qtbot, demo_db)
    case_id = next(r["case_id"] for r in (sessions.record_at(n) for n in range(50)) if r and r["case_id"])
    sessions.filter.setText(case_id)
    sessions.apply_filter()
    header, rows = shown_rows(sessions.table)
    assert header == ["Date", "Kind", "Case", "By"]
    assert len(rows) == sessions.table.rowCount() > 0 and all(r[2] == case_id for r in rows)
    sessions.table.selectionModel().select(sessions.model.index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                                           | QItemSelectionModel.SelectionFlag.Rows)
    assert selected_rows_as_text(sessions.table).splitlines()[1].split("\t") == rows[0]


def test_a_dosimetry_save_reads_again_only_what_it_changed(qtbot, demo_db, monkeypatch) -> None:
    from ui.dosimetry import DosimetryPage

    read: list[str] = []
    whole, some = dosimetry.list_submissions, dosimetry.submissions_by_id
    monkeypatch.setattr(dosimetry, "list_submissions", lambda *a, **k: (read.append("all"), whole(*a, **k))[1])
    monkeypatch.setattr(dosimetry, "submissions_by_id", lambda db, ids: (read.append(f"{len(ids)}"), some(db, ids))[1])
    page = DosimetryPage(demo_db, AsOf(AS_OF))
    qtbot.addWidget(page)
    settle(qtbot)  # the list fills in: its first read is made on the worker thread
    assert read == ["all"] and len(page.list.records) > 100
    page.list.table.selectRow(0)
    chosen = page.list.selected()
    assert chosen is not None

    def press_save(form) -> None:  # type: ignore[no-untyped-def]
        dose = form.widgets["total_dose_gy"]
        dose.setValue(dose.value() + 0.5)
        form.save()

    page.list.form_hook = press_save
    page.list.edit()
    assert read == ["all", "1"]  # the one saved, not the whole list again
    mine = next(r for r in page.list.records if r["id"] == chosen["id"])
    assert mine["total_dose_gy"] == pytest.approx(chosen["total_dose_gy"] + 0.5)
    assert mine["version"] == chosen["version"] + 1
    assert [r["id"] for r in page.list.records] == [s.id for s in whole(demo_db)]  # the service's order
    QApplication.processEvents()  # the save's own announcement has passed
    page.reload()  # a change elsewhere (a person renamed): every row read anew
    assert read == ["all", "1", "all"]


def test_a_list_held_whole_sorts_blanks_last_and_keeps_the_selection(qtbot) -> None:
    model = RecordListModel([("name", "Name"), ("day", "Day")])
    table = RecordTable()
    qtbot.addWidget(table)
    table.setModel(model)
    table.setSortingEnabled(True)
    table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
    model.set_records([{"name": "b", "day": dt.date(2025, 3, 1)}, {"name": "a", "day": None},
                       {"name": "c", "day": dt.date(2024, 12, 31)}, {"name": "d", "day": dt.date(2025, 3, 1)}])
    assert [table.item(r, 0).text() for r in range(4)] == ["c", "b", "d", "a"]  # ties kept in order, blank last
    table.selectRow(1)
    table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    assert [table.item(r, 0).text() for r in range(4)] == ["b", "d", "c", "a"]  # the blank still last
    assert model.record(table.currentRow())["name"] == "b"  # type: ignore[index]  # the same record selected
    table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert [table.item(r, 0).text() for r in range(4)] == ["d", "c", "b", "a"]
    assert table.item(table.currentRow(), 0).text() == "b"  # type: ignore[union-attr]
    assert table.horizontalHeaderItem(1).text() == "Day" and table.item(9, 0) is None  # type: ignore[union-attr]


def test_the_missing_list_is_filled_again_only_when_its_cases_change(qtbot, demo_db) -> None:
    from app.domain.records import DosimetryRecord
    from ui.dosimetry import DosimetryPage

    page = DosimetryPage(demo_db, AsOf(AS_OF))
    qtbot.addWidget(page)
    settle(qtbot)  # the list fills in: its first read is made on the worker thread
    page.missing.selectRow(1)
    first = page.missing.item(0, 0)
    case_id = page.missing.item(1, 0).text()
    page.list.table.selectRow(0)

    def press_save(form) -> None:  # type: ignore[no-untyped-def]
        dose = form.widgets["total_dose_gy"]
        dose.setValue(dose.value() + 0.5)
        form.save()

    page.list.form_hook = press_save
    page.list.edit()  # a dose corrected: no case gained its submission
    assert page.missing.item(0, 0) is first and page.missing.currentRow() == 1  # not filled again, still selected
    before = page.missing.rowCount()
    person = page.list.records[0]["staff_id"]
    dosimetry.save_submission(demo_db, DosimetryRecord(case_id, AS_OF, person, "IMRT", 50.0, 25))
    QApplication.processEvents()  # the first save's own announcement has passed
    page.reload()  # this one's, as the change hub delivers it
    assert page.missing.rowCount() == before - 1
    assert case_id not in {page.missing.item(r, 0).text() for r in range(page.missing.rowCount())}


def test_the_dosimetry_screen_is_drawn_before_its_list_is_read(qtbot, demo_db, monkeypatch) -> None:
    """Issue 28: its 5,000 latest submissions are read on the worker thread, the list filling in
    when they are (the screen's first opening was a frozen 0.3-0.45 s at 200,000 cases); the note on
    what is listed follows the rows, and a read made meanwhile on this thread is not overwritten."""
    import threading

    from ui.dosimetry import DosimetryPage

    threads: list[str] = []
    whole = dosimetry.list_submissions
    monkeypatch.setattr(dosimetry, "list_submissions",
                        lambda *a, **k: (threads.append(threading.current_thread().name), whole(*a, **k))[1])
    page = DosimetryPage(demo_db, AsOf(AS_OF))
    qtbot.addWidget(page)
    assert page.list.records == []  # built, and drawn, without waiting for the rows
    with qtbot.waitSignal(page.list.filled, timeout=10000):
        pass
    settle(qtbot)
    assert len(page.list.records) == dosimetry_shown(demo_db) and threads[0] != threading.main_thread().name
    assert page.list.table.model().rowCount() == len(page.list.records)
    assert page.list.note.text() == page.capped_note(len(page.list.records))

    again = DosimetryPage(demo_db, AsOf(AS_OF))  # read again on this thread before the first read is in
    qtbot.addWidget(again)
    again.list.refresh()
    shown = list(again.list.records)
    settle(qtbot)
    assert again.list.records == shown and shown


def dosimetry_shown(db) -> int:  # type: ignore[no-untyped-def]
    from ui.dosimetry import SHOWN_SUBMISSIONS

    return min(SHOWN_SUBMISSIONS, len(dosimetry.list_submissions(db, limit=SHOWN_SUBMISSIONS)))
