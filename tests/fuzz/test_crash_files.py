"""Kill -9 at every step of every multi-step file operation, and at random moments of a restore.

Each operation (restore, backup, the encryption of an earlier version's file, ``users add``, a new
database's build) is run through the real command line with ``MROQC_DESK_FAULT`` naming one of its
steps (``app.storage.journal.crash_point``): the process kills itself there exactly as ``kill -9``
would. Then the next command on the database runs, as a person would run it, and the test checks:

- the data is the old or the new, whole (``verify`` passes; the facility name tells which);
- a copy holding data that was replaced is never lost (the database a restore replaced opens);
- every command works afterwards (the operation run again succeeds);
- nothing is left behind (no hidden temporary, journal or note beside the database).

``test_kill_at_random_moments_of_a_restore`` adds 30 kills at random times of a restore, one in
each thirtieth of its run (``harness.kill_moments``; 50 uniform draws clustered and left gaps).
The table of outcomes is printed (``-s``) and, with ``MROQC_CRASH_REPORT=FILE``, written as JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import time
from pathlib import Path

import pytest

from app.security.keyfile import KeyFile, key_file_for
from app.services.facility import FacilityDetails, get_facility, save_facility
from app.services.maintenance import backup_database
from app.storage.database import is_plain_sqlite
from app.storage.journal import FAULT_ENV
from tests.fuzz.harness import kill_moments, run_cli
from tests.fuzz.test_crash_import import killed_at_random
from tests.support import ADMIN, PASSWORD, create, reopen

pytestmark = pytest.mark.slow(25)  # seconds on a quiet two-core machine: its file runs first

TIMEOUT = 120.0
OLD, NEW = "Current Radiation Oncology", "Backed-up Radiation Oncology"
#: What may stay beside a database: the files of a database and its locks (never data).
LOCKS = (".lock",)
REPORT: dict[str, dict[str, str]] = {}


def _killed_at(step: str, args: list[str], stdin: str) -> str:
    run = run_cli(args, stdin, TIMEOUT, env={FAULT_ENV: step})
    assert "Traceback" not in run.output, run.output
    return "killed" if run.code == -9 else f"exit {run.code}"


def _facility(path: Path) -> str:
    db = reopen(path)
    try:
        return get_facility(db).name
    finally:
        db.dispose()


def _verify(path: Path) -> int:
    return run_cli(["verify", "--db", str(path), "--user", ADMIN, "--password-stdin"], PASSWORD + "\n", TIMEOUT).code


def _hidden(folder: Path) -> list[str]:
    """Hidden files and folders (temporaries, journals, notes of holders) — none may stay."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def _record(table: str, step: str, outcome: str) -> None:
    REPORT.setdefault(table, {})[step] = outcome


