"""Reports → Review and sign: only a reviewer (or an administrator) signs; the signed file is
intact and shown; signing without a preview first shows the self-audit to review."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from app.reports.signing import verify_pdf
from tests.gui.conftest import AS_OF, settle
from tests.support import as_role
from ui.as_of import AsOf
from ui.reports import ReportsPage


def page_for(qtbot, db) -> ReportsPage:  # type: ignore[no-untyped-def]
    page = ReportsPage(db, AsOf(AS_OF))
    qtbot.addWidget(page)
    return page


def test_a_reviewer_reviews_then_signs(qtbot, demo_db, demo_file, tmp_path, monkeypatch) -> None:
    from tests.unit.test_signing import make_champion

    champ = make_champion(demo_db, demo_file)  # Dr. Ada Champion, clinical champion, signed in as herself
    page = page_for(qtbot, champ)
    assert page.sign_button.isEnabled()
    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: shown.append(a[1]))
    page.review_and_sign()           # nothing previewed yet: the preview is built to be read first
    settle(qtbot)
    assert shown == ["Review first"] and page.preview.page_count > 0
    out = tmp_path / "signed.pdf"
    page.sign_to("Clinical champion", out)
    settle(qtbot)
    from app.security.people import authorities

    with champ.reader() as session:
        check = verify_pdf(out, authorities(session))
    assert check.ok and check.signer == "Dr. Ada Champion" and check.staff_id == "S-CH"
    assert page.status.text() == f"Signed by Dr. Ada Champion (Clinical champion) and saved to {out}."
    assert page._preview_pdf == out.read_bytes()   # the preview now shows the signed file
    champ.dispose()


def test_a_reviewer_holding_no_signers_role_is_told_why(qtbot, demo_db, monkeypatch) -> None:
    page = page_for(qtbot, demo_db)  # the administrator: no staff record linked
    page._preview_pdf, page._preview_settings = b"%PDF-", page.settings()
    told = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: told.append(a[2]))
    page.review_and_sign()
    assert told and "not linked to your record in Staff & roles" in told[0]


def test_a_coordinator_cannot_sign(qtbot, demo_db) -> None:
    page = page_for(qtbot, as_role(demo_db, "coordinator"))
    assert not page.sign_button.isEnabled()
    assert "may sign the self-audit" in page.sign_button.toolTip()


def test_reports_saves_the_calendar(qtbot, demo_db, tmp_path) -> None:
    import icalendar

    page = page_for(qtbot, demo_db)
    page.kind.setCurrentIndex(page.kind.findData("calendar"))
    assert not page.preview_button.isEnabled() and not page.sign_button.isEnabled()
    out = tmp_path / "mroqc.ics"
    page.save_to(out)
    settle(qtbot)
    events = list(icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT"))
    assert events and page.status.text() == f"Saved {out} ({len(events)} events)."
