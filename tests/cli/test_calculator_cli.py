"""``mvc-score`` and ``mips-estimate``: the JSON contract and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support import cli


def write(tmp_path: Path, data: object, name: str = "in.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_mvc_score_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = {"conditions": [{"condition": "cabg", "cohort_baseline": 19654, "hospital_baseline": 19405,
                            "hospital_performance": 18524, "sd": 4812}]}
    assert cli(["mvc-score", write(tmp_path, data), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"conditions", "total"}
    assert set(out["conditions"][0]) == {"condition", "improvement_z", "achievement_z",
                                         "improvement_points", "achievement_points", "points"}
    assert out["total"] == 5


@pytest.mark.parametrize("content", ["{not json", json.dumps({"conditions": [{"condition": "knee"}]})])
def test_mvc_score_bad_input_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    assert cli(["mvc-score", str(path)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_mips_estimate_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = {"performance_year": 2018, "part_b_allowed_charges": 150000, "part_b_beneficiaries": 400, "clinicians": 5,
            "improvement_activities": [{"id": "IA_PSPA_1", "weight": "medium"}, {"id": "IA_PSPA_2", "weight": "medium"}]}
    assert cli(["mips-estimate", write(tmp_path, data), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["final_score"] == 20 and out["eligible"] is True


def test_mips_estimate_exempt_says_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["mips-estimate", write(tmp_path, {"part_b_allowed_charges": 50000, "part_b_beneficiaries": 100})]) == 0
    assert "low-volume threshold" in capsys.readouterr().out
