"""The sign-in contract of INTERFACES.md ("Users and sign-in"), as scripts and IT staff use it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ADMIN, PASSWORD, cli

RECOVERY_LINE = re.compile(r"^recovery key: ([A-Z2-7]{4}(?:-[A-Z2-7]{4}){7})$", re.MULTILINE)


@pytest.fixture
def facility(tmp_path: Path, capsys) -> tuple[Path, str]:
    path = tmp_path / "f.sqlite3"
    assert cli(["init", "--db", path, "--facility", "Harbor RO"]) == 0
    out = capsys.readouterr().out
    found = RECOVERY_LINE.findall(out)
    assert len(found) == 1, out  # once, on a line of its own, on standard output
    return path, found[0]


def test_init_prints_the_recovery_key_once_and_it_opens_the_database(facility, capsys) -> None:
    path, key = facility
    assert cli(["verify", "--db", path, "--recovery-key-stdin"], lines=[key]) == 0
    assert "OK" in capsys.readouterr().out


def test_failed_sign_in_is_one_line_the_same_for_unknown_user_and_wrong_password(facility, capsys) -> None:
    path, _ = facility
    lines = []
    for user, password in ((ADMIN, "not the password"), ("nobody", PASSWORD)):
        assert cli(["check", "--db", path, "--user", user, "--password-stdin"], lines=[password]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and err.startswith("sign-in failed:")
        lines.append(err)
    assert lines[0] == lines[1]


def test_a_locked_account_says_until_when(facility, capsys) -> None:
    path, _ = facility
    for _ in range(5):
        cli(["check", "--db", path, "--user", ADMIN, "--password-stdin"], lines=["wrong password!!"])
    capsys.readouterr()
    assert cli(["check", "--db", path]) == 2
    assert re.match(r"^sign-in failed: .*locked until \d\d:\d\d", capsys.readouterr().err)


def test_users_add_list_set_role_disable_enable_reset_and_passwd(facility, capsys) -> None:
    path, _ = facility
    assert cli(["users", "add", "--db", path, "rita", "--role", "reviewer"], lines=[PASSWORD, "rita's first pw"]) == 0
    capsys.readouterr()
    assert cli(["users", "list", "--db", path, "--json"]) == 0
    listed = {u["name"]: u for u in json.loads(capsys.readouterr().out)}
    assert listed["rita"]["role"] == "reviewer" and listed["rita"]["must_change_password"] is True
    # the first password works only to change it
    assert cli(["check", "--db", path, "--user", "rita", "--password-stdin"], lines=["rita's first pw"]) == 2
    assert capsys.readouterr().err.startswith("not allowed:")
    assert cli(["passwd", "--db", path, "--user", "rita", "--password-stdin"],
               lines=["rita's first pw", "rita's own password"]) == 0
    assert cli(["users", "set-role", "--db", path, "rita", "coordinator"]) == 0
    assert cli(["users", "disable", "--db", path, "rita"]) == 0
    capsys.readouterr()
    assert cli(["check", "--db", path, "--user", "rita", "--password-stdin"], lines=["rita's own password"]) == 2
    assert capsys.readouterr().err.startswith("sign-in failed:")
    assert cli(["users", "enable", "--db", path, "rita"]) == 0
    assert "reset-password" in capsys.readouterr().out  # her key slot went with the disable
    assert cli(["users", "reset-password", "--db", path, "rita"], lines=[PASSWORD, "rita's new first pw"]) == 0
    assert cli(["users", "unlock", "--db", path, "rita"]) == 0


def test_a_role_that_may_not_is_refused_with_one_line_and_nothing_changes(facility, capsys, tmp_path: Path) -> None:
    path, _ = facility
    assert cli(["users", "add", "--db", path, "phil", "--role", "physics"], lines=[PASSWORD, "phil's first pw"]) == 0
    assert cli(["passwd", "--db", path, "--user", "phil", "--password-stdin"],
               lines=["phil's first pw", "phil's own password"]) == 0
    capsys.readouterr()
    phil = ["--user", "phil", "--password-stdin"]
    for argv in (["users", "list", "--db", path, *phil],
                 ["export", "enrollment", "--db", path, "--out", tmp_path / "e.csv", "--identified", *phil],
                 ["backup", "--db", path, "--out", tmp_path / "b.backup", *phil]):
        assert cli(argv, lines=["phil's own password"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and err.startswith("not allowed:"), err
    assert not (tmp_path / "e.csv").exists() and not (tmp_path / "b.backup").exists()
    assert cli(["export", "enrollment", "--db", path, "--out", tmp_path / "e.csv", *phil],
               lines=["phil's own password"]) == 0  # de-identified: every role


def test_no_argument_or_environment_variable_carries_a_password(facility, tmp_path: Path) -> None:
    """The real process: the password arrives on standard input, and nothing else works."""
    path, _ = facility
    env = {**os.environ, "MROQC_DESK_PASSWORD": PASSWORD, "PASSWORD": PASSWORD}
    command = [sys.executable, "-m", "app", "check", "--db", str(path), "--user", ADMIN]
    without = subprocess.run(command, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert without.returncode == 2 and "--password-stdin" in without.stderr and "Traceback" not in without.stderr
    given = subprocess.run([*command, "--password-stdin", "--json"], env=env, input=PASSWORD + "\n",
                           capture_output=True, text=True)
    assert "Traceback" not in given.stderr
    findings = json.loads(given.stdout)["findings"]
    assert given.returncode == (1 if any(f["severity"] in ("trigger", "violation") for f in findings) else 0)
    with pytest.raises(SystemExit):
        cli(["check", "--db", path, "--password", PASSWORD])  # no such option


def test_an_earlier_version_database_gets_its_administrator_with_admin(tmp_path: Path, capsys) -> None:
    import shutil

    old = tmp_path / "old.sqlite3"
    shutil.copy(Path(__file__).resolve().parents[1] / "data" / "schema-0003.sqlite3", old)
    assert cli(["check", "--db", old]) == 2
    assert "--admin" in capsys.readouterr().err
    code = cli(["check", "--db", old, "--admin", "first-admin", "--json"], lines=["first admin password"])
    captured = capsys.readouterr()
    findings = json.loads(captured.out)["findings"]  # standard output stays the command's own
    assert code == (1 if any(f["severity"] in ("trigger", "violation") for f in findings) else 0)
    assert RECOVERY_LINE.search(captured.err)
    assert cli(["verify", "--db", old, "--user", "first-admin", "--password-stdin"], lines=["first admin password"]) == 0
