"""The rules on a real database: the SQL snapshot honours the as-of date."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from app.domain.permissions import Permission
from app.rules.policy_file import load_policy_file
from app.rules.programs import default_fte_year
from app.rules.snapshot import CaseRecord, case_fields
from app.services.findings import load_snapshot, meeting_verdicts, programs, run_check, to_json
from app.storage.models import (
    Attendance,
    Case,
    DataEntry,
    DosimetrySubmission,
    Meeting,
    RoleAssignment,
    Staff,
)

D = dt.date


def seed(db) -> None:
    with db.transaction(Permission.IMPORT) as s:
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
    assert snap.eligible_counts == {("lung", D(2025, 4, 1)): 1, ("lung", D(2025, 5, 1)): 1}   # F1 is eligible later
    assert snap.cases_after_last_enrollment == {"lung": ((D(2025, 5, 1), "E2"),)}             # pending at D
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
    assert set(data) == {"as_of", "policy", "policy_in_force", "facility", "findings", "forecast"}
    assert data["as_of"] == "2025-06-30" and data["policy"] == "2025" and data["facility"] == "Lakeside Cancer Center"
    assert data["policy_in_force"] == {  # added in 0.4 beside "policy" (docs/cli.md, migration notes)
        "name": "MROQC QIP policy", "year": 2025, "effective_from": "2025-01-01", "supersedes": None,
        "source": "bundled", "chosen": False, "newer_from": None,
        "statement": "MROQC QIP policy in force since 2025-01-01 (no newer one installed)"}
    for finding in data["findings"]:
        assert set(finding) == {"rule", "kind", "severity", "subject", "message", "evidence"}
    for entry in data["forecast"]:
        assert set(entry) == {"rule", "subject", "distance", "fires_on"}
        assert entry["fires_on"] is None or dt.date.fromisoformat(entry["fires_on"]) >= D(2025, 6, 30)
    assert {"rule": "QIP-ENR-ZERO", "subject": {"project": "lung"}, "distance": 0, "fires_on": "2025-06-30"} \
        in data["forecast"]


REASONS = (None, "declined", "unable_to_consent", "not_treated", "transferred", "deceased", "ineligible_on_review",
           "other", "measure_criteria")
PAYERS = (None, "bcbsm", "bcn", "medicare", "medicaid", "other", "uninsured")


def random_cases(n: int, seed: int) -> list[CaseRecord]:
    """Cases over 2022-2025 in every state, including enrollments long after eligibility."""
    rng = random.Random(seed)
    cases = []
    for i in range(n):
        eligible = D(2022, 1, 1) + dt.timedelta(days=rng.randrange(0, 4 * 365))
        status = rng.choice(("pending", "enrolled", "enrolled", "enrolled", "not_enrolled"))
        enrolled = eligible + dt.timedelta(days=rng.choice((0, 3, 20, 45, 120))) if status == "enrolled" else None
        reason = rng.choice(REASONS) if status == "not_enrolled" else None
        cases.append(CaseRecord(f"C{i:04d}", rng.choice(("breast", "lung", "prostate", "bone_mets")), eligible, status,
                                enrolled, reason, "note" if reason == "other" else None, rng.choice(PAYERS)))
    return cases


@pytest.mark.parametrize("as_of", [D(2025, 6, 30), D(2025, 1, 15), D(2025, 1, 31), D(2024, 12, 31), D(2023, 3, 1),
                                   D(2022, 3, 20)])
def test_sql_aggregates_agree_with_the_plain_reference(db, as_of) -> None:
    """The loader's SQL figures equal ``case_fields`` computed from every row in Python."""
    cases = random_cases(1500, seed=as_of.toordinal())
    with db.transaction(Permission.IMPORT) as s:
        s.add_all(Case(case_id=c.case_id, project=c.project, eligible_on=c.eligible_on, status=c.status,
                       enrolled_on=c.enrolled_on, not_enrolled_reason=c.reason, note=c.note, payer=c.payer) for c in cases)
    snap, _ = load_snapshot(db, as_of)
    expected = case_fields(cases, as_of, load_policy_file(2025), {default_fte_year(as_of)})
    assert expected["selective_candidates"] and expected["eligible_counts"]   # the data exercises them
    for name, value in expected.items():
        assert getattr(snap, name) == value, name
    assert snap.last_activity == max((c.enrolled_on for c in cases if c.enrolled_on and c.enrolled_on <= as_of), default=None)


