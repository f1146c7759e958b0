"""``policy list`` and ``policy install`` (docs/cli.md): a newer policy file installed from the
command line, refused in one line with its key and line when malformed, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.paths import resource
from tests.support import cli


@pytest.fixture
def facility(tmp_path: Path, capsys) -> Path:
    path = tmp_path / "f.sqlite3"
    assert cli(["init", "--db", path, "--facility", "Harbor RO"]) == 0
    capsys.readouterr()
    return path


def newer(tmp_path: Path, zero_days: str = "45") -> Path:
    text = (resource("policy", "2025.toml").read_text(encoding="utf-8")
            .replace("year = 2025", "year = 2027").replace("effective_from = 2025-01-01", "effective_from = 2027-01-01")
            .replace("zero_enrollment_days = 30", f"zero_enrollment_days = {zero_days}"))
    out = tmp_path / "mroqc-2027.toml"
    out.write_text(text, encoding="utf-8")
    return out


def test_install_then_list_and_check_name_the_policy_in_force(facility, tmp_path, capsys) -> None:
    assert cli(["policy", "install", "--db", facility, newer(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == "Installed mroqc-2027.toml: MROQC QIP policy 2027, in force from 2027-01-01."
    assert cli(["policy", "list", "--db", facility, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(p["year"], p["source"], p["effective_from"], p["until"]) for p in listed] == [
        (2025, "bundled", "2025-01-01", "2026-12-31"), (2027, "installed", "2027-01-01", None)]
    assert listed[1]["installed_by"] and listed[1]["file"] == "mroqc-2027.toml"
    assert cli(["check", "--db", facility, "--as-of", "2027-02-01", "--json"]) in (0, 1)
    data = json.loads(capsys.readouterr().out)
    assert data["policy"] == "2027"
    assert data["policy_in_force"]["statement"] == "MROQC QIP policy in force since 2027-01-01 (no newer one installed)"
    assert cli(["check", "--db", facility, "--as-of", "2026-12-07"]) in (0, 1)
    assert ("as of 2026-12-07, MROQC QIP policy in force since 2025-01-01 (a newer one takes effect on 2027-01-01)"
            in capsys.readouterr().out.splitlines()[0])


def test_a_malformed_file_is_one_line_with_key_and_line_and_asks_no_password(facility, tmp_path, capsys) -> None:
    bad = newer(tmp_path, zero_days='"soon"')
    assert cli(["policy", "install", "--db", facility, bad], lines=[]) == 2   # no password given: none asked
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("mroqc-desk: mroqc-2027.toml: line 13: 'enrollment.zero_enrollment_days' must be a whole number")
    assert cli(["policy", "list", "--db", facility, "--json"]) == 0
    assert [p["source"] for p in json.loads(capsys.readouterr().out)] == ["bundled"]   # nothing written


def test_install_needs_an_administrator(facility, tmp_path, capsys) -> None:
    assert cli(["users", "add", "--db", facility, "cy", "--role", "coordinator"],
               lines=["test password 123", "cy's first password"]) == 0
    assert cli(["passwd", "--db", facility, "--user", "cy", "--password-stdin"],
               lines=["cy's first password", "cy's own password"]) == 0
    capsys.readouterr()
    assert cli(["policy", "install", "--db", facility, "--user", "cy", "--password-stdin", newer(tmp_path)],
               lines=["cy's own password"]) == 2
    assert capsys.readouterr().err.startswith("not allowed:")
