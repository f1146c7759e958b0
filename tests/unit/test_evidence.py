"""A finding's evidence as people read it (shared by the Findings screen and the self-audit PDF),
what to do next, the register filtered to a finding's cases, and the work-list export."""

from __future__ import annotations

import csv
import datetime as dt

from app.domain.permissions import Permission
from app.exports.service import export_kind
from app.reports.evidence import next_steps, present
from app.rules.engine import CATALOGUE
from app.rules.findings import Finding
from app.services.findings import run_check
from app.services.register import RegisterQuery, count_cases, fetch_page
from app.storage.models import AuditEntry, Case

D = dt.date


def selective(n: int = 3) -> dict:
    cases = [{"case_id": f"C{i}", "project": "lung", "eligible_on": D(2025, 3, 1 + i), "status": "pending",
              "reason": None, "problem": "still pending after the decision window"} for i in range(n)]
    return Finding("QIP-ENR-SELECTIVE", "qip", "trigger", {}, "3 case(s) …",
                   {"window_start": D(2024, 6, 30), "window_end": D(2025, 5, 31), "case_count": n + 100,
                    "cases": cases}).to_json()


def test_case_lists_become_tables_and_the_rest_sentences() -> None:
    view = present(selective())
    assert [t.key for t in view.tables] == ["cases"] and view.case_ids == ["C0", "C1", "C2"]
    table = view.case_table
    assert table.headers[:3] == ("Case ID", "Project", "Eligible on")
    assert table.texts()[0][:5] == ["C0", "Lung", "2025-03-01", "Pending", "-"]
    assert table.caption == "Cases: 3 listed of 103 (the rest are in the facility's records)"
    assert dict(view.facts) == {"Window start": "2024-06-30", "Window end": "2025-05-31", "Case count": "103"}
    assert view.next_step == "Record the reason each case was not enrolled, or enroll it."


def test_no_raw_json_in_any_fact() -> None:
    finding = Finding("QIP-ENR-ZERO", "qip", "trigger", {"project": "lung"}, "…",
                      {"window_start": D(2025, 1, 1), "eligible_case_ids": ["L1", "L2"], "eligible_cases_seen": 5,
                       "by_project": {"bone_mets": 1, "breast": 2}, "holders": [], "last_enrollment": None,
                       "no_activity_on_record": True}).to_json()
    view = present(finding)
    facts = dict(view.facts)
    assert facts["By project"] == "bone metastases: 1, breast: 2"
    assert facts["Holders"] == "none" and facts["Last enrollment"] == "-" and facts["No activity on record"] == "yes"
    assert not any(ch in text for _, text in view.facts for ch in "[]{}") and "null" not in str(view.facts)
    assert view.case_ids == ["L1", "L2"] and view.case_table.caption == "Eligible case IDs: 2 listed of 5 (the rest are in the facility's records)"


def test_every_rule_has_one_line_on_what_to_do_next() -> None:
    steps = next_steps()
    assert {rule for rule, *_ in CATALOGUE} <= set(steps)
    assert all("\n" not in text and text.endswith(".") for text in steps.values())


def add_cases(db, ids) -> None:
    with db.transaction(Permission.IMPORT) as s:
        s.add_all(Case(case_id=cid, project="lung", eligible_on=D(2025, 3, 1), status="pending") for cid in ids)


def test_the_register_shows_exactly_a_findings_cases(db) -> None:
    add_cases(db, [f"X{i:03d}" for i in range(40)])
    wanted = ("X003", "X017", "X039", "NOT-THERE")
    query = RegisterQuery(case_ids=wanted, sort_column="case_id", descending=False)
    assert count_cases(db, query) == 3
    assert [row[0] for row in fetch_page(db, query, 0, 50)] == ["X003", "X017", "X039"]
    assert count_cases(db, RegisterQuery()) == 40


def test_the_work_list_export_has_every_listed_case_and_is_audited(db, tmp_path) -> None:
    from tests.unit.test_findings_service import seed

    seed(db)
    with db.transaction(Permission.IMPORT) as s:
        s.add_all([Case(case_id="S1", project="lung", eligible_on=D(2025, 3, 1), status="pending"),
                   Case(case_id="S2", project="breast", eligible_on=D(2025, 2, 1), status="not_enrolled",
                        not_enrolled_reason="measure_criteria"),
                   Case(case_id="O1", project="breast", eligible_on=D(2025, 2, 1), status="not_enrolled",
                        not_enrolled_reason="other", note="Seen by Dr X")])
    as_of = D(2025, 6, 30)
    [finding] = [f for f in run_check(db, as_of).findings if f.rule == "QIP-ENR-SELECTIVE"]
    out = tmp_path / "cases.csv"
    assert export_kind(db, "finding-cases", out, year=None, as_of=as_of, rule="QIP-ENR-SELECTIVE") == 3
    with out.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["Case ID"] for r in rows] == [c["case_id"] for c in finding.evidence["cases"]] == ["S2", "S1", "E2"]
    assert rows[0]["Not-enrolled reason"] == "Did not meet the measure criteria" and rows[1]["Status at the as-of date"] == "Pending"
    assert rows[2]["Status at the as-of date"] == "Pending"   # E2 is enrolled only after the as-of date
    everything = tmp_path / "all.csv"
    export_kind(db, "finding-cases", everything, year=None, as_of=as_of)
    text = everything.read_text(encoding="utf-8-sig")
    assert "ENR-REASON-OTHER" in text and "Seen by Dr X" not in text   # free text only when identified
    export_kind(db, "finding-cases", everything, year=None, as_of=as_of, identified=True)
    assert "Seen by Dr X" in everything.read_text(encoding="utf-8-sig")
    with db.reader() as session:
        summaries = [e.summary for e in session.query(AuditEntry).order_by(AuditEntry.id)]
    assert "exported finding-cases (de-identified) to cases.csv" in summaries
