"""Importing screening lists into the register: matching, outcomes, all or nothing, undo,
profiles and permissions (the service the window and the command line share)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import undefer_group

from app.domain.permissions import NotAllowed
from app.domain.records import CaseRecord
from app.screening import service
from app.screening.errors import PlanChanged, ScreeningRejected, UndoRefused
from app.screening.mapping import Mapping, load_mapping
from app.screening.profiles import list_profiles, profile_for, save_profile
from app.screening.service import import_list, preview, read_list, undo_import
from app.services.cases import save_case, set_status
from app.storage.database import Database
from app.storage.models import AuditEntry, Case
from tests.support import as_role

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "screening"
ARIA = SAMPLES / "aria_consults.csv"
ARIA_MAPPING = load_mapping(SAMPLES / "aria_mapping.toml")
HEADER = "Patient ID,Patient Name,DOB,Diagnosis Code,Consult Date,Insurance\n"


def cases(db: Database) -> dict[str, Case]:
    with db.reader() as session:
        return {c.case_id: c for c in session.scalars(select(Case).options(undefer_group("phi")))}


def audit_count(db: Database) -> int:
    with db.reader() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def run(db: Database, path: Path, mapping: Mapping | None = ARIA_MAPPING) -> service.ImportReceipt:
    return import_list(db, read_list(path, mapping))


def write(tmp_path: Path, rows: list[str], name: str = "list.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_list_becomes_pending_cases_with_ids_that_hide_the_mrn(db: Database) -> None:
    receipt = run(db, ARIA)
    assert receipt.plan.counts() == {"new": 8, "updated": 0, "unchanged": 1, "not_eligible": 4}
    found = cases(db)
    assert len(found) == 8 and all(c.status == "pending" for c in found.values())
    assert all(c.mrn not in c.case_id for c in found.values())
    renee = next(c for c in found.values() if c.mrn == "A100245")
    assert (renee.project, renee.eligible_on, renee.payer, renee.name, renee.birth_date) == (
        "breast", dt.date(2025, 6, 2), "bcbsm", "RENÉE NÚÑEZ", dt.date(1968, 11, 23))  # the earliest of two rows
    smiths = [c for c in found.values() if c.name == "JOHN SMITH"]
    assert len(smiths) == 2  # the same name is two patients: names never match
    with db.reader() as session:
        entries = list(session.scalars(select(AuditEntry).where(AuditEntry.change_set == receipt.change_set)))
    assert sum(e.action == "insert" for e in entries) == 8 and any(e.action == "note" for e in entries)
    assert all("RENÉE" not in str(e.after) and "A100245" not in str(e.after) for e in entries)  # PHI masked


def test_reimporting_the_same_file_changes_nothing(db: Database) -> None:
    run(db, ARIA)
    before = {k: (c.eligible_on, c.payer, c.name) for k, c in cases(db).items()}
    again = run(db, ARIA)
    assert again.plan.counts() == {"new": 0, "updated": 0, "unchanged": 9, "not_eligible": 4}
    assert again.empty and {k: (c.eligible_on, c.payer, c.name) for k, c in cases(db).items()} == before


def test_next_weeks_list_updates_and_adds(db: Database) -> None:
    first = run(db, ARIA)
    ids = {c["mrn"]: c["case_id"] for c in first.plan.new_cases}
    later = run(db, SAMPLES / "aria_consults_next_week.csv")
    outcome = {e.case_id: (e.outcome, e.reason) for e in later.plan.entries}
    assert later.plan.counts() == {"new": 2, "updated": 3, "unchanged": 2, "not_eligible": 0}
    assert outcome[ids["A100245"]] == ("updated", f"case {ids['A100245']}: an earlier eligible date")
    assert outcome[ids["A100252"]] == ("updated", f"case {ids['A100252']}: payer")
    assert outcome[ids["A100283"]] == ("updated", f"case {ids['A100283']}: birth date")
    assert outcome[ids["A100231"]][0] == "unchanged"
    found = cases(db)
    assert found[ids["A100245"]].eligible_on == dt.date(2025, 5, 28)
    assert found[ids["A100252"]].payer == "medicaid"
    assert found[ids["A100283"]].birth_date == dt.date(1955, 9, 18)
    assert len(found) == 10


def test_a_case_more_than_90_days_away_is_a_new_case(db: Database, tmp_path: Path) -> None:
    save_case(db, CaseRecord("BR-2025-0041", "breast", dt.date(2025, 1, 2), mrn="77001"))
    save_case(db, CaseRecord("BR-2025-0042", "breast", dt.date(2025, 3, 20), mrn="77002"))
    path = write(tmp_path, ["77001,\"DOE, JANE\",01/28/1960,C50.9,06/13/2025,",   # 162 days after: new
                            "77002,\"ROE, RITA\",01/28/1961,C50.9,06/13/2025,",   # 85 days after: the same case, named now
                            "77002,\"ROE, RITA\",01/28/1961,C61,06/13/2025,"])    # another project: new
    plan = preview(db, path, Mapping()).plan
    assert [(e.outcome, e.case_id) for e in plan.entries] == [
        ("new", "BR-2025-0043"), ("updated", "BR-2025-0042"), ("new", "BR-2025-0044")]
    assert plan.entries[1].reason == "case BR-2025-0042: name, birth date"


def test_new_ids_follow_the_facility_pattern_and_skip_one_holding_the_mrn(db: Database, tmp_path: Path) -> None:
    save_case(db, CaseRecord("C-0001", "lung", dt.date(2024, 1, 2)))
    path = write(tmp_path, ["0002,\"DOE, JANE\",01/28/1960,C34.1,06/13/2025,"])
    assert [e.case_id for e in preview(db, path, Mapping()).plan.entries] == ["C-0003"]


def test_one_row_with_two_diagnoses_makes_a_case_per_project(db: Database) -> None:
    receipt = run(db, SAMPLES / "epic_report.xlsx", load_mapping(SAMPLES / "epic_mapping.toml"))
    row5 = [(e.project, e.outcome) for e in receipt.plan.entries if e.row == 5]
    assert row5 == [("lung", "new"), ("prostate", "new")]
    bone = [c for c in cases(db).values() if c.project == "bone_mets"]
    assert sorted(c.primary_site for c in bone) == ["breast", "melanoma", "renal_cell"]


def test_leading_zeros_only_when_the_mapping_says(db: Database) -> None:
    path = SAMPLES / "mosaiq_export.csv"
    stripped = preview(db, path, load_mapping(path.with_name("mosaiq_mapping.toml"))).plan
    assert stripped.counts()["new"] == 4 and stripped.counts()["unchanged"] == 1  # 0004711 and 4711: one patient
    assert preview(db, path, Mapping()).plan.counts()["new"] == 5


def test_a_bad_row_refuses_the_whole_file(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, ["77001,\"DOE, JANE\",01/28/1960,C50.9,06/13/2025,", ",\"NO, MRN\",01/28/1960,C61,06/13/2025,"])
    parsed = read_list(path)
    with pytest.raises(ScreeningRejected) as refused:
        import_list(db, parsed)
    assert refused.value.listed() == ["row 3, Patient ID: no MRN"]
    assert cases(db) == {}


def test_a_failure_while_writing_leaves_nothing_behind(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = read_list(ARIA, ARIA_MAPPING)
    before = audit_count(db)
    real = service.audit.note

    def fail(*args, **kwargs):  # type: ignore[no-untyped-def]
        real(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(service.audit, "note", fail)
    with pytest.raises(RuntimeError):
        import_list(db, parsed)
    assert cases(db) == {} and audit_count(db) == before


def test_preview_writes_nothing_and_a_changed_register_is_noticed(db: Database) -> None:
    before = audit_count(db)
    shown = preview(db, ARIA, ARIA_MAPPING)
    assert cases(db) == {} and audit_count(db) == before
    save_case(db, CaseRecord("MRQ-0000001", "prostate", dt.date(2025, 6, 1), mrn="A100231"))
    with pytest.raises(PlanChanged):
        import_list(db, shown.parsed, expected=shown.plan)
    assert len(cases(db)) == 1


def test_an_unrelated_new_case_only_moves_the_new_numbers(db: Database) -> None:
    shown = preview(db, ARIA, ARIA_MAPPING)
    save_case(db, CaseRecord("MRQ-0000001", "lung", dt.date(2024, 1, 5), mrn="Z999999"))
    receipt = import_list(db, shown.parsed, expected=shown.plan)
    assert receipt.new_ids[0] == "MRQ-0000002" and len(cases(db)) == 9


def test_undo_removes_new_cases_and_restores_updated_ones(db: Database) -> None:
    run(db, ARIA)
    before = {k: (c.eligible_on, c.payer, c.birth_date) for k, c in cases(db).items()}
    receipt = run(db, SAMPLES / "aria_consults_next_week.csv")
    undo_import(db, receipt)
    assert {k: (c.eligible_on, c.payer, c.birth_date) for k, c in cases(db).items()} == before
    with db.reader() as session:
        note = session.scalars(select(AuditEntry.summary).where(AuditEntry.action == "note")
                               .order_by(AuditEntry.id.desc())).first()
    assert note.startswith("Undid the screening import of aria_consults_next_week.csv")


def test_undo_is_refused_once_a_later_change_touched_its_cases(db: Database) -> None:
    receipt = run(db, ARIA)
    set_status(db, [receipt.new_ids[0]], "not_enrolled", reason="declined")
    with pytest.raises(UndoRefused, match="changed since"):
        undo_import(db, receipt)
    assert len(cases(db)) == 8


def test_profiles_are_found_by_their_headers(db: Database) -> None:
    table = read_list(ARIA).table
    save_profile(db, "ARIA weekly consults", table.headers, ARIA_MAPPING)
    found = profile_for(db, read_list(SAMPLES / "aria_consults_next_week.csv").table.headers)
    assert found is not None and found.name == "ARIA weekly consults" and found.mapping == ARIA_MAPPING
    assert profile_for(db, ["Something", "Else"]) is None
    save_profile(db, "ARIA weekly consults", table.headers, Mapping(unknown_codes="not_eligible"))
    assert [p.mapping.unknown_codes for p in list_profiles(db)] == ["not_eligible"]


@pytest.mark.parametrize("role", ["physics", "reviewer"])
def test_only_who_may_import_previews_or_imports(db: Database, role: str) -> None:
    other = as_role(db, role)
    with pytest.raises(NotAllowed, match="^not allowed: only a coordinator \\(CDA\\) or an administrator may import"):
        preview(other, ARIA, ARIA_MAPPING)
    with pytest.raises(NotAllowed):
        import_list(other, read_list(ARIA, ARIA_MAPPING))
    with pytest.raises(NotAllowed):
        save_profile(other, "x", ["a"], Mapping())
    assert cases(db) == {}
    assert run(as_role(db, "coordinator"), ARIA).plan.counts()["new"] == 8
