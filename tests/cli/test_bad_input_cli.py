"""Bad input never ends in exit 3 (issue 21): one line on stderr, exit 2, nothing written.

Each test names the input that once raised instead: an output name the file system cannot hold,
a year or date past what Python's dates reach, a closed standard output, options written before
the command, and an output path that is one of the database's own files.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ADMIN, PASSWORD, cli

LONG = "a" * 300  # more than the 255 bytes a file name holds on Linux, macOS and Windows


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bad-input") / "facility.sqlite3"
    assert cli(["demo", "--db", path, "--patients", "300", "--years", "2", "--seed", "3", "--as-of", "2025-06-30"]) == 0
    return path


def files_beside(path: Path) -> list[str]:
    """Every name in the database's folder, hidden temporary files included; lock files left out
    (empty files a sign-in makes once, holding no data)."""
    return sorted(name for name in os.listdir(path.parent) if not name.endswith(".lock"))


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def exit_code(argv: list) -> int:
    """``cli``'s exit code, whether the command returned it or argparse exited with it."""
    try:
        return cli(argv)
    except SystemExit as exc:
        return int(exc.code or 0)


OUTPUTS = {
    "export csv": ["export", "enrollment", "--out", "{out}.csv"],
    "export workbook": ["export", "workbook", "--out", "{out}.zip"],
    "export calendar": ["export", "calendar", "--out", "{out}.ics"],
    "export audit-pdf": ["export", "audit-pdf", "--out", "{out}.pdf", "--year", "2025"],
    "backup": ["backup", "--out", "{out}.backup"],
}


def command(demo: Path, name: str, out: Path) -> list:
    argv = [*(a.format(out=out) for a in OUTPUTS[name]), "--db", demo]
    return [*argv, "--as-of", "2025-06-30"] if name.startswith("export") else argv


@pytest.mark.parametrize("name", list(OUTPUTS))
def test_an_output_name_too_long_is_exit_2_in_one_line_and_leaves_nothing(demo: Path, name: str, capsys) -> None:
    before = files_beside(demo)
    capsys.readouterr()
    assert exit_code(command(demo, name, demo.parent / LONG)) == 2
    line = one_line(capsys.readouterr().err)
    assert "cannot write" in line and "too long" in line.lower()
    assert files_beside(demo) == before  # no temporary file, no backup work folder


@pytest.mark.parametrize("name", ["export csv", "backup"])
def test_a_folder_name_too_long_is_exit_2_in_one_line(demo: Path, name: str, capsys) -> None:
    capsys.readouterr()
    assert exit_code(command(demo, name, demo.parent / LONG / "x")) == 2
    assert "cannot write" in one_line(capsys.readouterr().err)


@pytest.mark.parametrize("name", ["export csv", "backup"])
def test_a_long_name_the_file_system_holds_is_written(demo: Path, name: str, tmp_path: Path) -> None:
    """250 characters plus the ending fit: the temporary name beside it must not be what fails."""
    out = tmp_path / ("b" * 245)
    assert exit_code(command(demo, name, out)) == 0
    ending = OUTPUTS[name][-1].removeprefix("{out}")
    assert [p.name for p in tmp_path.iterdir()] == [out.name + ending]


def test_a_database_name_too_long_is_exit_2_in_one_line(tmp_path: Path, capsys) -> None:
    assert exit_code(["init", "--db", tmp_path / f"{LONG}.sqlite3", "--facility", "Harbor RO"]) == 2
    assert "too long" in one_line(capsys.readouterr().err).lower()
    assert exit_code(["verify", "--db", tmp_path / LONG / "x.sqlite3"]) == 2
    assert "too long" in one_line(capsys.readouterr().err).lower()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("year", ["99999999999999999999", "-5", "1989", "2101", "twenty"])
def test_a_year_out_of_range_is_refused_by_the_parser(demo: Path, tmp_path: Path, year: str, capsys) -> None:
    capsys.readouterr()
    assert exit_code(["export", "enrollment", "--db", demo, "--out", tmp_path / "e.csv", f"--year={year}"]) == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith("mroqc-desk export: argument --year:") and year in line
    assert list(tmp_path.iterdir()) == []


def test_the_years_at_the_edges_of_the_range_export(demo: Path, tmp_path: Path) -> None:
    for year in ("1990", "2100"):
        assert exit_code(["export", "enrollment", "--db", demo, "--out", tmp_path / f"{year}.csv", "--year", year]) == 0


