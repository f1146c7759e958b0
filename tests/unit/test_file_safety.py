"""Holding a database open, journals of interrupted operations, the key file's lock (in-process;
the kill -9 walk over every step is tests/fuzz/test_crash_files.py)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import threading
import time
from pathlib import Path

import pytest

from app.security.keyfile import KeyFile, editing, key_file_for
from app.security.signin import AccountLocked, SignInFailed, sign_in
from app.services.facility import FacilityDetails, get_facility, save_facility
from app.services.maintenance import (
    backup_database,
    describe_backup,
    inspect_backup,
    restore_database,
)
from app.storage import journal
from app.storage.database import sqlite_url
from app.storage.journal import Journal, settle
from app.storage.locks import DatabaseInUse, holders
from tests.support import ADMIN, PASSWORD, create, reopen

TODAY = dt.date(2026, 12, 7)


@pytest.fixture
def facility(tmp_path: Path) -> Path:
    path = tmp_path / "facility.sqlite3"
    db = create(path)
    save_facility(db, FacilityDetails(name="In the backup"), today=TODAY)
    backup_database(db, tmp_path / "friday.backup")
    save_facility(db, FacilityDetails(name="Today"), today=TODAY)
    db.dispose()
    return path


def test_whoever_has_the_database_open_is_named_and_a_restore_is_refused(facility: Path) -> None:
    db = reopen(facility)
    try:
        held = holders(facility)
        assert [(h.user, h.pid) for h in held] == [(ADMIN, os.getpid())]
        with pytest.raises(DatabaseInUse, match=f"open elsewhere.*{ADMIN}") as refused:
            restore_database(sqlite_url(facility), facility.with_name("friday.backup"), ADMIN, PASSWORD)
        assert refused.value.holders and refused.value.holders[0].user == ADMIN
        assert get_facility(db).name == "Today"  # untouched, and still saving
        save_facility(db, FacilityDetails(name="Today, saved after"), today=TODAY)
    finally:
        db.dispose()
    assert holders(facility) == []  # let go: the note is gone with the hold
    report = restore_database(sqlite_url(facility), facility.with_name("friday.backup"), ADMIN, PASSWORD)
    assert report.set_aside is not None and report.set_aside.name == "facility.before-restore.sqlite3"
    kept = reopen(report.set_aside)
    try:
        assert get_facility(kept).name == "Today, saved after"
    finally:
        kept.dispose()


def test_a_second_restore_keeps_the_first_copy(facility: Path) -> None:
    url, backup = sqlite_url(facility), facility.with_name("friday.backup")
    first = restore_database(url, backup, ADMIN, PASSWORD).set_aside
    second = restore_database(url, backup, ADMIN, PASSWORD).set_aside
    assert first is not None and second is not None and first != second
    assert second.name == "facility.before-restore-2.sqlite3"
    for kept, name in ((first, "Today"), (second, "In the backup")):
        db = reopen(kept)
        try:
            assert get_facility(db).name == name
        finally:
            db.dispose()


def test_a_backup_says_what_it_holds_and_inspecting_it_changes_nothing(facility: Path) -> None:
    backup = facility.with_name("friday.backup")
    label = describe_backup(backup)
    assert label.facility == "In the backup" and label.taken_by == ADMIN and not label.verified
    assert label.counts["users"] == 1 and label.app_version
    before = sorted(p.name for p in facility.parent.iterdir())
    with pytest.raises(SignInFailed):
        inspect_backup(sqlite_url(facility), backup, ADMIN, "wrong password 123")
    seen = inspect_backup(sqlite_url(facility), backup, ADMIN, PASSWORD)
    assert seen.verified and seen.facility == "In the backup" and seen.counts["users"] == 1
    assert sorted(p.name for p in facility.parent.iterdir()) == before  # nothing extracted is left


def test_a_journal_of_a_dead_process_is_rolled_back_before_commit_and_forward_after(tmp_path: Path) -> None:
    db_path = tmp_path / "f.sqlite3"
    db_path.write_bytes(b"old")
    temp = tmp_path / ".f.sqlite3.restore-x"
    temp.mkdir()
    (temp / "new").write_bytes(b"new")
    prepared = Journal.begin(db_path, "restore", [temp])
    prepared._close()  # its process is gone (the lock goes with the handle)
    assert settle(db_path, exclusive=False) == []  # a restore is settled only by who holds the file alone
    assert settle(db_path, exclusive=True) == ["restore"]
    assert not temp.exists() and db_path.read_bytes() == b"old"

    temp.mkdir()
    (temp / "new").write_bytes(b"new")
    committed = Journal.begin(db_path, "restore", [temp])
    aside = tmp_path / "f.before-restore.sqlite3"
    committed.moves = []
    committed.stage = "committed"
    from app.storage.journal import Move, _identity

    committed.moves = [Move(db_path, aside, _identity(db_path)), Move(temp / "new", db_path, _identity(temp / "new"))]
    committed._write()
    committed._close()
    assert settle(db_path, exclusive=True) == ["restore"]
    assert db_path.read_bytes() == b"new" and aside.read_bytes() == b"old" and not temp.exists()
    assert journal.journals(db_path) == []


def test_a_running_operation_is_left_alone(tmp_path: Path) -> None:
    db_path = tmp_path / "f.sqlite3"
    db_path.write_bytes(b"x")
    temp = tmp_path / ".f.sqlite3.backup-y"
    temp.mkdir()
    running = Journal.begin(db_path, "backup", [temp])
    try:
        assert settle(db_path, exclusive=True) == [] and temp.exists()
    finally:
        running.roll_back()
        running.finish()


def test_what_earlier_versions_left_is_removed_once_it_is_an_hour_old(tmp_path: Path) -> None:
    db_path = tmp_path / "f.sqlite3"
    db_path.write_bytes(b"x")
    old, new = tmp_path / ".restore-old1", tmp_path / ".restore-new1"
    for folder in (old, new):
        folder.mkdir()
        (folder / "facility.sqlite3").write_bytes(b"encrypted")
    encrypting = tmp_path / ".f.sqlite3.encrypting-ab12"
    encrypting.write_bytes(b"half")
    hour_ago = time.time() - 2 * journal.LEGACY_AGE_SECONDS
    for path in (old, old / "facility.sqlite3", encrypting):
        os.utime(path, (hour_ago, hour_ago))
    settle(db_path, exclusive=True)
    assert not old.exists() and not encrypting.exists() and new.exists()


def test_a_killed_key_file_writer_leaves_nothing_after_the_next_edit(facility: Path) -> None:
    keys = key_file_for(facility)
    leftover = keys.with_name(f".{keys.name}-abc123.tmp")
    leftover.write_text("{half")
    with editing(keys) as loaded:
        loaded.note(dt.datetime(2026, 12, 7), "touched")
    assert not leftover.exists()
    assert KeyFile.load(keys).notes[-1]["summary"] == "touched"


def test_twenty_parallel_wrong_passwords_get_exactly_five_tries(facility: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.security.keyfile as keyfile

    tried = []
    real = keyfile.derive_key

    def counting(secret, salt, cost):  # type: ignore[no-untyped-def]
        tried.append(secret)
        time.sleep(0.02)  # as slow as a real Argon2id run, so the guesses overlap
        return real(secret, salt, cost)

    monkeypatch.setattr(keyfile, "derive_key", counting)
    outcomes: list[str] = []
    start = threading.Barrier(20)

    def guess(n: int) -> None:
        start.wait()
        try:
            sign_in(sqlite_url(facility), ADMIN, f"wrong guess {n:04d}").dispose()
            outcomes.append("in")
        except AccountLocked:
            outcomes.append("locked")
        except SignInFailed:
            outcomes.append("wrong")

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len([s for s in tried if s.startswith("wrong guess")]) == 5
    assert len(outcomes) == 20 and set(outcomes) <= {"locked", "wrong"}  # fifteen never got an Argon2id run
    noted = [n["summary"] for n in KeyFile.load(key_file_for(facility)).notes if "failed sign-in" in n["summary"]]
    assert len(noted) == 20  # every attempt is written down for the audit log, tried or refused
    assert sum("refused untried" in n for n in noted) == 15
    with pytest.raises(AccountLocked):
        sign_in(sqlite_url(facility), ADMIN, PASSWORD)  # locked, even with the right password
    db = reopen_after_unlock(facility)
    db.dispose()


def reopen_after_unlock(path: Path):  # type: ignore[no-untyped-def]
    with editing(key_file_for(path)) as keys:
        keys.failures.clear()
    return reopen(path)


def test_disabling_a_user_while_their_name_is_guessed_keeps_their_slot_gone(facility: Path) -> None:
    """The report: 'users disable' racing failed sign-ins brought the slot back in 6 of 16 trials
    (a failed sign-in wrote back the key file it had read before the slot was removed)."""
    from app.security.keyfile import user_slot
    from app.services import users

    for trial in range(8):
        name = f"erin{trial}"
        admin = reopen(facility)
        users.add_user(admin, name, "reviewer", "erin's first password")
        start = threading.Barrier(5)

        def guess(n: int, who: str = name, barrier: threading.Barrier = start) -> None:
            barrier.wait()
            with contextlib.suppress(SignInFailed):
                sign_in(sqlite_url(facility), who, f"not her password {n}").dispose()

        threads = [threading.Thread(target=guess, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        start.wait()
        users.disable_user(admin, name)
        for thread in threads:
            thread.join()
        admin.dispose()
        assert user_slot(name) not in KeyFile.load(key_file_for(facility)).slots, f"trial {trial}: the slot came back"
        with editing(key_file_for(facility)) as keys:
            keys.failures.clear()


def test_a_note_left_half_written_by_a_killed_process_is_removed_by_the_next_opening(facility: Path) -> None:
    """A process killed between writing its "who has it open" note and giving it its name left
    ``.facility.sqlite3.opening-…`` forever (the kill test of restores found two); the next
    process to open the file alone removes it, and a note of a live holder is never touched."""
    from app.storage.locks import hold_open

    left = facility.with_name(f".{facility.name}.opening-99999-deadbeef")
    left.write_bytes(b'{"user": "gone"}')
    with hold_open(facility, "dana"):
        assert not left.exists()
        mine = [p.name for p in facility.parent.iterdir() if p.name.startswith(f".{facility.name}.open-")]
        assert len(mine) == 1  # its own note, under its name
        with hold_open(facility, "cy"):  # a second holder: not alone, removes nothing
            assert len([p for p in facility.parent.iterdir() if p.name.startswith(f".{facility.name}.open-")]) == 2
