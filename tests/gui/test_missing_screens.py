"""The screens that were missing: data-entry sessions and program years (Programs), a letter's
sender and reference, generated IDs offered for staff, meetings and letters, and the case form
saying plainly what is not MROQC-eligible or not accepted."""

from __future__ import annotations

import datetime as dt

from app.domain.records import CaseRecord, StaffRecord
from app.services import data_entry, letters, meetings, staff
from app.services.cases import save_case
from tests.gui.test_coordinator_screens import fill, submit
from ui.as_of import AsOf

AS_OF = dt.date(2025, 6, 30)


def test_data_entry_sessions_are_logged_from_the_window(qtbot, db) -> None:
    from ui.programs import ProgramsPage

    staff.save_staff(db, StaffRecord(staff_id="CDA1", name="Casey Abstractor", profession="cda"))
    save_case(db, CaseRecord(case_id="C-1", project="lung", status="pending", eligible_on=dt.date(2025, 1, 5)))
    page = ProgramsPage(db, AsOf(AS_OF))
    qtbot.addWidget(page)
    form = submit(page.sessions, date=dt.date(2025, 6, 2), kind="pro", case_id="C-1", staff_id="CDA1")
    assert form.change is not None
    [row] = data_entry.list_data_entries(db)
    assert (row.date, row.kind, row.case_id, row.staff_name) == (dt.date(2025, 6, 2), "pro", "C-1", "Casey Abstractor")
    assert page.sessions.table.item(0, 1).text() == "PRO"
    bad = submit(page.sessions, date=dt.date(2025, 6, 3), kind="abstraction", case_id="NOPE")
    assert bad.change is None and "there is no case NOPE" in bad.problems.text()
    page.sessions.undo_last()
    assert data_entry.list_data_entries(db) == []


def test_program_year_targets_met_makes_a_year_count(qtbot, db) -> None:
    from ui.programs import ProgramsPage

    page = ProgramsPage(db, AsOf(AS_OF))
    qtbot.addWidget(page)
    submit(page.years, year=2024, performance_targets_met=True)
    assert [(r.year, r.performance_targets_met) for r in data_entry.list_program_years(db)] == [(2024, True)]
    assert page.years.table.item(0, 1).text() == "yes"
    again = submit(page.years, year=2024, performance_targets_met=False)
    assert again.change is None and "already listed" in again.problems.text()


def test_generated_ids_are_offered_and_editable(qtbot, db) -> None:
    from ui.correspondence import CorrespondencePage
    from ui.meetings import MeetingsPage
    from ui.staff import StaffPage

    people = StaffPage(db)
    qtbot.addWidget(people)
    offered = {}

    def look(form) -> None:  # type: ignore[no-untyped-def]
        offered["staff"] = form.widgets["staff_id"].text()
        fill(form, name="Ada", profession="nurse")
        form.save()

    people.people.form_hook = look
    people.people.add_button.click()
    assert offered["staff"] == "S-001" and staff.list_staff(db)[0].staff_id == "S-001"
    assert staff.next_staff_id(db) == "S-002"
    submit(people.people, staff_id="MY-OWN", name="Bea", profession="nurse")  # typed over: kept
    assert {p.staff_id for p in staff.list_staff(db)} == {"S-001", "MY-OWN"}

    page = MeetingsPage(db, AsOf(AS_OF))
    qtbot.addWidget(page)

    def meeting(form) -> None:  # type: ignore[no-untyped-def]
        offered["meeting"] = form.widgets["meeting_id"].text()
        offered["meeting date"] = form.widgets["date"].date()
        fill(form, format="in_person")
        form.save()

    page.meeting_list.form_hook = meeting
    page.meeting_list.add_button.click()
    # issue 25: the ID is the meeting's own date ("M-2025-06-01" read as another day), -b for a second
    assert offered["meeting"] == f"M-{AS_OF.isoformat()}" and offered["meeting date"] == AS_OF
    assert meetings.next_meeting_id(db, AS_OF) == f"M-{AS_OF.isoformat()}-b"

    today = dt.date(2025, 7, 14)  # the screen looks at June 30; a letter arrives today
    mail = CorrespondencePage(db, AsOf(AS_OF, clock=lambda: dt.datetime.combine(today, dt.time(9))))
    qtbot.addWidget(mail)
    form = submit(mail.list, subject="Site visit", sender="MROQC coordinating center")
    assert form.change is not None
    [letter] = letters.list_letters(db)
    assert (letter.letter_id, letter.sender, letter.received_on) == ("L-2025-001", "MROQC coordinating center", today)
    columns = [mail.list.table.horizontalHeaderItem(c).text() for c in range(mail.list.table.columnCount())]
    assert "From" in columns and "Reference" in columns


