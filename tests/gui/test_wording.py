"""Every screen in the coordinators' words: no visible text holds an internal code such as
``bone_mets`` or another ``_``-joined name (``clinical_champion``, ``qip_steps``)."""

from __future__ import annotations

import re

from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QGroupBox,
    QLabel,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QTreeWidget,
)

from tests.gui.conftest import settle
from ui.main_window import AREAS, MainWindow

CODE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")


def visible_texts(widget) -> list[str]:  # type: ignore[no-untyped-def]
    texts: list[str] = []
    for w in widget.findChildren(QLabel):
        if w.isVisibleTo(widget):
            texts.append(w.text())
    for w in widget.findChildren(QAbstractButton):
        if w.isVisibleTo(widget):
            texts += [w.text(), w.toolTip()]
    for w in widget.findChildren(QGroupBox):
        texts.append(w.title())
    for w in widget.findChildren(QTabWidget):
        texts += [w.tabText(i) for i in range(w.count())]
    for w in widget.findChildren(QComboBox):
        texts += [w.itemText(i) for i in range(w.count())]
    for w in widget.findChildren(QTextBrowser):
        texts.append(w.toPlainText())
    for w in widget.findChildren(QTreeWidget):
        items = [w.topLevelItem(i) for i in range(w.topLevelItemCount())]
        while items:
            item = items.pop()
            texts += [item.text(c) for c in range(w.columnCount())]
            items += [item.child(i) for i in range(item.childCount())]
    for view in widget.findChildren(QTableView):
        model = view.model()
        if model is None:
            continue
        texts += [str(model.headerData(c, __import__("PySide6.QtCore").QtCore.Qt.Orientation.Horizontal) or "")
                  for c in range(model.columnCount())]
        for r in range(min(model.rowCount(), 60)):
            texts += [str(model.index(r, c).data() or "") for c in range(model.columnCount())]
    return texts


def codes_in(texts: list[str]) -> set[str]:
    found = set()
    for text in texts:
        plain = re.sub(r"\S*[/\\@]\S*", " ", text)  # file paths, e-mail addresses, web links
        plain = re.sub(r"\b\w+\.(?:py|sqlite3|xlsx|csv|pdf|ics|toml|json)\b", " ", plain)
        found |= set(CODE.findall(plain))
    return found


def test_no_screen_shows_an_internal_code(qtbot, settled_window: MainWindow) -> None:
    window = settled_window
    problems: dict[str, set[str]] = {}
    for name, _ in AREAS:
        window.show_area(name)
        settle(qtbot)
        page = window.page(name)
        found = codes_in(visible_texts(page))
        if found:
            problems[name] = found
    menus = [a.text() for m in window.menuBar().actions() for a in m.menu().actions()]
    if codes_in(menus):
        problems["menus"] = codes_in(menus)
    assert problems == {}


def test_the_go_menu_shows_staff_and_roles_with_its_ampersand(settled_window: MainWindow) -> None:
    go = next(a.menu() for a in settled_window.menuBar().actions() if a.text() == "&Go")
    texts = [a.text() for a in go.actions()]
    assert "Staff && roles" in texts  # shown as "Staff & roles", not "Staff _roles"


def test_the_check_catches_a_code() -> None:
    assert codes_in(["project bone_mets", "role clinical_champion, meeting M-1", "qip_steps"]) == {
        "bone_mets", "clinical_champion", "qip_steps"}
    assert codes_in(["Bone metastases", "/tmp/test_x/demo.sqlite3", "QIP-ENR-SELECTIVE"]) == set()


def test_messages_name_values_in_words_not_codes() -> None:
    """Issue 25: "not 'renal_cell'" and "add it to [payer_values]" showed internal codes."""
    import datetime as dt
    import types

    from app.domain.records import CaseRecord, validate_case
    from app.domain.wording import choice_words
    from app.screening.plan import _with_payer

    assert choice_words("renal_cell") == "Renal cell" and choice_words("kidney_other") == "Kidney (not renal cell)"
    assert choice_words("liver") == "'liver'"  # typed text, not a code: quoted as typed
    day = dt.date(2025, 1, 2)
    lung = validate_case(CaseRecord("C1", "lung", primary_site="renal_cell", eligible_on=day, status="pending"))
    assert lung["primary_site"] == "a lung case's primary site is lung (or blank), not Renal cell"
    bone = validate_case(CaseRecord("C2", "bone_mets", primary_site="kidney_other", eligible_on=day, status="pending"))
    assert bone["primary_site"].startswith("Kidney (not renal cell) is not an MROQC-eligible primary")
    payer = _with_payer("new case", types.SimpleNamespace(unmapped_payer="Blue Care"))  # type: ignore[arg-type]
    assert "'Blue Care' is not matched" in payer
    assert codes_in([lung["primary_site"], bone["primary_site"], payer]) == set()


def test_small_words_a_coordinator_meets_every_day(qtbot, db) -> None:
    """Issue 25: "Add: people" as a dialog title, "1 minutes", a message starting with "case B"."""
    from app.domain.wording import counted, sentence
    from ui.record_page import form_title
    from ui.settings import SettingsPage
    from ui.staff import StaffPage

    assert form_title(True, "person", None) == "Add a person" and form_title(False, "meeting", None) == "Edit the meeting"
    assert form_title(True, "attendance record", "attendance at the meeting of 2025-03-05") == \
        "Add attendance at the meeting of 2025-03-05"
    assert form_title(True, "attendance record", None) == "Add an attendance record"
    people = StaffPage(db)
    qtbot.addWidget(people)
    titles: list[str] = []
    people.people.form_hook = lambda form: titles.append(form.windowTitle())
    people.people.add_button.click()
    assert titles == ["Add a person"]

    settings = SettingsPage(db)
    qtbot.addWidget(settings)
    settings.lock_minutes.setValue(1)
    assert settings.lock_minutes.suffix() == " minute without input"
    settings.lock_minutes.setValue(15)
    assert settings.lock_minutes.suffix() == " minutes without input"
    assert counted(1, "minute") == "1 minute" and counted(3, "reminder") == "3 reminders"
    assert sentence("case B: the enrollment date is before the eligible date") == \
        "Case B: the enrollment date is before the eligible date."
