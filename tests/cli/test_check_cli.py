"""``check`` and ``programs``: JSON contract and exit codes 0/1/2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "demo.sqlite3"
    assert main(["demo", "--db", str(path), "--patients", "1500", "--years", "3", "--seed", "1", "--as-of", "2025-06-30"]) == 0
    return path


def test_check_json_and_exit_1_with_triggers(demo: Path, capsys) -> None:
    capsys.readouterr()
    code = main(["check", "--db", str(demo), "--as-of", "2025-06-30", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"as_of", "policy", "facility", "findings"}
    blocking = [f for f in data["findings"] if f["severity"] in ("trigger", "violation")]
    assert code == (1 if blocking else 0)
    assert all(set(f) == {"rule", "kind", "severity", "subject", "message", "evidence"} for f in data["findings"])


def test_check_exit_0_without_triggers(tmp_path: Path, capsys) -> None:
    from tests.unit.test_workbook import VALID, write_folder

    db = tmp_path / "quiet.sqlite3"
    assert main(["import", "--db", str(db), str(write_folder(tmp_path / "wb", VALID))]) == 0
    capsys.readouterr()
    # as of the join date nothing can have gone wrong yet
    assert main(["check", "--db", str(db), "--as-of", "2019-01-15", "--json"]) == 0
    blocking = [f for f in json.loads(capsys.readouterr().out)["findings"] if f["severity"] in ("trigger", "violation")]
    assert blocking == []


def test_check_bad_date_and_missing_database_exit_2(tmp_path: Path, demo: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "--db", str(demo), "--as-of", "30/06/2025"])
    assert exit_info.value.code == 2
    assert main(["check", "--db", str(tmp_path / "missing.sqlite3")]) == 2
    assert "No database at" in capsys.readouterr().err


def test_check_on_a_database_without_facility_is_exit_2(tmp_path: Path, capsys) -> None:
    from app.storage.database import open_database, sqlite_url

    open_database(sqlite_url(tmp_path / "empty.sqlite3"), create=True).dispose()
    assert main(["check", "--db", str(tmp_path / "empty.sqlite3")]) == 2
    assert "no facility yet" in capsys.readouterr().err


def test_programs_json(demo: Path, capsys) -> None:
    capsys.readouterr()
    assert main(["programs", "--db", str(demo), "--as-of", "2025-06-30", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"data_history", "vbr", "fte", "p4p_payment_expected", "mvc_questionnaire_due"}
    assert data["fte"]["cases_per_fte"] == 191 and data["p4p_payment_expected"] == "2026-07-01"
