"""Screens that look at a period follow the window's as-of date, not the computer's clock: a
coordinator reviewing last quarter sees last quarter's warnings, missing cases and date ranges."""

from __future__ import annotations

import datetime as dt

from app.domain.records import CaseRecord, StaffRecord
from app.services import staff
from app.services.cases import save_case
from tests.gui.conftest import AS_OF
from ui.as_of import AsOf
from ui.dosimetry import DosimetryPage
from ui.enrollment import months_before, years_before
from ui.main_window import MainWindow
from ui.staff import StaffPage


def test_role_warnings_are_for_the_as_of_date(qtbot, db) -> None:
    staff.save_staff(db, StaffRecord(staff_id="S1", name="Dr. Ada Synthetic", profession="radiation_oncologist",
                                     works_on_mroqc=True))
    staff.save_role(db, "S1", "clinical_champion", dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    as_of = AsOf(dt.date(2024, 6, 30))
    page = StaffPage(db, as_of)
    qtbot.addWidget(page)
    assert "Clinical champion: nobody" not in page.warnings.text()  # held on 2024-06-30
    as_of.set(dt.date(2025, 6, 30))
    assert "Clinical champion: nobody" in page.warnings.text()  # recomputed when the date moves
    assert "2025-06-30" in page.warnings.text()


def test_missing_dosimetry_is_counted_at_the_as_of_date(qtbot, db) -> None:
    save_case(db, CaseRecord(case_id="C1", project="breast", eligible_on=dt.date(2025, 1, 2), status="enrolled",
                             enrolled_on=dt.date(2025, 1, 5)))
    as_of = AsOf(dt.date(2024, 12, 31))
    page = DosimetryPage(db, as_of)
    qtbot.addWidget(page)
    assert "without a submission (enrolled by 2024-12-31): 0" in page.missing_label.text()
    as_of.set(dt.date(2025, 6, 30))
    assert "without a submission (enrolled by 2025-06-30): 1" in page.missing_label.text()
    assert page.missing.rowCount() == 1


def test_default_date_ranges_end_at_the_as_of_date(qtbot, demo_db) -> None:
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    window.as_of.set(AS_OF)
    enrollment, audit = window.enrollment_page, window.page("Audit log")
    assert enrollment.eligible_to.date.date() == AS_OF
    assert enrollment.eligible_from.date.date() == years_before(AS_OF, 1)
    assert audit.date_to.date.date() == AS_OF
    assert audit.date_from.date.date() == months_before(AS_OF, 1)
    enrollment.eligible_to.enabled.setChecked(True)  # in use: the user's range stays put
    later = dt.date(2025, 9, 30)
    window.as_of.set(later)
    assert enrollment.eligible_to.date.date() == AS_OF
    assert enrollment.eligible_from.date.date() == years_before(later, 1)
    assert audit.date_to.date.date() == later


def test_the_role_warnings_say_as_of_when_the_window_looks_at_another_day(qtbot, db) -> None:
    """"As of …" heads the warnings when the as-of date is not today by the window's clock (it
    compared the as-of date with itself for a while, and never showed)."""
    from ui.date_field import use_reference

    as_of = AsOf(dt.date(2026, 12, 7), clock=lambda: dt.datetime(2026, 12, 7, 9, 0))
    use_reference(lambda: as_of.day)  # as the window does: "t" in a field is the as-of date
    try:
        page = StaffPage(db, as_of)
        qtbot.addWidget(page)
        assert "As of" not in page.warnings.text()
        as_of.set(dt.date(2025, 6, 30))
        assert "As of" in page.warnings.text()
    finally:
        use_reference(None)


def test_screens_out_of_sight_follow_the_as_of_date_when_shown(qtbot, demo_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Issue 28: stepping the as-of date on the Dashboard does not recount Dosimetry's missing list
    (a whole-register anti-join) nor the role warnings behind it, on the GUI thread at every step;
    showing each screen recounts it once, at the date it then has."""
    from app.services import dosimetry
    from tests.gui.conftest import open_window, settle

    window = open_window(qtbot, demo_db)
    page = window.page("Dosimetry")
    window.page("Staff & roles")
    for area in ("Dosimetry", "Staff & roles", "Dashboard"):
        window.show_area(area)
        settle(qtbot)
    counted: list[tuple[str, dt.date]] = []
    missing, list_roles = dosimetry.missing_submissions, staff.list_roles

    def counting_missing(db, as_of, *args, **kwargs):  # type: ignore[no-untyped-def]
        counted.append(("missing", as_of))
        return missing(db, as_of, *args, **kwargs)

    def counting_roles(db, *args, **kwargs):  # type: ignore[no-untyped-def]
        counted.append(("roles", window.as_of.day))
        return list_roles(db, *args, **kwargs)

    monkeypatch.setattr(dosimetry, "missing_submissions", counting_missing)
    monkeypatch.setattr(staff, "list_roles", counting_roles)
    earlier = AS_OF - dt.timedelta(days=200)
    window.as_of.set(AS_OF - dt.timedelta(days=1))
    window.as_of.set(earlier)
    settle(qtbot)
    assert counted == []
    window.show_area("Dosimetry")
    settle(qtbot)
    assert counted == [("missing", earlier)]
    assert f"(enrolled by {earlier.isoformat()})" in page.missing_label.text()
    window.show_area("Staff & roles")
    settle(qtbot)
    assert counted == [("missing", earlier), ("roles", earlier)]


def test_a_closed_window_gives_back_what_t_means(qtbot, db) -> None:
    """"t" in a date field is the window's as-of date while the window is open; once it closes, a
    field made later counts from today (it kept asking the closed window)."""
    from ui.date_field import reference_day
    from ui.main_window import MainWindow

    window = MainWindow(db)
    qtbot.addWidget(window)
    window.as_of.set(AS_OF)
    assert reference_day() == AS_OF
    window.close()
    assert reference_day() == dt.date.today()
