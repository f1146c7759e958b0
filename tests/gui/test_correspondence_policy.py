"""The Correspondence screen judges letters by the policy in force at the as-of date *now*: a
policy installed or chosen in Settings, or a move of the as-of date, reaches its statuses, due
dates and the form's "blank: N days after receipt" (it used to keep the reply days it was built with)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from app.demo.generator import DemoOptions, generate_demo
from app.paths import resource
from app.services import letters
from app.storage.database import Database
from tests.gui.conftest import AS_OF, open_window, settle
from tests.template import copy_of
from ui.record_form import RecordForm

RECEIVED = AS_OF - dt.timedelta(days=20)


def policy_file(tmp_path: Path, year: int, effective: dt.date, reply_days: int) -> Path:
    """A newer policy file from the coordinating center whose only other change is the reply time."""
    text = (resource("policy", "2025.toml").read_text(encoding="utf-8")
            .replace("year = 2025", f"year = {year}")
            .replace("effective_from = 2025-01-01", f"effective_from = {effective.isoformat()}")
            .replace("reply_days = 14", f"reply_days = {reply_days}"))
    path = tmp_path / f"mroqc-{year}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def due_caption(page) -> str:  # type: ignore[no-untyped-def]
    """The Reply due field's caption on the Add form as it opens now."""
    captured: dict[str, RecordForm] = {}

    def hook(form: RecordForm) -> None:
        captured["form"] = form
        form.reject()

    page.list.form_hook = hook
    page.list.add_button.click()
    return next(f.caption for f in captured["form"].fields if f.key == "due_on")


def letter_row(page) -> dict:  # type: ignore[no-untyped-def]
    return next(r for r in page.list.records if r["subject"] == "Policy follow-up")


@pytest.fixture
def demo_file(tmp_path: Path) -> Path:
    """A demo facility of this test's own: each test installs policy files, which stay."""
    path = tmp_path / "demo.sqlite3"
    copy_of(path, "gui-demo", lambda db: generate_demo(db, DemoOptions(years=3, seed=3, as_of=AS_OF))).dispose()
    return path


@pytest.fixture
def window(qtbot, demo_db: Database, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: QMessageBox.StandardButton.Ok)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: pytest.fail(str(a[2])))
    w = open_window(qtbot, demo_db)
    letters.save_letter(demo_db, RECEIVED, "Policy follow-up", True)
    settle(qtbot)
    return w


def test_a_policy_installed_in_settings_reaches_the_letters(qtbot, window, tmp_path: Path) -> None:
    window.show_area("Correspondence")
    settle(qtbot)
    page = window.page("Correspondence")
    assert letter_row(page)["due"] == RECEIVED + dt.timedelta(days=14)
    assert letter_row(page)["state"] == "overdue"
    assert "blank: 14 days after receipt" in due_caption(page)

    settings = window.page("Settings")  # built, not shown: the administrator installs from Settings
    assert settings.install_policy_file(str(policy_file(tmp_path, 2025, AS_OF - dt.timedelta(days=29), 30)))
    settle(qtbot)
    assert letter_row(page)["due"] == RECEIVED + dt.timedelta(days=30)
    assert letter_row(page)["state"] == "awaiting reply"
    assert "blank: 30 days after receipt" in due_caption(page)


def test_the_program_year_chosen_in_settings_and_the_as_of_date_reach_the_form(qtbot, window, tmp_path) -> None:
    settings = window.page("Settings")
    assert settings.install_policy_file(str(policy_file(tmp_path, 2026, dt.date(2026, 1, 1), 21)))
    window.show_area("Correspondence")
    settle(qtbot)
    page = window.page("Correspondence")
    assert "blank: 14 days after receipt" in due_caption(page)  # the 2025 policy is in force on AS_OF

    settings.show_policies()
    settings.policy_year.setCurrentIndex(settings.policy_year.findData(2026))  # "Program year 2026 only"
    assert settings.save()
    settle(qtbot)
    assert "blank: 21 days after receipt" in due_caption(page)
    assert letter_row(page)["due"] == RECEIVED + dt.timedelta(days=21)
    assert letter_row(page)["state"] == "awaiting reply"

    settings.policy_year.setCurrentIndex(0)  # automatic again: each date by the file in force on it
    assert settings.save()
    window.as_of.set(dt.date(2026, 2, 1))
    settle(qtbot)
    assert "blank: 21 days after receipt" in due_caption(page)
    window.as_of.set(AS_OF)
    settle(qtbot)
    assert "blank: 14 days after receipt" in due_caption(page)
    assert letter_row(page)["state"] == "overdue"


def test_the_staff_warnings_follow_a_policy_installed_in_settings(qtbot, window, tmp_path: Path) -> None:
    """The role warnings' horizon is the policy's (``roles.vacancy_warning_days``), read at the
    as-of date each time: a newer file with a longer horizon warns of a CDA leaving sooner than it."""
    from app.services import staff
    from app.services.staff import list_roles

    leaves = AS_OF + dt.timedelta(days=45)
    for row in list_roles(window.db):  # every CDA leaves 45 days after the as-of date, nobody follows
        if row.role == "cda" and (row.end is None or row.end > leaves):
            staff.save_role(window.db, row.staff_id, "cda", row.start, leaves, assignment_id=row.id, version=row.version)
    window.show_area("Staff & roles")
    settle(qtbot)
    page = window.page("Staff & roles")
    assert "Clinical data abstractor: falls vacant" not in page.warnings.text()  # 45 days away, beyond the 30-day horizon
    path = policy_file(tmp_path, 2025, AS_OF - dt.timedelta(days=29), 14)
    path.write_text(path.read_text(encoding="utf-8").replace("vacancy_warning_days = 30", "vacancy_warning_days = 60"),
                    encoding="utf-8")
    assert window.page("Settings").install_policy_file(str(path))
    settle(qtbot)
    assert "Clinical data abstractor: falls vacant" in page.warnings.text()
