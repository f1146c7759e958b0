"""A new user sets up staff, roles, leave, a letter, dosimetry and settings entirely in the GUI."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox
from sqlalchemy import select

from app.domain.records import CaseRecord, StaffRecord
from app.services import dosimetry, letters, staff
from app.services.cases import save_case
from app.services.facility import get_facility
from app.storage.models import AuditEntry
from ui.correspondence import CorrespondencePage
from ui.dosimetry import DosimetryPage
from ui.record_form import RecordForm
from ui.settings import SettingsPage
from ui.staff import StaffPage


def fill(form: RecordForm, **values) -> None:
    for key, value in values.items():
        w = form.widgets[key]
        if isinstance(value, dt.date):
            w.setDate(QDate(value.year, value.month, value.day))
        elif isinstance(value, bool):
            w.setChecked(value)
        elif hasattr(w, "findData") and w.findData(value) >= 0:
            w.setCurrentIndex(w.findData(value))
        elif hasattr(w, "setValue"):
            w.setValue(value)
        else:
            w.setText(value)


def submit(page, **values) -> RecordForm:
    """Open the page's Add form, type the values, press Save; returns the form."""
    captured = {}

    def hook(form: RecordForm) -> None:
        fill(form, **values)
        form.save()
        captured["form"] = form

    page.form_hook = hook
    page.add_button.click()
    return captured["form"]


def test_people_roles_and_leave(qtbot, db, monkeypatch) -> None:
    page = StaffPage(db)
    qtbot.addWidget(page)
    form = submit(page.people, staff_id="S1", name="Dr. Ada Synthetic", profession="radiation_oncologist",
                  works_on_mroqc=True, treats_mroqc_patients=True)
    assert form.change is not None and page.people.table.rowCount() == 1
    bad = submit(page.people, staff_id="S2", name="Nurse Nell", profession="nurse", physician_title="cmo")
    assert bad.change is None and "only a physician" in bad.problems.text()
    assert not bad.buttons.button(QDialogButtonBox.StandardButton.Save).isEnabled()
    assert "Clinical champion: nobody" in page.warnings.text()
    submit(page.roles, staff_id="S1", role="clinical_champion", start=dt.date(2024, 1, 1))
    assert "Clinical champion: nobody" not in page.warnings.text()
    reversed_dates = submit(page.roles, staff_id="S1", role="cda", start=dt.date(2025, 1, 1), end=dt.date(2024, 1, 1))
    assert "the end is before the start" in reversed_dates.problems.text()
    submit(page.leave, staff_id=None, kind="enrollment_pause", start=dt.date(2025, 8, 1), end=dt.date(2025, 8, 15),
           approved=True, project="lung")
    assert letters.list_absences(db)[0].project == "lung"
    page.people.table.selectRow(0)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warnings.append(a[2]))
    page.people.delete_button.click()  # holds a role: refused, so nothing is lost
    assert "role assignments" in warnings[0]
    assert [p.staff_id for p in staff.list_staff(db)] == ["S1"]
    with db.reader() as s:
        tables = set(s.scalars(select(AuditEntry.table_name)))
    assert {"staff", "role_assignments", "absences"} <= tables


def test_letter_due_in_14_days_by_default(qtbot, db) -> None:
    page = CorrespondencePage(db)
    qtbot.addWidget(page)
    submit(page.list, received_on=dt.date(2025, 3, 1), subject="Data request", reply_required=True)
    assert page.list.records[0]["due"] == dt.date(2025, 3, 15)
    assert page.list.records[0]["state"] == "overdue"


def test_dosimetry_logged_with_plausibility_checks(qtbot, db) -> None:
    staff.save_staff(db, StaffRecord(staff_id="PH", name="Phys Ed", profession="physicist", works_on_mroqc=True))
    save_case(db, CaseRecord(case_id="C1", project="breast", eligible_on=dt.date(2025, 1, 2), status="enrolled",
                             enrolled_on=dt.date(2025, 1, 5)))
    page = DosimetryPage(db)
    qtbot.addWidget(page)
    assert "without a submission: 1" in page.missing_label.text()
    bad = submit(page.list, case_id="C1", submitted_on=dt.date(2025, 2, 1), staff_id="PH", technique="IMRT",
                 total_dose_gy=60.0, fractions=1, metrics="mean_heart_dose_gy=1.1")
    assert bad.change is None and "implausible" in bad.problems.text()
    good = submit(page.list, case_id="C1", submitted_on=dt.date(2025, 2, 1), staff_id="PH", technique="IMRT",
                  total_dose_gy=40.05, fractions=15, metrics="mean_heart_dose_gy=1.1")
    assert good.change is not None
    assert "without a submission: 0" in page.missing_label.text()
    assert dosimetry.list_submissions(db)[0].metrics == {"mean_heart_dose_gy": 1.1}


