"""File → Back up this database… is never an item that does nothing: on a shared (PostgreSQL)
database it is disabled and says that the server's own backups (pg_dump) keep it, as Settings →
Data's button does; on a database file it backs up; a role that may not back up is told who may."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtWidgets import QFileDialog

from app.services.facility import FacilityDetails, save_facility
from tests.gui.conftest import AS_OF, open_window
from tests.support import as_role, create


@pytest.mark.pg
def test_backup_on_a_shared_database_is_disabled_and_says_what_to_do(qtbot, pg_url, monkeypatch) -> None:
    db = create(pg_url)
    save_facility(db, FacilityDetails(name="Shared RO", joined_on=dt.date(2019, 1, 1)), today=AS_OF)
    asked: list[object] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: asked.append(a) or ("", ""))
    window = open_window(qtbot, db)
    action = window.backup_action
    assert not action.isEnabled()
    assert "pg_dump" in action.toolTip() and "docs/shared-database.md" in action.toolTip()
    assert action.statusTip() == action.toolTip()
    assert window.menuBar().actions()[0].menu().toolTipsVisible()  # the menu shows why
    action.trigger()  # a disabled action ignores it; nothing asks for a file
    window.data_action("backup_button")  # nor does the way there through Settings
    assert asked == []
    button = window.page("Settings").data.backup_button
    assert not button.isEnabled() and "pg_dump" in button.toolTip()
    window.close()
    db.dispose()


def test_backup_of_a_file_is_offered_to_who_may(qtbot, demo_db) -> None:
    window = open_window(qtbot, demo_db)
    assert window.backup_action.isEnabled()
    window.close()
    window = open_window(qtbot, as_role(demo_db, "physics"))
    assert not window.backup_action.isEnabled()
    assert "coordinator" in window.backup_action.toolTip().lower()
    window.close()
