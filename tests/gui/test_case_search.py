"""Ctrl+K finds a case from any screen by ID, MRN or name, masked as the register masks, and opens it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import select

from app.storage.models import Case
from tests.gui.conftest import open_window, settle
from tests.support import as_role
from ui.case_search import CaseSearch, hit_text


def a_case(db):  # type: ignore[no-untyped-def]
    from sqlalchemy.orm import undefer_group

    with db.reader() as session:
        return session.scalars(select(Case).options(undefer_group("phi")).where(Case.mrn.is_not(None))
                               .order_by(Case.case_id).limit(1)).one()


def found(qtbot, box: CaseSearch, search: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Search what is typed and wait for the answer (it comes from the background)."""
    if search:
        box.search()
    qtbot.waitUntil(lambda: box.idle, timeout=10000)


def press_ctrl_k(qtbot, window) -> CaseSearch:  # type: ignore[no-untyped-def]
    with qtbot.waitActive(window):  # window-wide shortcuts only fire in the active window
        window.activateWindow()
    qtbot.keyClick(window.focusWidget() or window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(getattr(window, "case_search", None), CaseSearch)
                    and window.case_search.isVisible(), timeout=5000)
    return window.case_search


def test_ctrl_k_on_any_screen_finds_by_mrn_and_opens_the_case(qtbot, settled_window, monkeypatch) -> None:
    window = settled_window
    case = a_case(window.db)
    window.show_area("Meetings")
    settle(qtbot)
    opened: list[str] = []
    from ui.enrollment import EnrollmentPage

    monkeypatch.setattr(EnrollmentPage, "edit_case", lambda page: opened.extend(page.selected_ids()))
    box = press_ctrl_k(qtbot, window)
    assert box.box.hasFocus() or box.box.isVisible()
    qtbot.keyClicks(box.box, case.mrn)
    found(qtbot, box)
    texts = [box.results.item(i).text() for i in range(box.results.count())]
    assert any(t.startswith(case.case_id) and "found by MRN" in t for t in texts)
    assert all(case.mrn not in t for t in texts)  # masked: the MRN is searched, not shown
    row = next(i for i, t in enumerate(texts) if t.startswith(case.case_id))
    box.results.setCurrentRow(row)
    qtbot.keyClick(box.box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: opened == [case.case_id], timeout=5000)
    page = window.page("Enrollment")
    assert window.stack.currentWidget() is page and page.model.rowCount() == 1
    assert page.model.case_id(0) == case.case_id and not box.isVisible()


def test_identifiers_show_only_when_asked_for(qtbot, settled_window) -> None:
    case = a_case(settled_window.db)
    box = press_ctrl_k(qtbot, settled_window)
    box.box.setText(case.case_id)
    found(qtbot, box)
    assert case.name not in box.results.item(0).text()
    box.reveal.setChecked(True)
    found(qtbot, box, search=False)
    assert box.results.item(0).text().startswith(case.case_id)
    assert f"MRN {case.mrn}" in box.results.item(0).text() and case.name in box.results.item(0).text()
    box.reject()


def test_a_physics_lead_searches_case_ids_only(qtbot, demo_db) -> None:
    case = a_case(demo_db)
    window = open_window(qtbot, as_role(demo_db, "physics"))
    box = press_ctrl_k(qtbot, window)
    assert not box.reveal.isEnabled() and box.box.placeholderText() == "Case ID"
    box.box.setText(case.mrn)
    found(qtbot, box)
    assert all(not box.results.item(i).text().startswith(case.case_id) or case.mrn in case.case_id
               for i in range(box.results.count()))
    box.box.setText(case.case_id)
    found(qtbot, box)
    assert box.results.item(0).text().startswith(case.case_id)
    box.reject()
    window.close()


def test_enter_before_the_answer_opens_what_it_finds(qtbot, settled_window, monkeypatch) -> None:
    window = settled_window
    case = a_case(window.db)
    from ui.enrollment import EnrollmentPage

    opened: list[str] = []
    monkeypatch.setattr(EnrollmentPage, "edit_case", lambda page: opened.extend(page.selected_ids()))
    box = press_ctrl_k(qtbot, window)
    box.box.setText(case.case_id)  # typed and Enter at once: the pause has not passed
    qtbot.keyClick(box.box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: opened == [case.case_id], timeout=10000)


def test_nothing_found_says_so(qtbot, settled_window) -> None:
    box = press_ctrl_k(qtbot, settled_window)
    box.box.setText("no such case anywhere")
    found(qtbot, box)
    assert box.results.count() == 0 and "No case found" in box.status.text()
    assert not box.open_button.isEnabled()
    box.reject()


def test_a_hit_reads_in_the_registers_words(demo_db) -> None:
    from app.services.register import find_cases

    hit = find_cases(demo_db, a_case(demo_db).case_id)[0]
    assert hit_text(hit).startswith(hit.case_id) and "eligible" in hit_text(hit)
