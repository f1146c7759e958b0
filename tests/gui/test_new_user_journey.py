"""From an empty database to a facility with staff, roles, a meeting with a substitute, an enrolled
case and its dosimetry — entirely through the screens, as a new user would."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QDate

from app.services.findings import run_check
from app.storage.database import open_database, sqlite_url
from tests.gui.test_coordinator_screens import fill, submit
from ui.case_form import CaseForm
from ui.first_run import FirstRunDialog
from ui.main_window import MainWindow
from ui.workers import pool


def test_new_user_sets_up_everything_in_the_gui(qtbot, tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "facility.sqlite3"
    first_run = FirstRunDialog(target)
    qtbot.addWidget(first_run)
    qtbot.keyClicks(first_run.name, "Harbor Radiation Oncology")
    first_run.oncologists.setValue(2)
    first_run.joined.setDate(QDate(2024, 1, 1))
    first_run.create_button.click()
    db = open_database(first_run.chosen_url)
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()

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

    window.show_area("Meetings")
    meetings = window.page("Meetings")
    submit(meetings.meeting_list, meeting_id="M-2025-03", date=dt.date(2025, 3, 5), format="in_person", title="Spring")
    meetings.meeting_list.table.selectRow(0)
    advice = {}

    def attend(role: str, staff_id: str):
        def hook(form):
            fill(form, role=role, staff_id=staff_id)
            advice[staff_id] = form.advice.text()
            form.save()
        meetings.attendance.form_hook = hook
        meetings.attendance.add_button.click()

    attend("clinical_champion", "RO2")  # a substitute for the champion
    attend("physics_lead", "PH1")
    attend("cda", "CD1")
    assert advice["RO2"].startswith("✓ Acceptable substitute")

    window.show_area("Enrollment")
    register = window.enrollment_page

    def new_case(record=None):
        form = CaseForm(db, record, register)
        qtbot.keyClicks(form.case_id, "H-0001")
        form.project.setCurrentIndex(form.project.findData("breast"))
        form.eligible_on.setDate(QDate(2025, 2, 3))
        form.status.setCurrentIndex(form.status.findData("enrolled"))
        form.enrolled_on.setDate(QDate(2025, 2, 10))
        form.exec = lambda: (form.save(), form.result())[1]
        return form

    monkeypatch.setattr(register, "open_form", new_case)
    register.new_button.click()
    assert register.model.rowCount() == 1

    window.show_area("Dosimetry")
    dosimetry_page = window.page("Dosimetry")
    form = submit(dosimetry_page.list, case_id="H-0001", submitted_on=dt.date(2025, 3, 1), staff_id="PH1",
                  technique="IMRT", total_dose_gy=40.05, fractions=15, metrics="mean_heart_dose_gy=0.9")
    assert form.change is not None
    assert "without a submission: 0" in dosimetry_page.missing_label.text()

    pool().waitForDone(10000)
    result = run_check(db, dt.date(2025, 3, 31))
    rules = {f.rule for f in result.findings}
    assert not any(r.startswith("ATT-") for r in rules)  # the substitute was acceptable, every role covered
    assert "QIP-ROLE-VACANT" not in rules
    assert sqlite_url(target) == first_run.chosen_url