def test_settings_save_and_refuse_bad_input(qtbot, db, monkeypatch) -> None:
    page = SettingsPage(db)
    qtbot.addWidget(page)
    messages = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: messages.append(a[2]))
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
    page.period_start.setText("13-40")
    assert page.save() is False and "month-day" in messages[0]
    assert page.period_start.text() == "13-40"  # the input is kept
    page.period_start.setText("07-01")
    page.policy_year.setCurrentIndex(page.policy_year.findData(2025))
    assert page.save() is True
    facility = get_facility(db)
    assert facility.enrollment_period_start == "07-01" and facility.policy_year == 2025


def test_meeting_with_a_substitute_and_the_verdict_as_it_is_chosen(qtbot, db) -> None:
    from ui.as_of import AsOf
    from ui.meetings import MeetingsPage
    from ui.workers import pool

    for sid, name, profession in (("CC", "Dr. Champ", "radiation_oncologist"), ("RES", "Dr. Resident", "resident")):
        staff.save_staff(db, StaffRecord(staff_id=sid, name=name, profession=profession))
    staff.save_role(db, "CC", "clinical_champion", dt.date(2020, 1, 1), None)
    page = MeetingsPage(db, AsOf(dt.date(2025, 12, 31)))
    qtbot.addWidget(page)
    submit(page.meeting_list, meeting_id="M-2025-03", date=dt.date(2025, 3, 5), format="in_person", title="Spring")
    page.meeting_list.table.selectRow(0)
    captured = {}

    def hook(form: RecordForm) -> None:
        fill(form, role="clinical_champion", staff_id="RES")
        captured["advice"] = form.advice.text()
        fill(form, staff_id="CC")
        captured["holder"] = form.advice.text()
        fill(form, staff_id="RES")
        form.save()

    page.attendance.form_hook = hook
    page.attendance.add_button.click()
    assert "Not an acceptable substitute" in captured["advice"] and "resident" in captured["advice"]
    assert "Holder" in captured["holder"]
    pool().waitForDone(10000)
    qtbot.waitUntil(lambda: page.table.rowCount() == 3, timeout=5000)
    texts = [page.table.item(r, 5).text() for r in range(3)]
    assert any(t.startswith("VIOLATION") for t in texts)


def test_settings_names_the_policy_in_force_and_installs_a_newer_file(qtbot, db, tmp_path, monkeypatch) -> None:
    """Settings → Program: the policy in force at the window's as-of date, the files known, and an
    administrator's install taking effect from the file's own date (a bad file refused with its line)."""
    import datetime as dt

    from app.paths import resource
    from ui.as_of import AsOf
    from ui.settings import SettingsPage

    as_of = AsOf(dt.date(2026, 12, 7))
    page = SettingsPage(db, as_of)
    qtbot.addWidget(page)
    assert ("On 2026-12-07 (the as-of date): MROQC QIP policy in force since 2025-01-01 (no newer one installed)"
            in page.in_force.text().replace("<b>", "").replace("</b>", ""))
    assert page.policy_year.itemText(0) == "Automatic (the policy in force on each date)"
    text = resource("policy", "2025.toml").read_text(encoding="utf-8")
    newer = text.replace("year = 2025", "year = 2027").replace("effective_from = 2025-01-01", "effective_from = 2027-01-01")
    bad, good = tmp_path / "bad.toml", tmp_path / "mroqc-2027.toml"
    bad.write_text(newer.replace("lag_days = 30", "lag_days = -2"), encoding="utf-8")
    good.write_text(newer, encoding="utf-8")
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: said.append(a[2]))
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: said.append(a[2]))
    assert not page.install_policy_file(str(bad))
    assert said[-1].startswith("bad.toml: line ") and "'data_entry.lag_days'" in said[-1]
    assert page.install_policy_file(str(good))
    assert "in force from 2027-01-01" in said[-1]
    assert "a newer one takes effect on 2027-01-01" in page.in_force.text()
    assert "installed by test-admin" in page.policy_list.text()
    as_of.set(dt.date(2027, 1, 1))
    assert "MROQC QIP policy in force since 2027-01-01" in page.in_force.text()
