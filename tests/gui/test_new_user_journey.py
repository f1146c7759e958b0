"""From an empty database to a facility with staff, roles, a meeting with a substitute, an enrolled
case and its dosimetry — entirely through the screens, as a new user would."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from sqlalchemy import select

from app.services import dosimetry, staff
from app.services.cases import get_case
from app.services.facility import get_facility
from app.services.findings import run_check
from app.services.meetings import list_attendance
from app.storage.database import sqlite_url
from app.storage.models import AuditEntry
from tests.gui.conftest import type_administrator
from tests.gui.test_coordinator_screens import fill, submit
from ui.case_form import CaseForm
from ui.first_run import FirstRunDialog
from ui.main_window import MainWindow
from ui.workers import pool


def test_new_user_sets_up_everything_in_the_gui(qtbot, tmp_path: Path, monkeypatch, recovery_keys) -> None:
    target = tmp_path / "facility.sqlite3"
    first_run = FirstRunDialog(target)
    qtbot.addWidget(first_run)
    qtbot.keyClicks(first_run.name, "Harbor Radiation Oncology")
    first_run.oncologists.setValue(2)
    first_run.joined.setDate(QDate(2024, 1, 1))
    type_administrator(qtbot, first_run)
    first_run.create_button.click()
    db = first_run.db
    facility = get_facility(db)
    assert facility is not None and facility.name == "Harbor Radiation Oncology"
    assert facility.radiation_oncologists == 2 and facility.joined_on == dt.date(2024, 1, 1)
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    window.show_area("Audit log")  # looked at first, so coming back later must show the later edits
    assert window.page("Audit log").table.rowCount() >= 1  # the facility's creation

    window.show_area("Staff & roles")
    staff_page = window.page("Staff & roles")
    for staff_id, name, profession in (("RO1", "Dr. Ada Synthetic", "radiation_oncologist"),
                                       ("RO2", "Dr. Ben Synthetic", "radiation_oncologist"),
                                       ("PH1", "Cy Physicist", "physicist"), ("CD1", "Dee Abstractor", "cda")):
        submit(staff_page.people, staff_id=staff_id, name=name, profession=profession, works_on_mroqc=True,
               treats_mroqc_patients=profession == "radiation_oncologist")
    for staff_id, role in (("RO1", "clinical_champion"), ("PH1", "physics_lead"), ("CD1", "cda")):
        submit(staff_page.roles, staff_id=staff_id, role=role, start=dt.date(2024, 1, 1))
    assert "Every required role is held" in staff_page.warnings.text()
    assert "Dee Abstractor" in staff_page.timeline.text()  # the timeline follows the edits
    assert {p.staff_id for p in staff.list_staff(db)} == {"RO1", "RO2", "PH1", "CD1"}
    assert {(r.staff_id, r.role, r.start, r.end) for r in staff.list_roles(db)} == {
        ("RO1", "clinical_champion", dt.date(2024, 1, 1), None), ("PH1", "physics_lead", dt.date(2024, 1, 1), None),
        ("CD1", "cda", dt.date(2024, 1, 1), None)}

    window.show_area("Meetings")
    meetings = window.page("Meetings")
    submit(meetings.meeting_list, meeting_id="M-2025-03", date=dt.date(2025, 3, 5), format="in_person", title="Spring")
    meetings.meeting_list.table.selectRow(0)
    advice, titles = {}, []

    def attend(role: str, staff_id: str):
        def hook(form):
            fill(form, role=role, staff_id=staff_id)
            advice[staff_id] = form.advice.text()  # the verdict, shown as the substitute is chosen
            titles.append(form.windowTitle())
            form.save()
        meetings.attendance.form_hook = hook
        meetings.attendance.add_button.click()

    attend("clinical_champion", "RO2")  # a substitute for the champion
    attend("physics_lead", "PH1")
    attend("cda", "CD1")
    assert advice["RO2"].startswith("✓ Acceptable substitute")
    assert all("M-2025-03" in t for t in titles)  # the dialog says which meeting it records
    assert {(a.role, a.staff_id) for a in list_attendance(db, "M-2025-03")} == {
        ("clinical_champion", "RO2"), ("physics_lead", "PH1"), ("cda", "CD1")}
    pool().waitForDone(10000)
    qtbot.waitUntil(lambda: meetings_page_rows(meetings) >= 3)
    coverage = {meetings.table.item(r, 2).text(): (meetings.table.item(r, 4).text(), meetings.table.item(r, 5).text())
                for r in range(meetings.table.rowCount())}
    assert coverage["Clinical champion"][0] == "substitute"
    assert not any(verdict.startswith("VIOLATION") for _, verdict in coverage.values())

    window.show_area("Enrollment")
    register = window.enrollment_page

    def new_case(record=None):
        form = CaseForm(db, record, register)
        qtbot.addWidget(form)
        qtbot.keyClicks(form.case_id, "H-0001")
        form.project.setCurrentIndex(form.project.findData("breast"))
        form.eligible_on.setDate(QDate(2025, 2, 3))
        form.status.setCurrentIndex(form.status.findData("enrolled"))
        form.enrolled_on.setDate(QDate(2025, 2, 10))

        def press_enter() -> int:  # what exec() would wait for: the user presses Enter to save
            form.show()
            qtbot.keyClick(form.case_id, Qt.Key.Key_Return)
            return form.result()

        form.exec = press_enter
        return form

    monkeypatch.setattr(register, "open_form", new_case)
    register.new_button.click()
    assert register.model.rowCount() == 1
    case = get_case(db, "H-0001")
    assert (case.project, case.status, case.eligible_on, case.enrolled_on) == (
        "breast", "enrolled", dt.date(2025, 2, 3), dt.date(2025, 2, 10))

    window.show_area("Dosimetry")
    dosimetry_page = window.page("Dosimetry")
    form = submit(dosimetry_page.list, case_id="H-0001", submitted_on=dt.date(2025, 3, 1), staff_id="PH1",
                  technique="IMRT", total_dose_gy=40.05, fractions=15, metrics="mean_heart_dose_gy=0.9")
    assert form.change is not None
    assert "without a submission: 0" in dosimetry_page.missing_label.text()
    [logged] = dosimetry.list_submissions(db)
    assert (logged.case_id, logged.staff_id, logged.technique, logged.total_dose_gy, logged.fractions, logged.metrics) == (
        "H-0001", "PH1", "IMRT", 40.05, 15, {"mean_heart_dose_gy": 0.9})

    # every edit above is in the audit log, and the Audit log screen shows them
    with db.reader() as session:
        audited = {(e.action, e.table_name, e.record_key) for e in session.scalars(select(AuditEntry))}
    tables = {table for action, table, _ in audited if action == "insert"}
    assert {"facility", "staff", "role_assignments", "meetings", "attendance", "cases", "dosimetry_submissions"} <= tables
    assert ("insert", "cases", "H-0001") in audited
    assert {key for action, table, key in audited if table == "staff"} == {"RO1", "RO2", "PH1", "CD1"}
    window.show_area("Audit log")
    log = window.page("Audit log")
    log.record.setText("H-0001")  # the case ID finds the case and its submission (keyed by a row number)
    assert {log.table.item(r, 3).text() for r in range(log.table.rowCount())} == {"case", "dosimetry submission"}
    log.record.clear()
    log.table_filter.setCurrentIndex(log.table_filter.findData("dosimetry_submissions"))
    assert log.table.rowCount() == 1 and "H-0001" in log.table.item(0, 5).text()  # before → after names the case
    assert log.table.item(0, 4).text() == "case H-0001: dosimetry submitted 2025-03-01"  # and so does the record

    pool().waitForDone(10000)
    result = run_check(db, dt.date(2025, 3, 31))
    rules = {f.rule for f in result.findings}
    assert not any(r.startswith("ATT-") for r in rules)  # the substitute was acceptable, every role covered
    assert "QIP-ROLE-VACANT" not in rules
    assert sqlite_url(target) == first_run.chosen_url


def meetings_page_rows(page) -> int:
    """Rows of the coverage table, filled by a background job."""
    return page.table.rowCount()
