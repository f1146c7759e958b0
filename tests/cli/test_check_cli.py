"""``check`` and ``programs``: JSON contract and exit codes 0/1/2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import cli, create, reopen


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "demo.sqlite3"
    assert cli(["demo", "--db", str(path), "--patients", "1500", "--years", "3", "--seed", "1", "--as-of", "2025-06-30"]) == 0
    return path


def test_check_json_and_exit_1_with_triggers(demo: Path, capsys) -> None:
    capsys.readouterr()
    code = cli(["check", "--db", str(demo), "--as-of", "2025-06-30", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"as_of", "policy", "policy_in_force", "facility", "findings", "forecast"}  # policy_in_force: 0.4
    assert data["forecast"] and all(set(f) == {"rule", "subject", "distance", "fires_on"} for f in data["forecast"])
    firing = {(f["rule"], json.dumps(f["subject"], sort_keys=True)) for f in data["forecast"] if f["distance"] == 0}
    assert all(f["fires_on"] == "2025-06-30" for f in data["forecast"] if f["distance"] == 0)
    # a rule firing at D is in the findings with that subject (a trigger or, for PART-*, a warning)
    found = {(f["rule"], json.dumps(f["subject"], sort_keys=True)) for f in data["findings"]}
    assert firing <= found
    blocking = [f for f in data["findings"] if f["severity"] in ("trigger", "violation")]
    assert code == (1 if blocking else 0)
    assert all(set(f) == {"rule", "kind", "severity", "subject", "message", "evidence"} for f in data["findings"])


def test_check_exit_0_without_triggers(tmp_path: Path, capsys) -> None:
    from tests.unit.test_workbook import VALID, write_folder

    db = tmp_path / "quiet.sqlite3"
    assert cli(["import", "--db", str(db), str(write_folder(tmp_path / "wb", VALID)), "--admin", "test-admin"]) == 0
    capsys.readouterr()
    # as of the join date nothing can have gone wrong yet
    assert cli(["check", "--db", str(db), "--as-of", "2019-01-15", "--json"]) == 0
    blocking = [f for f in json.loads(capsys.readouterr().out)["findings"] if f["severity"] in ("trigger", "violation")]
    assert blocking == []


def test_check_bad_date_and_missing_database_exit_2(tmp_path: Path, demo: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli(["check", "--db", str(demo), "--as-of", "30/06/2025"])
    assert exit_info.value.code == 2
    assert cli(["check", "--db", str(tmp_path / "missing.sqlite3")]) == 2
    assert "No database at" in capsys.readouterr().err


def test_check_on_a_database_without_facility_is_exit_2(tmp_path: Path, capsys) -> None:

    create(tmp_path / "empty.sqlite3").dispose()
    assert cli(["check", "--db", str(tmp_path / "empty.sqlite3")]) == 2
    assert "no facility yet" in capsys.readouterr().err


def test_programs_json(demo: Path, capsys) -> None:
    capsys.readouterr()
    assert cli(["programs", "--db", str(demo), "--as-of", "2025-06-30", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"data_history", "vbr", "fte", "p4p_payment_expected", "mvc_questionnaire_due"}
    assert data["fte"]["cases_per_fte"] == 191 and data["p4p_payment_expected"] == "2026-07-01"


def test_check_exit_1_on_a_database_with_triggers(tmp_path: Path, capsys) -> None:
    """A new facility with nobody in the required roles: QIP-ROLE-VACANT triggers at once."""
    db = tmp_path / "new.sqlite3"
    assert cli(["init", "--db", str(db), "--facility", "New RO"]) == 0
    capsys.readouterr()
    assert cli(["check", "--db", str(db), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    vacant = [f for f in data["findings"] if f["rule"] == "QIP-ROLE-VACANT"]
    assert [f["subject"] for f in vacant] == [{"role": "cda"}, {"role": "clinical_champion"}, {"role": "physics_lead"}]
    assert all((f["kind"], f["severity"]) == ("qip", "trigger") for f in vacant)
    assert data["facility"] == "New RO" and data["policy"].isdigit()


def test_check_human_output_groups_by_kind_and_counts(demo: Path, capsys) -> None:
    capsys.readouterr()
    code = cli(["check", "--db", str(demo), "--as-of", "2025-06-30"])
    lines = capsys.readouterr().out.splitlines()
    # the policy in force, named by its date: never "policy 2025" without saying why it applies
    assert lines[0].endswith(": as of 2025-06-30, MROQC QIP policy in force since 2025-01-01 (no newer one installed)")
    findings = [line for line in lines if line.startswith("  [")]
    total, blocking = (int(x.split()[0]) for x in lines[-1].split(", "))
    assert lines[-1].endswith("trigger(s) or violation(s).") and total == len(findings)
    assert code == (1 if blocking else 0)
    headers = [line for line in lines if line.endswith(" findings")]
    assert len(headers) == len(set(headers)) >= 2               # each kind once: findings are grouped
    coming = lines[lines.index("Next to fire if nothing changes") + 1:-2]   # then a blank line and the count
    dates = [line.split()[0] for line in coming]
    assert coming and all(line.startswith("  2025-") or line.startswith("  2026-") for line in coming)
    assert dates == sorted(dates) and len(set(dates)) <= 5 and min(dates) > "2025-06-30"
    import re

    from app.rules.engine import CATALOGUE

    known = {rule for rule, _, _ in CATALOGUE}
    shape = re.compile(r"^  \[(trigger|violation|warning|info)\] ([A-Z-]+)( \([a-z_]+ [^)]+\))?: .+$")
    for line in findings:
        matched = shape.match(line)
        assert matched and matched.group(2) in known, line
    assert blocking == sum(1 for line in findings if line.startswith(("  [trigger]", "  [violation]")))


def test_check_json_is_the_same_as_the_service(demo: Path, capsys) -> None:
    import datetime as dt

    from app.services.findings import run_check, to_json

    capsys.readouterr()
    cli(["check", "--db", str(demo), "--as-of", "2024-11-30", "--json"])
    printed = json.loads(capsys.readouterr().out)
    db = reopen(demo)
    try:
        assert printed == json.loads(json.dumps(to_json(run_check(db, dt.date(2024, 11, 30)))))
    finally:
        db.dispose()
    assert printed["as_of"] == "2024-11-30"
    for finding in printed["findings"]:
        assert finding["kind"] in ("qip", "attendance", "ce", "participation")
        assert finding["severity"] in ("trigger", "violation", "warning", "info")


def test_programs_human_output_and_exit_2_without_database(demo: Path, tmp_path: Path, capsys) -> None:
    capsys.readouterr()
    assert cli(["programs", "--db", str(demo), "--as-of", "2025-06-30"]) == 0
    out = capsys.readouterr().out
    assert "Data history" in out and "FTE funding estimate 2024" in out and "2026-07-01" in out and "2025-11-01" in out
    assert cli(["programs", "--db", str(tmp_path / "missing.sqlite3")]) == 2
    assert capsys.readouterr().err.startswith("mroqc-desk: ")
    with pytest.raises(SystemExit) as exit_info:
        cli(["programs", "--db", str(demo), "--as-of", "2025-02-30"])
    assert exit_info.value.code == 2
