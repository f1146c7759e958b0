"""The rules on a real database: the SQL snapshot honours the as-of date."""

from __future__ import annotations

import datetime as dt

from app.services.findings import load_snapshot, run_check, to_json
from app.storage.models import Case, DataEntry, RoleAssignment, Staff

D = dt.date


def seed(db) -> None:
    with db.transaction() as s:
        s.add_all([Staff(staff_id="CC", name="Dr. C", profession="radiation_oncologist"),
                   Staff(staff_id="PL", name="P L", profession="physicist"),
                   Staff(staff_id="CD", name="C D", profession="cda")])
        s.flush()
        s.add_all([RoleAssignment(staff_id="CC", role="clinical_champion", start=D(2019, 3, 1)),
                   RoleAssignment(staff_id="PL", role="physics_lead", start=D(2019, 3, 1)),
                   RoleAssignment(staff_id="CD", role="cda", start=D(2019, 3, 1))])
        s.add_all([
            Case(case_id="E1", project="lung", eligible_on=D(2025, 4, 1), status="enrolled", enrolled_on=D(2025, 4, 3)),
            Case(case_id="E2", project="lung", eligible_on=D(2025, 5, 1), status="enrolled", enrolled_on=D(2025, 7, 15)),
            Case(case_id="F1", project="breast", eligible_on=D(2025, 8, 1), status="pending"),
        ])
        s.flush()
        s.add(DataEntry(date=D(2025, 6, 1), case_id="E1", kind="abstraction", staff_id="CD"))
        s.add(DataEntry(date=D(2025, 8, 1), case_id="E1", kind="pro", staff_id="CD"))


def test_records_after_the_as_of_date_do_not_count(db) -> None:
    seed(db)
    snap, _ = load_snapshot(db, D(2025, 6, 30))
    assert snap.last_enrollment["lung"] == D(2025, 4, 3)            # E2's July enrollment is in the future
    assert {c.case_id: c.status for c in snap.recent_cases} == {"E1": "enrolled", "E2": "pending"}
    assert snap.last_activity == D(2025, 6, 1)
    later, _ = load_snapshot(db, D(2025, 8, 31))
    assert later.last_enrollment["lung"] == D(2025, 7, 15) and later.last_activity == D(2025, 8, 1)


def test_check_on_a_past_date_is_what_it_said_then(db) -> None:
    seed(db)
    then = {f["rule"]: f for f in to_json(run_check(db, D(2025, 6, 30)))["findings"]}
    # lung: 88 days since April 3 at the end of June (E2's July enrollment does not exist yet)
    zero = [f for f in to_json(run_check(db, D(2025, 6, 30)))["findings"] if f["rule"] == "QIP-ENR-ZERO"]
    lung = next(f for f in zero if f["subject"] == {"project": "lung"})
    assert lung["evidence"]["days_without_enrollment"] == 88
    assert lung["evidence"]["eligible_case_ids"] == ["E2"]
    assert "QIP-DATA-LAG" not in then                     # June 1 is 29 days before June 30
    later = [f for f in to_json(run_check(db, D(2025, 7, 31)))["findings"] if f["rule"] == "QIP-ENR-ZERO"]
    assert not any(f["subject"] == {"project": "lung"} for f in later)   # enrolled on July 15


def test_json_shape_is_the_contract(db) -> None:
    seed(db)
    data = to_json(run_check(db, D(2025, 6, 30)))
    assert set(data) == {"as_of", "policy", "facility", "findings"}
    assert data["as_of"] == "2025-06-30" and data["policy"] == "2025" and data["facility"] == "Lakeside Cancer Center"
    for finding in data["findings"]:
        assert set(finding) == {"rule", "kind", "severity", "subject", "message", "evidence"}
