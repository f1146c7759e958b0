"""Saved filters in the register: name the filters shown, pick them again, delete them; per user,
and never the search text (nothing in the plain settings file can identify a patient)."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtWidgets import QInputDialog, QMessageBox

from tests.gui.conftest import AS_OF, settle
from tests.support import as_role
from ui.as_of import AsOf
from ui.enrollment import EnrollmentPage
from ui.saved_filters import NAME_CHARS, FilterNameError, SavedFilter, save_filter, saved_filters
from ui.settings_file import settings_path


@pytest.fixture
def boxes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: said.append(a[1]))
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: said.append(a[1]))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    return said


def register(qtbot, db) -> EnrollmentPage:  # type: ignore[no-untyped-def]
    page = EnrollmentPage(db, as_of=AsOf(AS_OF))
    qtbot.addWidget(page)
    page.show()
    settle(qtbot)
    return page


def choose(page: EnrollmentPage, project: str, status: str) -> None:
    page.project.setCurrentIndex(page.project.findData(project))
    page.status.setCurrentIndex(page.status.findData(status))


def test_save_pick_again_and_delete(qtbot, demo_db, boxes, monkeypatch) -> None:
    page = register(qtbot, demo_db)
    choose(page, "lung", "pending")
    page.eligible_from.enabled.setChecked(True)
    page.eligible_from.date.setDate(dt.date(2025, 1, 1))
    wanted = page.model.rowCount()
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("my pending lung cases", True))
    page.save_current_filter()
    assert boxes == []  # no search text: nothing to say
    page.clear_case_set()
    choose(page, "breast", "enrolled")
    page.eligible_from.enabled.setChecked(False)
    assert page.model.rowCount() != wanted
    page._fill_saved_menu()
    item = next(a for a in page.saved_menu.actions() if a.text() == "my pending lung cases")
    item.trigger()
    assert (page.project.currentData(), page.status.currentData()) == ("lung", "pending")
    assert page.eligible_from.value() == dt.date(2025, 1, 1) and page.eligible_to.value() is None
    assert page.model.rowCount() == wanted
    page.delete_saved("my pending lung cases")
    assert saved_filters(page.user) == []


def test_the_search_text_is_never_saved(qtbot, demo_db, boxes) -> None:
    page = register(qtbot, demo_db)
    page.search.setText("100234")
    choose(page, "breast", "pending")
    saved = page.save_current_filter("breast pending")
    assert saved == SavedFilter("breast pending", "breast", "pending", (), None, None)
    assert boxes == ["Saved without the search text"]
    assert "100234" not in settings_path().read_text(encoding="utf-8")


def test_filters_are_each_users_own(qtbot, demo_db) -> None:
    save_filter("ada", SavedFilter("mine", project="lung"))
    save_filter("ben", SavedFilter("his", status="pending", flags=("missing_dosimetry",)))
    assert [f.name for f in saved_filters("ada")] == ["mine"]
    assert saved_filters("ben") == [SavedFilter("his", status="pending", flags=("missing_dosimetry",))]
    page = register(qtbot, as_role(demo_db, "coordinator", "ada"))
    page._fill_saved_menu()
    assert "mine" in [a.text() for a in page.saved_menu.actions()]
    assert "his" not in [a.text() for a in page.saved_menu.actions()]


def test_a_flag_filter_comes_back(qtbot, demo_db) -> None:
    page = register(qtbot, demo_db)
    page.flag.setCurrentIndex(page.flag.findText("No dosimetry submission"))
    flagged = page.model.rowCount()
    page.save_current_filter("no dosimetry")
    page.flag.setCurrentIndex(0)
    page.apply_saved(saved_filters(page.user)[0])
    assert page.flag.currentText() == "No dosimetry submission" and page.model.rowCount() == flagged


@pytest.mark.parametrize("name", ["", "   ", "x" * (NAME_CHARS + 1)])
def test_a_name_must_be_given_and_short(name: str) -> None:
    with pytest.raises(FilterNameError):
        save_filter("ada", SavedFilter(name))


def test_a_name_with_slashes_and_the_same_name_again(qtbot) -> None:
    save_filter("ada", SavedFilter("lung / prostate", project="lung"))
    save_filter("ada", SavedFilter("Lung / Prostate", project="prostate"))  # the same name: replaced
    assert saved_filters("ada") == [SavedFilter("Lung / Prostate", project="prostate")]