def test_activity_years_and_latest_activity_take_every_source(db) -> None:
    with db.transaction(Permission.IMPORT) as s:
        s.add(Staff(staff_id="DS", name="D S", profession="dosimetrist"))
        s.add(Case(case_id="X", project="breast", eligible_on=D(2019, 5, 1), status="enrolled", enrolled_on=D(2019, 5, 2)))
        s.flush()
        s.add(DataEntry(date=D(2021, 3, 1), kind="other"))
        s.add(DosimetrySubmission(case_id="X", submitted_on=D(2023, 7, 1), staff_id="DS", technique="vmat",
                                  total_dose_gy=40, fractions=15))
        s.add(DataEntry(date=D(2025, 2, 1), kind="pro"))
    snap, _ = load_snapshot(db, D(2024, 6, 30))
    assert snap.activity_years == {2019, 2021, 2023} and snap.last_activity == D(2023, 7, 1)
    assert programs(db, D(2024, 6, 30)).data_history.contribution_years == (2019, 2021, 2023)


def test_meetings_after_the_as_of_date_are_listed_without_attendance(db) -> None:
    seed(db)
    with db.transaction(Permission.IMPORT) as s:
        s.add_all([Meeting(meeting_id="M1", date=D(2025, 3, 1), format="in_person"),
                   Meeting(meeting_id="M2", date=D(2025, 9, 1), format="virtual")])
        s.flush()
        s.add_all([Attendance(meeting_id=m, role=r, staff_id=p) for m in ("M1", "M2")
                   for r, p in (("clinical_champion", "CC"), ("physics_lead", "PL"), ("cda", "CD"))])
    snap, _ = load_snapshot(db, D(2025, 6, 30), cases=False)
    assert {m.meeting_id for m in snap.meetings} == {"M1", "M2"} and {a.meeting_id for a in snap.attendance} == {"M1"}
    assert snap.last_enrollment == {} and snap.last_activity is None        # case figures skipped
    assert [mv.meeting.meeting_id for mv in meeting_verdicts(db, 2025, D(2025, 6, 30))] == ["M1"]
    assert not any(f.rule.startswith("ATT-") for f in run_check(db, D(2025, 6, 30)).findings)


def test_sql_aggregates_agree_on_postgresql(pg_url: str) -> None:
    """The same queries on PostgreSQL (skipped when no server is reachable, required in CI)."""
    from app.services.facility import FacilityDetails, save_facility
    from tests.support import create

    db = create(pg_url)
    try:
        save_facility(db, FacilityDetails(name="PG RO", radiation_oncologists=2, joined_on=D(2019, 3, 1),
                                          baseline_year=2019), today=D(2025, 7, 1))
        cases = random_cases(800, seed=7)
        with db.transaction(Permission.IMPORT) as s:
            s.add_all(Case(case_id=c.case_id, project=c.project, eligible_on=c.eligible_on, status=c.status,
                           enrolled_on=c.enrolled_on, not_enrolled_reason=c.reason, note=c.note, payer=c.payer)
                      for c in cases)
        for as_of in (D(2025, 6, 30), D(2024, 1, 10)):
            snap, _ = load_snapshot(db, as_of)
            expected = case_fields(cases, as_of, load_policy_file(2025), {default_fte_year(as_of)})
            for name, value in expected.items():
                assert getattr(snap, name) == value, name
    finally:
        db.dispose()