def test_an_ineligible_bone_metastases_primary_is_offered_and_explained(qtbot, db) -> None:
    from ui.case_form import CaseForm

    form = CaseForm(db)
    qtbot.addWidget(form)
    form.case_id.setText("BM-1")
    form.project.setCurrentIndex(form.project.findData("bone_mets"))
    index = form.primary_site.findData("colorectal")
    assert index > 0 and "not MROQC-eligible" in form.primary_site.itemText(index)
    form.primary_site.setCurrentIndex(index)
    assert "colorectal primary is not MROQC-eligible" in form.advice.text()
    assert "not MROQC-eligible" in form.problems.text()
    form.primary_site.setCurrentIndex(form.primary_site.findData("melanoma"))
    assert form.advice.text() == ""


def test_measure_criteria_is_explained_as_what_the_selective_trigger_catches(qtbot, db) -> None:
    from ui.case_form import CaseForm

    form = CaseForm(db)
    qtbot.addWidget(form)
    form.status.setCurrentIndex(form.status.findData("not_enrolled"))
    form.reason.setCurrentIndex(form.reason.findData("measure_criteria"))
    assert "QIP-ENR-SELECTIVE" in form.advice.text() and "not a reason MROQC accepts" in form.advice.text()
    assert form.reason.currentText() == "Did not meet the measure criteria"


def test_the_mvc_questionnaire_due_date_says_when_it_is_past(qtbot, db) -> None:
    from ui.programs import ProgramsPage

    page = ProgramsPage(db, AsOf(dt.date(2026, 12, 1)))
    qtbot.addWidget(page)
    assert "past" in page._past("2026-11-01") and "30 days" in page._past("2026-11-01")
    assert page._past("2026-12-15") == "" and page._past(None) == ""


def test_programs_label_every_figure_with_its_year(qtbot, db) -> None:
    """Issue 26: the FTE year, the VBR year and a program year still running are named as such."""
    from ui.programs import ProgramsPage
    from ui.workers import pool

    page = ProgramsPage(db, AsOf(dt.date(2026, 12, 7)))
    qtbot.addWidget(page)
    submit(page.years, year=2026, performance_targets_met=True)
    assert page.years.table.item(0, 2).text() == "in progress"          # not settled, whatever is entered
    pool().waitForDone(30000)
    qtbot.waitUntil(lambda: "FTE funding estimate" in page.text.toPlainText(), timeout=10000)
    text = page.text.toPlainText()
    assert "FTE funding estimate 2025 (complete)" in text
    assert "VBR year 2026-03-01 to 2027-02-28 (in progress); targets of program year 2026 (in progress)" in text
    assert "Uplift 103–110% of the standard fee schedule — MROQC Resources Hub" in text
    assert "Program Years 2026–2027: 10 points: episode spending 3, value metric 4, engagement 2, health equity 1" in text
    assert "Not scored:" in text


def test_a_program_year_still_running_has_no_verdict_yet(qtbot, tmp_path) -> None:
    """Issue 26: a program year still running shows "in progress", not "targets met"."""
    import datetime as dt

    from app.services import data_entry
    from tests.gui.conftest import settle
    from tests.support import create
    from ui.as_of import AsOf
    from ui.programs import ProgramsPage

    db = create(tmp_path / "facility.sqlite3")
    from app.services.facility import FacilityDetails, save_facility

    save_facility(db, FacilityDetails(name="Lakeside"), today=dt.date(2026, 12, 7))
    data_entry.save_program_year(db, 2025, True)
    data_entry.save_program_year(db, 2026, True)  # entered early, while 2026 runs
    page = ProgramsPage(db, AsOf(dt.date(2026, 12, 7)))
    qtbot.addWidget(page)
    settle(qtbot)
    shown = {page.years.table.item(r, 0).text(): page.years.table.item(r, 1).text()
             for r in range(page.years.table.rowCount())}
    assert shown["2025"] == "yes" and shown["2026"] == "in progress: no verdict yet"
    db.dispose()


def test_a_new_meetings_id_follows_the_date_typed(qtbot, db) -> None:
    """Issue 25: "M-2026-12-01" was offered for a meeting held 2026-10-15 (the ID came from the
    as-of date). The offered ID follows the date until the person types an ID of their own."""
    from ui.as_of import AsOf
    from ui.meetings import MeetingsPage

    held = dt.date(2025, 10, 15)
    page = MeetingsPage(db, AsOf(dt.date(2025, 12, 1)))
    qtbot.addWidget(page)
    saved: list[str] = []

    def on(day: dt.date, own_id: str | None = None):  # type: ignore[no-untyped-def]
        def fill_in(form) -> None:  # type: ignore[no-untyped-def]
            form.widgets["date"].set_text(day.isoformat())
            if own_id:
                form.widgets["meeting_id"].setText(own_id)
                form.widgets["date"].set_text((day + dt.timedelta(days=1)).isoformat())  # typed over: kept
            saved.append(form.widgets["meeting_id"].text())
            fill(form, format="in_person")
            form.save()
        return fill_in

    for hook in (on(held), on(held), on(held, "MY-MEETING")):
        page.meeting_list.form_hook = hook
        page.meeting_list.add_button.click()
    assert saved == ["M-2025-10-15", "M-2025-10-15-b", "MY-MEETING"]
    assert {m.meeting_id for m in meetings.list_meetings(db)} == set(saved)
