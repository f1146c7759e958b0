"""Restore with a window open: never a save lost into a renamed file.

- a restore from the command line while a window has the database open is refused, naming who
  has it open, and the window's next save lands in the live database;
- a window whose file is replaced underneath (another program) stops saving and says so, and
  nothing is written into either file;
- an administrator restores from the window: sees what the backup holds beside what is here,
  confirms (Enter keeps the current database), and the window reopens on the restored database
  with the replaced one kept;
- File → Open database on a backup offers to restore it rather than failing.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from app.domain.records import CaseRecord
from app.services import cases
from app.services.facility import FacilityDetails, get_facility, save_facility
from app.services.maintenance import backup_database
from app.storage.database import connect_sqlite
from app.storage.errors import DatabaseReplaced
from tests.fuzz.harness import run_cli
from tests.gui.conftest import open_window, recorded_messages, settle
from tests.support import ADMIN, PASSWORD, create, database_key, reopen

TODAY = dt.date(2026, 12, 7)
OLD, NEW = "Lakeside (today)", "Lakeside (in the backup)"


@pytest.fixture
def facility(tmp_path: Path) -> Path:
    """A database named OLD with one case, and beside it a backup taken while it was named NEW."""
    path = tmp_path / "facility.sqlite3"
    db = create(path)
    save_facility(db, FacilityDetails(name=NEW), today=TODAY)
    backup_database(db, tmp_path / "friday.backup")
    save_facility(db, FacilityDetails(name=OLD), today=TODAY)
    cases.save_case(db, CaseRecord(case_id="C1", project="lung", status="pending", eligible_on=TODAY))
    db.dispose()
    return path


@pytest.fixture
def quiet_messages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Information, warning and critical boxes recorded instead of shown."""
    return recorded_messages(monkeypatch)


def test_a_command_line_restore_is_refused_while_a_window_has_the_database_open(qtbot, facility: Path) -> None:
    window = open_window(qtbot, reopen(facility))
    ran = run_cli(["restore", "--db", str(facility), "--user", ADMIN, "--password-stdin",
                   str(facility.with_name("friday.backup"))], PASSWORD + "\n")
    assert ran.code == 2
    assert "open elsewhere" in ran.stderr and ADMIN in ran.stderr and "Traceback" not in ran.stderr
    assert not facility.with_name("facility.before-restore.sqlite3").exists()
    # the window's save lands in the live file, which is still the one it opened
    record = cases.get_case(window.db, "C1")
    cases.save_case(window.db, CaseRecord(**{**record.__dict__, "note": "saved after the refused restore"}),
                    original_id="C1")
    window.close()
    window.db.dispose()
    again = reopen(facility)
    try:
        assert cases.get_case(again, "C1").note == "saved after the refused restore"
    finally:
        again.dispose()


def test_a_window_whose_file_is_replaced_underneath_stops_saving_and_says_so(qtbot, facility: Path,
                                                                            tmp_path: Path) -> None:
    window = open_window(qtbot, reopen(facility))
    key = database_key(facility)
    other = tmp_path / "other" / "facility.sqlite3"
    other.parent.mkdir()
    create(other).dispose()
    # another program (an older version, a file manager) moves the file away and puts another in its place
    os.replace(facility, tmp_path / "moved-away.sqlite3")
    shutil.copy(other, facility)
    qtbot.waitUntil(lambda: window.replaced_label.isVisible(), timeout=5000)
    record = cases.get_case(window.db, "C1")
    with pytest.raises(DatabaseReplaced, match="nothing more is saved here"):
        cases.save_case(window.db, CaseRecord(**{**record.__dict__, "note": "lost?"}), original_id="C1")
    window.close()
    window.db.dispose()
    moved = connect_sqlite(tmp_path / "moved-away.sqlite3", key)  # the renamed file got nothing either
    try:
        assert moved.execute("SELECT note FROM cases WHERE case_id = 'C1'").fetchone()[0] != "lost?"
    finally:
        moved.close()


def _restore_dialog(window):  # type: ignore[no-untyped-def]
    window.show_area("Settings")
    page = window.built("Settings")
    assert page.data.restore_button.isEnabled()
    return page.data.choose_restore(backup=window.db.path.with_name("friday.backup"))


