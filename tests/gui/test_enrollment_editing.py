"""Entering and correcting cases in the register as a CDA would: type, save, undo, bulk status."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox
from sqlalchemy import select

from app.services.cases import get_case
from app.storage.models import AuditEntry
from ui.case_form import CaseForm
from ui.enrollment import EnrollmentPage


@pytest.fixture
def page(qtbot, db) -> EnrollmentPage:
    p = EnrollmentPage(db)
    qtbot.addWidget(p)
    p.show()
    return p


def fill_new_case(qtbot, form: CaseForm, case_id: str) -> None:
    qtbot.keyClicks(form.case_id, case_id)
    form.project.setCurrentIndex(form.project.findData("lung"))
    form.eligible_on.setDate(QDate(2025, 3, 3))


def test_new_case_typed_and_saved_is_in_the_register_and_audited(qtbot, page: EnrollmentPage, db, monkeypatch) -> None:
    def run_form(record=None):
        form = CaseForm(db, record, page)
        fill_new_case(qtbot, form, "GUI-001")
        form.status.setCurrentIndex(form.status.findData("enrolled"))
        form.enrolled_on.setDate(QDate(2025, 3, 10))
        form.exec = lambda: (form.save(), form.result())[1]  # drive the dialog without a modal loop
        return form

    monkeypatch.setattr(page, "open_form", run_form)
    page.new_button.click()
    assert page.model.rowCount() == 1 and page.count_label.text() == "1 case"
    assert get_case(db, "GUI-001").enrolled_on == dt.date(2025, 3, 10)
    with db.reader() as s:
        assert s.scalars(select(AuditEntry).where(AuditEntry.record_key == "GUI-001")).first().action == "insert"
    assert page.undo_button.isEnabled()
    page.undo_button.click()
    assert page.model.rowCount() == 0


def test_invalid_input_disables_save_says_why_and_keeps_the_input(qtbot, db) -> None:
    form = CaseForm(db)
    qtbot.addWidget(form)
    fill_new_case(qtbot, form, "GUI-002")
    form.status.setCurrentIndex(form.status.findData("enrolled"))
    save = form.buttons.button(QDialogButtonBox.StandardButton.Save)
    assert not save.isEnabled() and "needs its enrollment date" in form.problems.text()
    form.enrolled_on.setDate(QDate(2025, 3, 1))  # before eligible
    assert "before the eligible date" in form.problems.text()
    form.project.setCurrentIndex(form.project.findData("bone_mets"))
    assert "primary site" in form.problems.text().lower()
    form.save()
    assert form.change is None and form.case_id.text() == "GUI-002"
    form.enrolled_on.setDate(QDate(2025, 3, 9))
    form.primary_site.setCurrentIndex(form.primary_site.findData("melanoma"))
    assert save.isEnabled()


def test_phi_fields_are_hidden_until_asked_for(qtbot, db) -> None:
    form = CaseForm(db)
    qtbot.addWidget(form)
    form.show()
    phi = (form.mrn, form.name, form.birth_date)
    assert not any(w.isVisible() for w in phi)
    form.show_phi.setChecked(True)
    assert all(w.isVisible() for w in phi)
    label = form.form.labelForField(form.mrn)
    assert label.isVisible() and label.text() == "&MRN"  # aligned in the same form, with a mnemonic
    form.show_phi.setChecked(False)
    assert not any(w.isVisible() for w in phi)


def test_edit_then_bulk_status_then_undo(qtbot, page: EnrollmentPage, db, monkeypatch) -> None:
    from app.domain.records import CaseRecord
    from app.services.cases import save_case

    for i in range(3):
        save_case(db, CaseRecord(case_id=f"B-{i}", project="breast", eligible_on=dt.date(2025, 1, 2 + i)))
    page.model.refresh()
    page.table.selectAll()
    from ui import bulk_status

    real = bulk_status.BulkStatusDialog

    def run_dialog(db_, ids, parent, versions=None):
        assert versions and set(versions) == set(ids)  # the register passes what it showed
        dialog = real(db_, ids, parent, versions=versions)
        dialog.status.setCurrentIndex(dialog.status.findData("not_enrolled"))
        dialog.reason.setCurrentIndex(dialog.reason.findData("declined"))
        dialog.exec = lambda: (dialog.apply(), dialog.result())[1]
        return dialog

    monkeypatch.setattr(bulk_status, "BulkStatusDialog", run_dialog)
    page.bulk_status()
    assert {get_case(db, f"B-{i}").status for i in range(3)} == {"not_enrolled"}
    page.undo_last()
    assert {get_case(db, f"B-{i}").status for i in range(3)} == {"pending"}


def test_delete_asks_first(qtbot, page: EnrollmentPage, db, monkeypatch) -> None:
    from app.domain.records import CaseRecord
    from app.services.cases import save_case

    save_case(db, CaseRecord(case_id="D-1", project="lung", eligible_on=dt.date(2025, 1, 2)))
    page.model.refresh()
    page.table.selectRow(0)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    page.delete_button.click()
    assert page.model.rowCount() == 1
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    page.delete_button.click()
    assert page.model.rowCount() == 0
    page.undo_button.click()
    assert page.model.rowCount() == 1


def test_a_form_saved_elsewhere_first_offers_reload_or_save_mine(qtbot, settled_window, monkeypatch) -> None:
    """Two workstations open one record; the second save shows what the other person saved and
    what was typed, and the person chooses: take theirs, or save theirs over (audited)."""
    import dataclasses

    from app.services import staff as staff_service
    from ui import conflict

    window = settled_window
    window.show_area("Staff & roles")
    people = window.page("Staff & roles").people
    row = next(r for r in people.records if r["profession"] == "cda")
    target = people.records.index(row)
    shown: list[conflict.ConflictDialog] = []

    def choose(choice):  # type: ignore[no-untyped-def]
        def answer(exc, captions, parent):  # type: ignore[no-untyped-def]
            dialog = conflict.ConflictDialog(exc, captions, parent)
            shown.append(dialog)
            return choice
        return answer

    def type_email(form) -> None:  # type: ignore[no-untyped-def]
        form.widgets["email"].setText("mine@example.org")
        form.save()

    for choice, expected in ((conflict.RELOAD, "theirs@example.org"), (conflict.OVERWRITE, "mine@example.org")):
        people.refresh()
        record = next(r for r in people.records if r["staff_id"] == row["staff_id"])
        # meanwhile, at the other workstation:
        elsewhere = next(s for s in staff_service.list_staff(window.db) if s.staff_id == row["staff_id"])
        staff_service.save_staff(window.db, dataclasses.replace(elsewhere, email="theirs@example.org"),
                                 original_id=row["staff_id"])
        monkeypatch.setattr(conflict, "resolve", choose(choice))
        people.form_hook = type_email
        people.open_form(record)
        dialog = shown[-1]
        differing = {dialog.table.item(r, 0).text(): (dialog.table.item(r, 1).text(), dialog.table.item(r, 2).text())
                     for r in range(dialog.table.rowCount())}
        assert differing["E-mail"] == ("theirs@example.org", "mine@example.org")
        now = next(s for s in staff_service.list_staff(window.db) if s.staff_id == row["staff_id"])
        assert now.email == expected
    assert target >= 0


def test_the_conflict_dialog_names_who_saved_first_in_local_time(qtbot) -> None:
    import datetime as dt

    from app.services.editing import Conflict
    from ui.conflict import ConflictDialog

    exc = Conflict("case", ("K1",), {"note": "theirs"}, {"note": "mine"}, 3, by="cda1",
                   at=dt.datetime(2026, 12, 1, 14, 5))
    dialog = ConflictDialog(exc, {"note": "Note"})
    qtbot.addWidget(dialog)
    assert dialog.table.horizontalHeaderItem(1).text() == "Saved by cda1"
    local = dt.datetime(2026, 12, 1, 14, 5, tzinfo=dt.UTC).astimezone()
    assert f"cda1 saved it at {local:%H:%M %Z} on 2026-12-01" in dialog.heading.text()


def test_enter_in_the_conflict_dialog_takes_theirs_never_overwrites(qtbot) -> None:
    from PySide6.QtCore import Qt, QTimer

    from app.services.editing import Conflict
    from ui.conflict import RELOAD, ConflictDialog

    exc = Conflict("case", ("K1",), {"note": "theirs"}, {"note": "mine"}, 3, by="cda1")
    dialog = ConflictDialog(exc, {"note": "Note"})
    qtbot.addWidget(dialog)
    assert dialog.reload_button.isDefault() and not dialog.overwrite_button.isDefault()
    QTimer.singleShot(0, lambda: qtbot.keyClick(dialog, Qt.Key.Key_Return))
    dialog.exec()
    assert dialog.choice == RELOAD


def test_a_read_only_role_opens_a_case_to_read_it_and_cannot_change_it(qtbot, db, monkeypatch) -> None:
    """A physics lead or reviewer double-clicks a case: the case opens read-only (values shown and
    copyable, one Close button, Ctrl+S saves nothing); nothing is written."""
    from PySide6.QtGui import QKeySequence

    from app.domain.records import CaseRecord
    from app.services.cases import save_case
    from tests.support import as_role

    save_case(db, CaseRecord(case_id="R-1", project="lung", eligible_on=dt.date(2025, 1, 2), note="seen in clinic"))
    reader = as_role(db, "reviewer")
    page = EnrollmentPage(reader)
    qtbot.addWidget(page)
    page.show()
    page.model.refresh()
    page.table.selectRow(0)
    opened: list[CaseForm] = []

    def look(form: CaseForm) -> int:
        opened.append(form)
        assert form.read_only and "R-1" in form.windowTitle() and "read only" in form.windowTitle()
        assert form.case_id.text() == "R-1" and form.note.text() == "seen in clinic"
        assert form.note.isReadOnly() and not form.project.isEnabled()
        assert form.buttons.button(QDialogButtonBox.StandardButton.Save) is None
        assert form.buttons.button(QDialogButtonBox.StandardButton.Close) is not None
        qtbot.keySequence(form, QKeySequence.StandardKey.Save)  # saves nothing
        assert form.change is None
        return 0

    monkeypatch.setattr(CaseForm, "exec", look)
    before = get_case(db, "R-1")
    page.table.doubleClicked.emit(page.table.currentIndex())
    assert len(opened) == 1
    assert get_case(db, "R-1") == before


def test_close_on_a_read_only_case_closes_it(qtbot, db) -> None:
    from app.domain.records import CaseRecord
    from app.services.cases import get_case, save_case

    save_case(db, CaseRecord(case_id="R-2", project="lung", eligible_on=dt.date(2025, 1, 2)))
    form = CaseForm(db, get_case(db, "R-2"))
    qtbot.addWidget(form)
    form.make_read_only("Case R-2 (read only)")
    form.show()
    form.buttons.button(QDialogButtonBox.StandardButton.Close).click()
    assert not form.isVisible() and form.result() == 0
