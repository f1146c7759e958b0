"""``init``, ``backup``, ``restore`` and ``verify`` as scripts and IT staff call them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import cli, raw_connection


def test_version_prints_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("mroqc-desk ")


def test_init_creates_a_migrated_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "new.sqlite3"
    assert cli(["init", "--db", str(path), "--facility", "Harbor RO"]) == 0
    assert "Harbor RO" in capsys.readouterr().out
    with raw_connection(path) as conn:
        assert conn.execute("SELECT name FROM facility").fetchone() == ("Harbor RO",)


def test_init_refuses_an_existing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "new.sqlite3"
    path.write_text("keep me")
    assert cli(["init", "--db", str(path), "--facility", "Harbor RO"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert path.read_text() == "keep me"


@pytest.mark.parametrize("command", [["verify"], ["backup", "--out", "x.sqlite3"], ["check"], ["programs"], ["export", "enrollment"]])
def test_missing_database_is_exit_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    missing = tmp_path / "nope.sqlite3"
    args = [*command, "--db", str(missing)] if command[0] == "export" else [command[0], "--db", str(missing), *command[1:]]
    if command[0] == "export":
        args += ["--out", str(tmp_path / "e.csv")]
    assert cli(args) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nope.sqlite3" in err
    assert not missing.exists()


def test_backup_restore_verify_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    live, copy = tmp_path / "live.sqlite3", tmp_path / "copy.sqlite3"
    assert cli(["init", "--db", str(live), "--facility", "Harbor RO"]) == 0
    assert cli(["backup", "--db", str(live), "--out", str(copy)]) == 0
    with raw_connection(live) as conn:
        conn.execute("UPDATE facility SET name = 'Changed after backup'")
    assert cli(["restore", "--db", str(live), str(copy)]) == 0
    with raw_connection(live) as conn:
        assert conn.execute("SELECT name FROM facility").fetchone() == ("Harbor RO",)
    assert (tmp_path / "live.before-restore.sqlite3").exists()
    assert cli(["verify", "--db", str(live)]) == 0
    assert "OK" in capsys.readouterr().out


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    live, bogus = tmp_path / "live.sqlite3", tmp_path / "bogus.sqlite3"
    assert cli(["init", "--db", str(live), "--facility", "Harbor RO"]) == 0
    bogus.write_bytes(b"not a backup at all")
    assert cli(["restore", "--db", str(live), str(bogus)]) == 2
    assert "is not an MROQC Facility Desk backup; nothing was changed" in capsys.readouterr().err
    with raw_connection(live) as conn:
        assert conn.execute("SELECT name FROM facility").fetchone() == ("Harbor RO",)


def test_verify_reports_a_broken_reference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    live = tmp_path / "live.sqlite3"
    assert cli(["init", "--db", str(live), "--facility", "Harbor RO"]) == 0
    with raw_connection(live) as conn:  # foreign keys are off in a bare connection
        conn.execute("INSERT INTO role_assignments (staff_id, role, start) VALUES ('ghost', 'cda', '2025-01-01')")
    assert cli(["verify", "--db", str(live)]) == 1
    assert "foreign key" in capsys.readouterr().out


def test_python_dash_m_app_runs_without_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "verify", "--db", str(tmp_path / "absent.sqlite3")],
        capture_output=True, text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "absent.sqlite3" in result.stderr


def test_import_into_a_new_file_creates_it_and_a_rejected_one_leaves_nothing(tmp_path: Path, capsys,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import app.workbook.importer as importer
    from tests.unit.test_workbook import VALID, mutate, write_folder

    good = write_folder(tmp_path / "good", VALID)
    bad = write_folder(tmp_path / "bad", mutate("cases", 2, "eligible_on", "02/01/2025"))
    assert cli(["import", "--db", str(tmp_path / "rejected.sqlite3"), str(bad), "--admin", "test-admin"]) == 2
    err = capsys.readouterr().err
    assert "cases, 2, eligible_on: '02/01/2025' is not a date" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad", "good"]  # no database, key file or leftover
    assert cli(["import", "--db", str(tmp_path / "new.sqlite3"), str(good)]) == 2
    assert "--admin NAME" in capsys.readouterr().err  # a new file needs its administrator
    reads = []
    parse = importer.parse_workbook
    monkeypatch.setattr(importer, "parse_workbook", lambda *a, **k: reads.append(1) or parse(*a, **k))
    assert cli(["import", "--db", str(tmp_path / "new.sqlite3"), str(good), "--admin", "test-admin"]) == 0
    assert "added" in capsys.readouterr().out
    assert len(reads) == 1  # checked before the database is built, and not read a second time to write it
    assert cli(["import", "--db", str(tmp_path / "new.sqlite3"), str(tmp_path / "absent.xlsx")]) == 2
    assert "No workbook at" in capsys.readouterr().err


def test_a_new_file_s_keys_are_derived_while_its_workbook_is_checked(tmp_path: Path, capsys,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """``import --db NEW`` derives the database's keys (Argon2id) while it checks the workbook, and
    writes nothing until the check is done: a workbook refused meanwhile leaves no file. A password
    the rules refuse is said before the workbook is read (seconds for a large one)."""
    import threading

    import app.security.keyfile as keyfile
    import app.workbook.importer as importer
    from tests.unit.test_workbook import VALID, mutate, write_folder

    good = write_folder(tmp_path / "good", VALID)
    bad = write_folder(tmp_path / "bad", mutate("cases", 2, "eligible_on", "02/01/2025"))
    target = tmp_path / "new" / "facility.sqlite3"
    target.parent.mkdir()
    checks: list[str] = []
    check = importer.validate_for_a_new_database
    monkeypatch.setattr(importer, "validate_for_a_new_database", lambda source: checks.append(source.name) or check(source))
    assert cli(["import", "--db", str(target), str(good), "--admin", "test-admin"], ["short"]) == 2
    assert "at least 12 characters" in capsys.readouterr().err and checks == []  # the workbook never read

    derived, checked = threading.Event(), threading.Event()
    wrap = keyfile.KeyFile.wrap

    def slow_wrap(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        assert checked.wait(5), "the workbook is checked while the keys are derived, not after"
        derived.set()
        return wrap(self, *args, **kwargs)

    def checked_meanwhile(source: Path):  # type: ignore[no-untyped-def]
        checked.set()
        return check(source)

    monkeypatch.setattr(keyfile.KeyFile, "wrap", slow_wrap)
    monkeypatch.setattr(importer, "validate_for_a_new_database", checked_meanwhile)
    assert cli(["import", "--db", str(target), str(bad), "--admin", "test-admin"]) == 2
    assert "is not a date" in capsys.readouterr().err and list(target.parent.iterdir()) == []
    checked.clear()
    assert cli(["import", "--db", str(target), str(good), "--admin", "test-admin"]) == 0
    assert derived.is_set() and "added" in capsys.readouterr().out


def test_a_damaged_file_is_refused_by_every_command_and_verify_names_it(tmp_path: Path, capsys) -> None:
    """Cut 1,000 bytes off the end: nothing evaluates or writes it any more; verify says why (exit 1)."""
    import hashlib

    path = tmp_path / "live.sqlite3"
    assert cli(["init", "--db", str(path), "--facility", "Harbor RO"]) == 0
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size - 1000)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    capsys.readouterr()
    for argv in (["check", "--db", path], ["programs", "--db", path],
                 ["export", "enrollment", "--db", path, "--out", tmp_path / "e.csv"],
                 ["import", "--db", path, tmp_path]):
        assert cli(argv) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "is damaged" in err, err
    assert cli(["verify", "--db", path]) == 1
    assert "integrity:" in capsys.readouterr().out
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # never written to
    assert not (tmp_path / "e.csv").exists()
