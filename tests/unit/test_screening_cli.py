"""``mroqc-desk screen-import``: the exact contract of INTERFACES.md (exit codes, --json shape,
--dry-run, problems as ``row N, column: message``, ``not allowed:`` for other roles)."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.cli import main
from app.services.users import add_user, change_own_password
from app.storage.database import Database
from app.storage.models import AuditEntry, Case
from tests.support import ADMIN, PASSWORD, reopen

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "screening"


def cli(monkeypatch: pytest.MonkeyPatch, db: Database, *args: str, user: str = ADMIN,
        password: str = PASSWORD) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return main(["screen-import", "--db", str(db.path), "--user", user, "--password-stdin", *args])


def counts(db: Database) -> tuple[int, int]:
    with db.reader() as session:
        return (session.scalar(select(func.count()).select_from(Case)) or 0,
                session.scalar(select(func.count()).select_from(AuditEntry)  # sign-in itself is audited
                               .where(AuditEntry.table_name == "cases")) or 0)


def test_json_output_has_exactly_the_contract_shape(db: Database, monkeypatch, capsys) -> None:
    assert cli(monkeypatch, db, str(SAMPLES / "aria_consults.csv"), "--json") == 0
    out = json.loads(capsys.readouterr().out)
    # "quality" added in 0.6.0 beside the rows (docs/cli.md, migration notes): the data-quality problems
    # the list's cases bring in, each naming its case by ID
    assert list(out) == ["new", "updated", "unchanged", "not_eligible", "rows", "quality"]
    assert all(list(q) == ["rule", "severity", "record", "project", "message"] for q in out["quality"])
    assert (out["new"], out["updated"], out["unchanged"], out["not_eligible"]) == (8, 0, 1, 4)
    assert all(list(r) == ["row", "outcome", "project", "case_id", "reason"] for r in out["rows"])
    assert out["rows"][0] == {"row": 2, "outcome": "new", "project": "prostate", "case_id": "MRQ-0000001",
                              "reason": "new pending case (C61)"}
    assert {"row": 6, "outcome": "not_eligible", "project": None, "case_id": None,
            "reason": "C18.7 colon: not an MROQC diagnosis"} in out["rows"]
    assert "A100" not in json.dumps(out) and "MÜLLER" not in json.dumps(out)  # no MRN, no name


def test_dry_run_changes_nothing_and_says_so(db: Database, monkeypatch, capsys) -> None:
    before = counts(db)
    assert cli(monkeypatch, db, str(SAMPLES / "epic_report.xlsx"), "--mapping", str(SAMPLES / "epic_mapping.toml"),
               "--dry-run") == 0
    assert capsys.readouterr().out.strip() == ("Would import (dry run, nothing written) epic_report.xlsx: 7 new, "
                                               "0 updated, 0 unchanged, 2 not eligible.")
    assert counts(db) == before


def test_one_summary_line_then_all_unchanged_on_the_same_file(db: Database, monkeypatch, capsys) -> None:
    folder = str(SAMPLES / "synthea")
    mapping = str(SAMPLES / "synthea_mapping.toml")
    assert cli(monkeypatch, db, folder, "--mapping", mapping) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Imported synthea/conditions.csv: 4 new, 0 updated, 1 unchanged, 5 not eligible."]
    assert cli(monkeypatch, db, folder, "--mapping", mapping) == 0
    assert "0 new, 0 updated, 5 unchanged, 5 not eligible" in capsys.readouterr().out


def test_a_rejected_file_exits_2_listing_each_problem(db: Database, monkeypatch, capsys, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("MRN,DOB,Dx Code,Consult Date\n1001,01/28/1960,C61,\n,01/28/1960,FOO,06/13/2025\n",
                    encoding="utf-8")
    before = counts(db)
    assert cli(monkeypatch, db, str(path)) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["Import rejected, nothing was changed: 3 problem(s) in bad.csv",
                   "row 2, Consult Date: no eligible date",
                   "row 3, MRN: no MRN",
                   "row 3, Dx Code: 'FOO' is neither an ICD-10-CM code nor in [codes] "
                   "(or set unknown_codes = \"not_eligible\")"]
    assert counts(db) == before


def test_an_ambiguous_file_and_a_bad_mapping_exit_2(db: Database, monkeypatch, capsys, tmp_path: Path) -> None:
    path = tmp_path / "week.csv"
    path.write_text("MRN,Dx Code,Consult Date\n1001,C61,06/03/2025\n", encoding="utf-8")
    assert cli(monkeypatch, db, str(path)) == 2
    assert "the dates are ambiguous" in capsys.readouterr().err
    bad = tmp_path / "map.toml"
    bad.write_text('unknown_codes = "skip"\n', encoding="utf-8")
    assert cli(monkeypatch, db, str(path), "--mapping", str(bad)) == 2
    assert capsys.readouterr().err.startswith("mroqc-desk: map.toml: unknown_codes must be")
    assert cli(monkeypatch, db, str(tmp_path / "missing.csv")) == 2
    assert "No file at" in capsys.readouterr().err


@pytest.mark.parametrize("role", ["physics", "reviewer"])
def test_a_physics_or_reviewer_user_is_not_allowed(db: Database, monkeypatch, capsys, role: str) -> None:
    add_user(db, f"{role}-user", role, "first password 12345")
    signed_in = reopen(db.path, f"{role}-user", "first password 12345")
    change_own_password(signed_in, "first password 12345", "own password 12345")
    signed_in.dispose()
    before = counts(db)
    assert cli(monkeypatch, db, str(SAMPLES / "aria_consults.csv"), user=f"{role}-user",
               password="own password 12345") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("not allowed: only a coordinator (CDA) or an administrator may import")
    assert counts(db) == before


def test_the_database_file_holds_no_mrn_in_plain_text(db: Database, monkeypatch) -> None:
    assert cli(monkeypatch, db, str(SAMPLES / "aria_consults.csv")) == 0
    assert b"A100231" not in Path(db.path).read_bytes()  # encrypted at rest like every other case
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(db.path).execute("SELECT count(*) FROM cases").fetchone()