@pytest.mark.parametrize("as_of", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"])
@pytest.mark.parametrize("name", ["check", "programs", "export"])
def test_an_as_of_date_out_of_range_is_refused_in_one_line(demo: Path, tmp_path: Path, as_of: str, name: str,
                                                           capsys) -> None:
    argv = ["export", "finding-cases", "--out", tmp_path / "f.csv"] if name == "export" else [name]
    capsys.readouterr()
    assert exit_code([*argv, "--db", demo, "--as-of", as_of]) == 2
    line = one_line(capsys.readouterr().err)
    assert "--as-of" in line and as_of in line and "1900" in line and "2199" in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("as_of", ["1900-01-01", "2199-12-31"])
def test_every_rule_evaluates_at_the_edges_of_the_date_range(demo: Path, as_of: str, capsys) -> None:
    """The rules add horizons and look-backs to the as-of date: at the edges nothing overflows."""
    assert exit_code(["check", "--db", demo, "--as-of", as_of, "--json"]) in (0, 1)
    assert exit_code(["programs", "--db", demo, "--as-of", as_of]) == 0
    assert "Traceback" not in capsys.readouterr().err


def test_the_rules_refuse_an_as_of_date_past_the_range_whoever_calls(db) -> None:
    """The window and other callers reach the rules without the command line's parser."""
    from app.domain.dates import DateInputError
    from app.services.findings import evaluate_at, meeting_verdicts

    with pytest.raises(DateInputError, match="9999-12-31 is out of range"):
        evaluate_at(db, dt.date(9999, 12, 31))
    with pytest.raises(DateInputError, match="0001-01-01"):
        meeting_verdicts(db, 1, dt.date(1, 1, 1))
    assert evaluate_at(db, dt.date(2199, 12, 31)).as_of == dt.date(2199, 12, 31)


def test_a_closed_standard_output_ends_quietly(demo: Path) -> None:
    """``mroqc-desk users list | head -0``: the reader is gone before anything is written."""
    proc = subprocess.Popen([sys.executable, "-m", "app", "users", "list", "--db", str(demo), "--user", ADMIN,
                             "--password-stdin"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate(f"{PASSWORD}\n".encode(), timeout=120)
    assert err.decode() == ""  # no traceback, no "Exception ignored … BrokenPipeError"
    assert proc.returncode == 141  # as a program stopped by SIGPIPE (128 + 13)


def test_options_before_the_command_are_read_as_after_it(demo: Path, capsys) -> None:
    capsys.readouterr()
    assert cli(["--db", demo, "--user", ADMIN, "--password-stdin", "users", "list"]) == 0
    assert ADMIN in capsys.readouterr().out
    assert cli(["--user", ADMIN, "--password-stdin", "users", "list", "--db", demo, "--json"]) == 0
    assert f'"{ADMIN}"' in capsys.readouterr().out
    # the user before the command is the one who signs in, not the login name
    assert exit_code(["--user", "nobody-here", "--password-stdin", "users", "list", "--db", demo]) == 2
    assert one_line(capsys.readouterr().err).startswith("sign-in failed:")


@pytest.mark.parametrize("argv, said", [
    (["--db", "{db}", "users", "list", "--db-url", "sqlite:///x", "--user", ADMIN, "--password-stdin"],
     "not allowed with argument --db"),
    (["--user", ADMIN, "mvc-score", "x.json"], "--user (given before the command) is not an option of 'mvc-score'"),
    (["--admin", "x", "users", "list", "--db", "{db}", "--user", ADMIN, "--password-stdin"],
     "--admin (given before the command) is not an option of 'users'"),
])
def test_options_before_the_command_conflict_as_after_it(demo: Path, argv: list[str], said: str, capsys) -> None:
    capsys.readouterr()
    assert exit_code([a.format(db=demo) for a in argv]) == 2
    assert said in one_line(capsys.readouterr().err)


@pytest.mark.parametrize("name", ["facility.sqlite3", "facility.sqlite3-wal", "facility.sqlite3-shm",
                                  "facility.sqlite3-journal", "facility.sqlite3.keys", "facility.sqlite3.backup",
                                  "FACILITY.SQLITE3-WAL"])
@pytest.mark.parametrize("what", ["backup", "export"])
def test_an_output_that_is_one_of_the_databases_own_files_is_refused(demo: Path, name: str, what: str,
                                                                     capsys) -> None:
    """SQLite deletes its -wal when the database closes: a backup written there vanished."""
    before = files_beside(demo)
    argv = ["backup", "--out", demo.parent / name] if what == "backup" else ["export", "enrollment", "--out",
                                                                              demo.parent / name]
    capsys.readouterr()
    assert exit_code([*argv, "--db", demo]) == 2
    assert "one of the database's own files" in one_line(capsys.readouterr().err)
    assert files_beside(demo) == before
    assert exit_code(["verify", "--db", demo]) == 0  # the database and its key file are whole


def test_a_link_to_the_database_is_one_of_its_own_files(demo: Path, tmp_path: Path) -> None:
    from app.security.keyfile import key_file_for
    from app.storage.database import is_database_file

    link = tmp_path / "innocent.backup"
    link.symlink_to(key_file_for(demo))
    assert is_database_file(demo, link)
    assert is_database_file(demo, demo.parent / "." / "facility.sqlite3-wal")
    assert not is_database_file(demo, tmp_path / "facility.sqlite3-wal")  # another folder
    assert not is_database_file(demo, demo.parent / "facility.backup")