def test_an_administrator_restores_from_the_window(qtbot, facility: Path, monkeypatch: pytest.MonkeyPatch,
                                                   quiet_messages: list[str]) -> None:
    import ui.restore as restore
    from ui.application import Session

    session = Session()
    window = session.show(reopen(facility))
    qtbot.addWidget(window)
    settle(qtbot)
    dialog = _restore_dialog(window)
    assert NEW in dialog.label.text() and ADMIN in dialog.label.text()  # the label, before any password
    assert not dialog.restore_button.isEnabled()
    dialog.password.setText("not the password")
    dialog.check()
    settle(qtbot)
    assert "not right" in dialog.outcome.text() and not dialog.restore_button.isEnabled()
    dialog.password.setText(PASSWORD)
    dialog.check()
    settle(qtbot)
    assert dialog.restore_button.isEnabled()
    rows = {dialog.table.item(r, 0).text(): (dialog.table.item(r, 1).text(), dialog.table.item(r, 2).text())
            for r in range(dialog.table.rowCount())}
    assert rows["Cases"] == ("0", "1")  # in the backup, and here now

    asked: list[tuple[str, str]] = []
    monkeypatch.setattr(restore, "ask", lambda _p, _t, text, choices, safe: asked.append((text, safe)) or None)
    dialog.confirm()  # Enter (or closing) keeps the current database
    assert asked and asked[0][1] == "Keep the current database" and "facility.before-restore.sqlite3" in asked[0][0]
    assert dialog.request is None and get_facility(window.db).name == OLD

    monkeypatch.setattr(restore, "ask", lambda _p, _t, _text, choices, safe: choices[0])
    dialog.confirm()
    assert dialog.request is not None
    qtbot.waitUntil(lambda: session.window is not window and session.window.db is not None, timeout=20000)
    settle(qtbot)
    restored = session.window
    qtbot.addWidget(restored)
    assert get_facility(restored.db).name == NEW
    assert restored.db.actor.name == ADMIN
    assert any("Backup restored" in s and "facility.before-restore.sqlite3" in s for s in quiet_messages)
    kept = reopen(facility.with_name("facility.before-restore.sqlite3"))  # the replaced one, whole
    try:
        assert get_facility(kept).name == OLD and cases.get_case(kept, "C1") is not None
    finally:
        kept.dispose()
    # the restored database is the window's: a save lands in it
    save_facility(restored.db, FacilityDetails(name="Lakeside (restored and saved)"), today=TODAY)
    session.close()
    after = reopen(facility)
    try:
        assert get_facility(after).name == "Lakeside (restored and saved)"
    finally:
        after.dispose()


def test_the_window_does_not_restore_while_another_process_has_the_database_open(qtbot, facility: Path,
                                                                               quiet_messages: list[str]) -> None:
    import subprocess
    import sys

    from ui.restore import RestoreRequest, perform_restore

    window = open_window(qtbot, reopen(facility))
    code = ("import time\nfrom pathlib import Path\nfrom tests.support import reopen\n"
            f"db = reopen(Path({str(facility)!r}))\nprint('open', flush=True)\ntime.sleep(30)\n")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[2])
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        request = RestoreRequest(facility.with_name("friday.backup"), ADMIN, PASSWORD, False, None)  # type: ignore[arg-type]
        replaced = []
        perform_restore(window, request, replaced.append)
        assert replaced == []  # nothing let go, nothing restored
        assert any("not started" in s and ADMIN in s for s in quiet_messages)
        assert get_facility(window.db).name == OLD  # the window keeps working on its database
    finally:
        holder.kill()
        holder.wait()
    window.close()
    window.db.dispose()


def test_opening_a_backup_offers_to_restore_it(qtbot, facility: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ui.restore as restore

    asked: list[list[str]] = []
    monkeypatch.setattr(restore, "ask", lambda _p, _t, _text, choices, safe: asked.append(choices) or None)
    assert restore.offer_backup(None, facility.with_name("friday.backup"))
    assert asked == [["Open a copy of it…"]]  # no window: only a copy apart
    assert not restore.offer_backup(None, facility)  # a database is no backup: opened as one


def test_a_new_workstation_starts_from_the_facilitys_backup(qtbot, facility: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Welcome screen → Open an existing database… → a backup: it becomes this workstation's database."""
    import ui.restore as restore
    from ui.first_run import FirstRunDialog

    monkeypatch.setattr(restore, "ask", lambda _p, _t, _text, choices, safe: choices[0])

    def exec_(dialog) -> int:  # type: ignore[no-untyped-def]
        assert "in the backup" in dialog.label.text()
        dialog.user.setText(ADMIN)
        dialog.password.setText(PASSWORD)
        dialog.check()
        settle(qtbot)
        dialog.confirm()
        return dialog.result()

    monkeypatch.setattr(restore.RestoreDialog, "exec", exec_)
    target = tmp_path / "data" / "facility.sqlite3"
    target.parent.mkdir()
    first = FirstRunDialog(target)
    qtbot.addWidget(first)
    first.restore_backup(facility.with_name("friday.backup"))
    qtbot.waitUntil(lambda: first.db is not None, timeout=20000)
    try:
        assert get_facility(first.db).name == NEW and first.chosen_url.endswith("facility.sqlite3")
        assert target.exists() and first.db.actor.name == ADMIN
    finally:
        first.db.dispose()


def test_a_failed_restore_gives_the_window_its_database_back_still_signing(qtbot, facility: Path,
                                                                          quiet_messages: list[str]) -> None:
    from app.services.maintenance import verify_database
    from ui.application import Session
    from ui.restore import RestoreRequest, perform_restore

    session = Session()
    window = session.show(reopen(facility))
    qtbot.addWidget(window)
    settle(qtbot)
    wrong = RestoreRequest(facility.with_name("friday.backup"), ADMIN, "not the password", False, None)  # type: ignore[arg-type]
    perform_restore(window, wrong, session.show)
    qtbot.waitUntil(lambda: session.window is not window and session.window.db is not None, timeout=20000)
    again = session.window
    qtbot.addWidget(again)
    assert any("Restore failed" in s and "Nothing was changed" in s for s in quiet_messages)
    save_facility(again.db, FacilityDetails(name="Lakeside (after the failed restore)"), today=TODAY)
    report = verify_database(again.db, rows=False)
    assert report.ok, report.problems  # the save is signed by the person, as before
    session.close()
