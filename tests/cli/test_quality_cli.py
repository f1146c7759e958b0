"""``quality``: the JSON contract (docs/cli.md) and exit codes 0 ready, 1 not ready, 2 unusable input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import cli, create, reopen


@pytest.fixture
def facility(tmp_path: Path) -> Path:
    """The workbook's facility as of 2025-06-30: C1's breast plan is submitted, nothing else is
    wrong but two blank primary sites (notes, which count for nothing)."""
    from tests.unit.test_workbook import VALID, write_folder

    db = tmp_path / "facility.sqlite3"
    assert cli(["import", "--db", str(db), str(write_folder(tmp_path / "wb", VALID)), "--admin", "test-admin"]) == 0
    return db


def test_ready_is_exit_0_and_the_json_is_the_contract(facility: Path, capsys) -> None:
    capsys.readouterr()
    assert cli(["quality", "--db", str(facility), "--as-of", "2025-06-30", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data) == ["as_of", "facility", "rules_in_force", "ready", "readiness", "counts", "periods", "rules"]
    assert (data["as_of"], data["ready"], data["readiness"]) == ("2025-06-30", True, "green")
    assert data["rules_in_force"]["statement"].startswith("MROQC data-quality rules in force since 2025-01-01")
    assert data["counts"] == {"errors": 0, "warnings": 0, "warnings_open": 0, "info": 2}
    assert [p["period"] for p in data["periods"]][:2] == ["2025", "2024"]
    assert all(set(c) == {"project", "readiness", "errors", "warnings", "reviewed", "info"}
               for p in data["periods"] for c in p["projects"])
    rules = {r["rule"]: r for r in data["rules"]}
    assert set(rules["DQ-CASE-PAYER"]) == {"rule", "title", "record", "severity", "action", "source", "count", "open",
                                           "problems"}
    assert rules["DQ-CASE-SITE-BLANK"]["problems"] == [
        {"record": {"case": "C1"}, "project": "breast", "period": "2025",
         "message": "Case C1 (Breast): no primary site.", "reviewed": None},
        {"record": {"case": "C3"}, "project": "lung", "period": "2025",
         "message": "Case C3 (Lung): no primary site.", "reviewed": None}]


def test_an_error_is_exit_1_and_said_with_its_record(facility: Path, capsys) -> None:
    from app.domain.permissions import Permission
    from app.storage.models import Case

    db = reopen(facility)
    with db.transaction(Permission.CASES) as s:
        s.get(Case, "C1").payer = None
    db.dispose()
    capsys.readouterr()
    assert cli(["quality", "--db", str(facility), "--as-of", "2025-06-30"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("Harbor RO: as of 2025-06-30, MROQC data-quality rules in force since")
    assert "Readiness: Not ready — 1 error(s)" in out
    assert "[error] Enrolled without a payer [DQ-CASE-PAYER]: 1 (1 open)." in out
    assert "Case C1 (Breast): no payer, enrolled 2025-01-06." in out
    assert "MRN-771" not in out and "Pat Synthetic" not in out  # no patient identifier
    assert out.rstrip().endswith("not ready to submit.")
    assert cli(["quality", "--db", str(facility), "--as-of", "2025-06-30", "--json"]) == 1


def test_unusable_input_is_exit_2_in_one_line(tmp_path: Path, facility: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli(["quality", "--db", str(facility), "--as-of", "30/06/2025"])
    assert exit_info.value.code == 2
    capsys.readouterr()
    assert cli(["quality", "--db", str(tmp_path / "missing.sqlite3")]) == 2
    assert "No database at" in capsys.readouterr().err
    create(tmp_path / "empty.sqlite3").dispose()
    assert cli(["quality", "--db", str(tmp_path / "empty.sqlite3")]) == 2
    err = capsys.readouterr().err
    assert "no facility yet" in err and len(err.strip().splitlines()) == 1
