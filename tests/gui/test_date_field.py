"""The one date field: typed in every accepted form, refused otherwise, empty is empty, the typed
year kept, Tab leaves it, a calendar popup, and the facility's date format."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit, QVBoxLayout, QWidget

from ui.date_field import DateField, use_date_format
from ui.record_form import Field, RecordForm

REF = dt.date(2026, 12, 1)


def typed(qtbot, field: DateField, text: str, finish: bool = True) -> None:  # type: ignore[no-untyped-def]
    field.edit.selectAll()
    qtbot.keyClicks(field.edit, text)
    if finish:
        qtbot.keyClick(field.edit, Qt.Key.Key_Return)


@pytest.fixture
def field(qtbot) -> DateField:  # type: ignore[no-untyped-def]
    f = DateField(reference=lambda: REF)
    qtbot.addWidget(f)
    return f


@pytest.mark.parametrize(("text", "meant"), [
    ("2024-01-15", dt.date(2024, 1, 15)),
    ("01/15/2024", dt.date(2024, 1, 15)),
    ("1/15/24", dt.date(2024, 1, 15)),
    ("t", REF),
    ("+7", dt.date(2026, 12, 8)),
    ("-7", dt.date(2026, 11, 24)),
])
def test_typed_in_every_accepted_form(qtbot, field: DateField, text: str, meant: dt.date) -> None:
    seen: list = []
    field.dateChanged.connect(seen.append)
    typed(qtbot, field, text)
    assert field.date() == meant and field.problem() is None
    assert seen[-1] == meant
    assert field.text() == meant.isoformat()  # shown in the facility's format once settled


@pytest.mark.parametrize("text", ["20240115", "2024-13-01", "13/01/2024", "abc", "1901-01-01x"])
def test_rejected_forms_are_no_date_and_say_why(qtbot, field: DateField, text: str) -> None:
    typed(qtbot, field, text)
    assert field.date() is None
    assert field.problem() and "2024-01-15" in field.problem()
    assert field.text() == text  # kept as typed, to be corrected


def test_empty_is_empty_and_up_inserts_no_sentinel(qtbot, field: DateField) -> None:
    assert field.date() is None and field.text() == ""
    qtbot.keyClick(field.edit, Qt.Key.Key_Up)
    qtbot.keyClick(field.edit, Qt.Key.Key_Down)
    assert field.date() is None and field.text() == ""
    typed(qtbot, field, "2024-01-15")
    qtbot.keyClick(field.edit, Qt.Key.Key_Up)
    assert field.date() == dt.date(2024, 1, 16)
    field.edit.selectAll()
    qtbot.keyClick(field.edit, Qt.Key.Key_Delete)
    assert field.date() is None and field.problem() is None


def test_a_full_date_typed_over_a_filled_one_keeps_the_typed_year(qtbot, field: DateField) -> None:
    field.set_date(dt.date(2026, 3, 4))
    typed(qtbot, field, "2024-01-15")
    assert field.date() == dt.date(2024, 1, 15)


def test_tab_and_shift_tab_leave_the_field(qtbot) -> None:  # type: ignore[no-untyped-def]
    host = QWidget()
    qtbot.addWidget(host)
    before, date, after = QLineEdit(), DateField(), QLineEdit()
    layout = QVBoxLayout(host)
    for w in (before, date, after):
        layout.addWidget(w)
    host.show()
    with qtbot.waitActive(host):
        host.activateWindow()
    date.setFocus()
    qtbot.keyClicks(date.edit, "2024-01-15")
    qtbot.keyClick(date.edit, Qt.Key.Key_Tab)
    assert after.hasFocus()
    assert date.date() == dt.date(2024, 1, 15)
    date.setFocus()
    qtbot.keyClick(date.edit, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert before.hasFocus()


def test_calendar_popup_picks_a_date(qtbot, field: DateField) -> None:
    committed: list = []
    field.committed.connect(committed.append)
    field.open_calendar()
    field._calendar.clicked.emit(QDate(2025, 2, 3))
    assert field.date() == dt.date(2025, 2, 3) and committed == [dt.date(2025, 2, 3)]


def test_shown_in_the_facility_us_format(qtbot) -> None:  # type: ignore[no-untyped-def]
    use_date_format("us")
    try:
        f = DateField(dt.date(2025, 6, 30))
        qtbot.addWidget(f)
        assert f.text() == "06/30/2025"
        typed(qtbot, f, "2024-01-15")
        assert f.text() == "01/15/2024"
    finally:
        use_date_format("iso")


def test_a_form_refuses_a_mistyped_date_and_saves_an_empty_one_as_none(qtbot) -> None:  # type: ignore[no-untyped-def]
    saved: list[dict] = []
    form = RecordForm("Role", [Field("start", "&From", "date"), Field("end", "&To", "date")],
                      lambda values, _v: saved.append(values),  # type: ignore[arg-type, func-returns-value]
                      validate=lambda v: {} if v["start"] else {"start": "required"})
    qtbot.addWidget(form)
    save = form.buttons.button(QDialogButtonBox.StandardButton.Save)
    assert "From: required" in form.problems.text() and not save.isEnabled()
    typed(qtbot, form.widgets["start"], "2024-01-15")  # type: ignore[arg-type]
    assert form.problems.text() == "" and save.isEnabled()
    typed(qtbot, form.widgets["end"], "2024-02-31")  # type: ignore[arg-type]
    assert "To: " in form.problems.text() and not save.isEnabled()
    typed(qtbot, form.widgets["end"], "")  # type: ignore[arg-type]
    form.widgets["end"].edit.clear()  # type: ignore[attr-defined]
    form.save()
    assert saved == [{"start": dt.date(2024, 1, 15), "end": None}]


def test_first_run_joined_on_keeps_the_typed_year(qtbot, tmp_path: Path) -> None:
    from ui.first_run import FirstRunDialog

    dialog = FirstRunDialog(tmp_path / "new.sqlite3")
    qtbot.addWidget(dialog)
    typed(qtbot, dialog.joined, "2024-01-15")
    assert dialog.joined.date() == dt.date(2024, 1, 15)
    assert dialog.baseline.value() == 2024


def test_no_qdateedit_left_in_the_window() -> None:
    ui = Path(__file__).resolve().parents[2] / "ui"
    users = [p.name for p in ui.rglob("*.py") if "QDateEdit(" in p.read_text(encoding="utf-8")]
    assert users == []


def test_lists_show_dates_in_the_facility_format(qtbot, db) -> None:  # type: ignore[no-untyped-def]
    from app.services import letters
    from ui.correspondence import CorrespondencePage

    letters.save_letter(db, dt.date(2025, 6, 30), "Site visit", False)
    use_date_format("us")
    try:
        page = CorrespondencePage(db)
        qtbot.addWidget(page)
        cells = {page.list.table.item(0, c).text() for c in range(page.list.table.columnCount())}
        assert "06/30/2025" in cells
    finally:
        use_date_format("iso")


def test_a_labels_alt_letter_puts_the_cursor_in_the_date(qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QFormLayout

    box = QWidget()
    form = QFormLayout(box)
    first = QLineEdit()
    date = DateField()
    form.addRow("Case &ID", first)
    form.addRow("&Eligible on", date)
    qtbot.addWidget(box)
    box.show()
    box.activateWindow()
    qtbot.waitExposed(box)
    first.setFocus()
    qtbot.waitUntil(first.hasFocus)
    qtbot.keyClick(box, Qt.Key.Key_E, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(date.edit.hasFocus, timeout=2000)


def test_every_screen_shows_dates_in_the_us_format_when_chosen(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    import re

    from sqlalchemy import select

    from app.domain.permissions import Permission
    from app.storage.models import Facility
    from tests.gui.conftest import open_window, settle
    from ui.date_field import DateItem

    def facility_format(style: str) -> None:
        with demo_db.transaction(Permission.FACILITY) as session:
            session.scalars(select(Facility)).one().date_format = style

    facility_format("us")
    try:
        window = open_window(qtbot, demo_db)
        for area in ("Enrollment", "Meetings", "Dosimetry", "Staff & roles", "QIP tracker"):
            window.show_area(area)
            settle(qtbot)
        register = window.page("Enrollment")
        column = next(c for c in range(register.model.columnCount()) if register.model.headerData(
            c, Qt.Orientation.Horizontal) == "Eligible on")
        assert re.fullmatch(r"\d\d/\d\d/\d{4}", register.model.data(register.model.index(0, column)))
        missing = window.page("Dosimetry").missing
        assert missing.rowCount() > 1
        dates = [missing.item(r, 2).date for r in range(missing.rowCount())]
        assert all(isinstance(missing.item(r, 2), DateItem) for r in range(missing.rowCount()))
        missing.sortItems(2, Qt.SortOrder.AscendingOrder)
        assert [missing.item(r, 2).date for r in range(missing.rowCount())] == sorted(dates)  # by date, not text
        assert re.fullmatch(r"\d\d/\d\d/\d{4}", missing.item(0, 2).text())
    finally:
        facility_format("iso")
        use_date_format("iso")


def test_the_dashboard_and_programs_write_dates_as_the_facility_chose(qtbot, demo_db) -> None:  # type: ignore[no-untyped-def]
    """The next meeting, what is due and the program dates came from the services as ISO text."""
    import re

    from sqlalchemy import select

    from app.domain.permissions import Permission
    from app.storage.models import Facility
    from tests.gui.conftest import open_window, settle

    iso, us = re.compile(r"\b\d{4}-\d\d-\d\d\b"), re.compile(r"\b\d\d/\d\d/\d{4}\b")

    def facility_format(style: str) -> None:
        with demo_db.transaction(Permission.FACILITY) as session:
            session.scalars(select(Facility)).one().date_format = style

    from app.services.letters import delete_letter, list_letters, save_letter
    from app.services.meetings import delete_meeting, save_meeting
    from tests.gui.conftest import AS_OF

    save_meeting(demo_db, "M-NEXT", AS_OF + dt.timedelta(days=20), "in_person", "Consortium meeting")
    save_letter(demo_db, AS_OF - dt.timedelta(days=40), "Data request (late)", True)  # overdue: on the due list
    facility_format("us")
    try:
        window = open_window(qtbot, demo_db)
        dashboard = window.page("Dashboard")
        settle(qtbot)
        meeting = dashboard.next_meeting.text()
        due = [dashboard.due.item(r).text() for r in range(dashboard.due.count())]
        assert us.match(meeting) and not iso.search(meeting), meeting
        assert any(us.search(d) for d in due) and not any(iso.search(d) for d in due), due
        window.show_area("Programs")
        settle(qtbot)
        programs = window.page("Programs").text.toPlainText()
        assert us.search(programs) and not iso.search(programs), programs[:400]
    finally:
        facility_format("iso")
        use_date_format("iso")
        delete_meeting(demo_db, "M-NEXT")
        late = next(row for row in list_letters(demo_db) if row.subject == "Data request (late)")
        delete_letter(demo_db, late.id)