@pytest.fixture(scope="module")
def facility_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database named ``OLD`` and a backup of it taken when it was named ``NEW`` (beside it)."""
    folder = tmp_path_factory.mktemp("template")
    db = create(folder / "facility.sqlite3")
    save_facility(db, FacilityDetails(name=NEW), today=dt.date(2026, 12, 7))
    backup_database(db, folder / "taken.backup")
    save_facility(db, FacilityDetails(name=OLD), today=dt.date(2026, 12, 7))
    db.dispose()
    return folder


def _fresh(template: Path, where: Path) -> Path:
    shutil.copytree(template, where, ignore=shutil.ignore_patterns(".*"))
    return where / "facility.sqlite3"


RESTORE_STEPS = ["restore:begun", "restore:extracted", "restore:prepared", "restore:committed",
                 *(f"restore:move-{n}" for n in range(1, 5))]


@pytest.mark.parametrize("step", RESTORE_STEPS)
def test_a_restore_killed_at_each_step_leaves_old_or_new_and_loses_nothing(facility_files: Path, tmp_path: Path,
                                                                           step: str) -> None:
    target = _fresh(facility_files, tmp_path / "f")
    backup = target.with_name("taken.backup")
    args = ["restore", "--db", str(target), "--user", ADMIN, "--password-stdin", str(backup)]
    outcome = _killed_at(step, args, PASSWORD + "\n")
    assert outcome == "killed", f"{step} was never reached ({outcome})"
    committed = step.startswith(("restore:committed", "restore:move"))

    # the next command a person runs: it finishes (or rolls back) what was killed first
    assert _verify(target) == 0
    assert _facility(target) == (NEW if committed else OLD)
    aside = target.with_name("facility.before-restore.sqlite3")
    if committed:  # the replaced database is kept whole, with its key file
        assert _facility(aside) == OLD
    else:
        assert not aside.exists() and not key_file_for(aside).exists()
    assert _hidden(target.parent) == []

    # and the restore run again works, keeping every earlier copy
    again = run_cli(args, PASSWORD + "\n", TIMEOUT)
    assert again.code == 0, again.stderr
    assert _facility(target) == NEW
    kept = target.with_name("facility.before-restore-2.sqlite3" if committed else "facility.before-restore.sqlite3")
    assert _facility(kept) == (NEW if committed else OLD)
    if committed:
        assert _facility(aside) == OLD  # the first copy was not overwritten by the second restore
    assert _hidden(target.parent) == []
    _record("restore", step, f"killed → {'new' if committed else 'old'}; kept copy opens; restore again works")


def test_a_restore_killed_after_its_first_renames_then_restored_again_deletes_nothing(facility_files: Path,
                                                                                      tmp_path: Path) -> None:
    """The case of the report: killed after the database was set aside and before the key file
    followed, then ``restore`` run again at once (the natural next step)."""
    target = _fresh(facility_files, tmp_path / "f")
    args = ["restore", "--db", str(target), "--user", ADMIN, "--password-stdin", str(target.with_name("taken.backup"))]
    assert _killed_at("restore:move-1", args, PASSWORD + "\n") == "killed"
    assert run_cli(args, PASSWORD + "\n", TIMEOUT).code == 0
    assert _facility(target) == NEW
    assert _facility(target.with_name("facility.before-restore.sqlite3")) == OLD  # the replaced data survives
    assert _facility(target.with_name("facility.before-restore-2.sqlite3")) == NEW
    assert _hidden(target.parent) == []


BACKUP_STEPS = ["backup:begun", "backup:copied", "backup:written", "backup:committed", "backup:move-1"]


@pytest.mark.parametrize("step", BACKUP_STEPS)
def test_a_backup_killed_at_each_step_leaves_no_temporary_and_no_half_file(facility_files: Path, tmp_path: Path,
                                                                           step: str) -> None:
    target = _fresh(facility_files, tmp_path / "f")
    out_folder = tmp_path / "usb"
    out_folder.mkdir()
    out = out_folder / "tonight.backup"
    args = ["backup", "--db", str(target), "--user", ADMIN, "--password-stdin", "--out", str(out)]
    assert _killed_at(step, args, PASSWORD + "\n") == "killed", f"{step} was never reached"
    assert _verify(target) == 0  # the next command settles the journal beside the database
    assert _hidden(target.parent) == [] and _hidden(out_folder) == []
    written = out.exists()
    assert written == (step in ("backup:committed", "backup:move-1"))  # from the commit on, it is finished
    if written:  # only whole: it restores
        restored = tmp_path / "restored" / "facility.sqlite3"
        restored.parent.mkdir()
        ran = run_cli(["restore", "--db", str(restored), "--user", ADMIN, "--password-stdin", str(out)],
                      PASSWORD + "\n", TIMEOUT)
        assert ran.code == 0, ran.stderr
        assert _facility(restored) == OLD
    assert run_cli(args, PASSWORD + "\n", TIMEOUT).code == 0
    _record("backup", step, f"killed → {'whole backup' if written else 'no backup file'}; nothing left; again works")


ENCRYPTION_STEPS = ["encryption:begun", "encryption:exported", "encryption:built", "encryption:committed",
                    *(f"encryption:move-{n}" for n in range(1, 4)), "encryption:shred-1"]


@pytest.mark.parametrize("step", ENCRYPTION_STEPS)
def test_an_encryption_killed_at_each_step_leaves_the_plain_file_or_the_encrypted_one(tmp_path: Path,
                                                                                      step: str) -> None:
    fixture = Path(__file__).resolve().parents[1] / "data" / "schema-0003.sqlite3"
    target = tmp_path / "facility.sqlite3"
    shutil.copy(fixture, target)
    first = ["verify", "--db", str(target), "--admin", "dana", "--password-stdin"]
    assert _killed_at(step, first, PASSWORD + "\n") == "killed", f"{step} was never reached"
    plain_left = is_plain_sqlite(target)
    # the next command a person runs: --admin again; once the next open has finished the
    # encryption, that says the database has its administrator, and dana signs in
    ran = run_cli(first, PASSWORD + "\n", TIMEOUT)
    if ran.code != 0:
        assert "sign in" in ran.stderr, ran.stderr
        ran = run_cli(["verify", "--db", str(target), "--user", "dana", "--password-stdin"], PASSWORD + "\n", TIMEOUT)
    assert ran.code == 0, ran.stderr
    assert not is_plain_sqlite(target)
    assert _hidden(tmp_path) == []
    plain = [p.name for p in tmp_path.iterdir() if p.is_file() and is_plain_sqlite(p)]
    assert plain == []  # no unencrypted copy anywhere
    assert reopen(target, "dana", PASSWORD).actor.role == "admin"
    _record("encryption", step, f"killed → {'plain, then encrypted by the next command' if plain_left else 'encrypted'}; "
                                "no plain copy; nothing left")


@pytest.mark.parametrize("step", ENCRYPTION_STEPS)
def test_the_window_asks_for_an_administrator_as_the_settled_file_needs(tmp_path: Path, step: str) -> None:
    """Before its sign-in dialog the window asks ``needs_administrator``, which for an encrypted
    file with no journal beside it answers without settling (``app.security.before_sign_in``):
    after a killed encryption it still settles first, and answers for the file as settled."""
    from app.security.before_sign_in import needs_administrator
    from app.storage.database import sqlite_url
    from app.storage.journal_names import journals

    target = tmp_path / "facility.sqlite3"
    shutil.copy(Path(__file__).resolve().parents[1] / "data" / "schema-0003.sqlite3", target)
    first = ["verify", "--db", str(target), "--admin", "dana", "--password-stdin"]
    assert _killed_at(step, first, PASSWORD + "\n") == "killed", f"{step} was never reached"
    assert journals(target)  # what the kill left: the answer must wait for it to be settled
    needed = needs_administrator(sqlite_url(target))
    assert journals(target) == []
    assert needed is is_plain_sqlite(target)


def test_users_add_killed_after_its_slot_leaves_no_slot_that_opens_the_database(facility_files: Path,
                                                                                 tmp_path: Path) -> None:
    target = _fresh(facility_files, tmp_path / "f")
    args = ["users", "add", "--db", str(target), "--user", ADMIN, "--password-stdin", "mallory", "--role", "physics"]
    secret = PASSWORD + "\n" + "first password 1234\n" + "first password 1234\n"
    assert _killed_at("users-add:slot-written", args, secret) == "killed"
    assert "user:mallory" in KeyFile.load(key_file_for(target)).slots  # the half-done state the report found
    listed = run_cli(["users", "list", "--db", str(target), "--user", ADMIN, "--password-stdin"], PASSWORD + "\n", TIMEOUT)
    assert listed.code == 0 and "mallory" not in listed.stdout
    assert "user:mallory" not in KeyFile.load(key_file_for(target)).slots  # removed at that sign-in
    from tests.support import raw_connection

    conn = raw_connection(target)
    try:
        notes = [row[0] or "" for row in conn.execute("SELECT summary FROM audit_log")]
    finally:
        conn.close()
    assert any("removed the key slot of mallory" in note for note in notes)
    assert run_cli(args, secret, TIMEOUT).code == 0  # and adding her works
    _record("users add", "users-add:slot-written", "killed → slot removed at the next sign-in (audited); add again works")


@pytest.mark.parametrize("step", ["init:built", "init:published"])
def test_a_new_database_killed_while_built_is_absent_or_whole(tmp_path: Path, step: str) -> None:
    target = tmp_path / "new.sqlite3"
    args = ["init", "--db", str(target), "--facility", OLD, "--admin", ADMIN, "--password-stdin"]
    assert _killed_at(step, args, PASSWORD + "\n") == "killed"
    if step == "init:built":
        assert not target.exists()
        assert run_cli(args, PASSWORD + "\n", TIMEOUT).code == 0  # the name is free: init again works
    else:
        assert _verify(target) == 0  # published: the next open puts its key file in place
    assert _facility(target) == OLD
    assert _hidden(tmp_path) == []
    _record("init", step, "killed → " + ("absent; init again works" if step == "init:built" else "whole on next open"))


def test_kill_at_random_moments_of_a_restore(facility_files: Path, tmp_path: Path) -> None:
    rng = random.Random(21)
    probe = _fresh(facility_files, tmp_path / "probe")
    args = ["restore", "--db", str(probe), "--user", ADMIN, "--password-stdin", str(probe.with_name("taken.backup"))]
    full = run_cli(args, PASSWORD + "\n", TIMEOUT)
    assert full.code == 0
    outcomes: dict[str, int] = {}
    failures = []
    deadline = time.monotonic() + 600
    for trial, moment in enumerate(kill_moments(rng, 30, full.seconds * 1.1)):
        if time.monotonic() > deadline:
            failures.append(f"out of time after {trial} trials")
            break
        target = _fresh(facility_files, tmp_path / f"t{trial}")
        args[2] = str(target)
        args[-1] = str(target.with_name("taken.backup"))
        ended = killed_at_random(args, PASSWORD + "\n", moment)
        if _verify(target) != 0:
            failures.append(f"trial {trial} ({ended}): verify failed")
            continue
        name = _facility(target)
        state = "new" if name == NEW else "old" if name == OLD else "other"
        aside = target.with_name("facility.before-restore.sqlite3")
        if state == "new" and _facility(aside) != OLD:
            failures.append(f"trial {trial}: restored, but the replaced database is not kept whole")
        if _hidden(target.parent):
            failures.append(f"trial {trial}: left {_hidden(target.parent)}")
        outcomes[f"{ended} → {state}"] = outcomes.get(f"{ended} → {state}", 0) + 1
        shutil.rmtree(target.parent)
    REPORT["restore at random"] = {k: str(v) for k, v in sorted(outcomes.items())}
    print(json.dumps(REPORT, indent=1))
    if os.environ.get("MROQC_CRASH_REPORT"):
        Path(os.environ["MROQC_CRASH_REPORT"]).write_text(json.dumps(REPORT, indent=1), encoding="utf-8")
    assert not failures, "\n".join(failures)
    assert set(outcomes) <= {"killed → old", "killed → new", "exit 0 → new"}
