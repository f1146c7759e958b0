"""Each case-state predicate's SQL agrees with its Python reference on random cases and dates,
and the Python halves agree with the rules' own (``app.rules.snapshot``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

from sqlalchemy import delete, insert, select

from app.rules.policy_file import load_policy
from app.rules.snapshot import selective_reason_flagged, status_at, undecided_at
from app.services import case_state as cs
from app.services.register import FlagPolicy, flag_conditions
from app.storage.database import Database
from app.storage.models import Case, DosimetrySubmission, Staff

REASONS = (None, "", "declined", "unable_to_consent", "not_treated", "transferred", "deceased",
           "ineligible_on_review", "other", "measure_criteria")
START = dt.date(2024, 1, 1)


def random_cases(rng: random.Random, n: int) -> list[dict]:
    """Cases of every shape the data allows and some it should not (an enrolled status dated later,
    a reason on a pending case), since the SQL must agree on whatever is stored."""
    cases = []
    for i in range(n):
        eligible = START + dt.timedelta(days=rng.randrange(500))
        status = rng.choice(("pending", "enrolled", "not_enrolled"))
        enrolled = eligible + dt.timedelta(days=rng.randrange(120)) if status == "enrolled" or rng.random() < 0.05 else None
        cases.append({"case_id": f"R{i:04d}", "project": rng.choice(("breast", "lung", "prostate", "bone_mets")),
                      "primary_site": None, "eligible_on": eligible, "status": status, "enrolled_on": enrolled,
                      "not_enrolled_reason": rng.choice(REASONS)})
    return cases


def pairs(as_of: dt.date, decision: int, accepted: tuple[str, ...], submissions: dict[str, list[dt.date]]) -> dict:
    """Each predicate at ``as_of``: (its SQL, its Python reference over a stored case's fields)."""
    flags = flag_conditions(FlagPolicy(as_of, decision, accepted))
    return {
        "status": (cs.status_at_sql(as_of), lambda c: status_at(c["status"], c["enrolled_on"], as_of)),
        "enrolled": (cs.enrolled_at_sql(as_of), lambda c: cs.enrolled_at(c["enrolled_on"], as_of)),
        "not enrolled by": (cs.not_enrolled_by_sql(as_of), lambda c: not cs.enrolled_at(c["enrolled_on"], as_of)),
        "pending": (cs.pending_at_sql(as_of), lambda c: cs.pending_at(c["status"], c["enrolled_on"], as_of)),
        "reason not accepted": (cs.reason_not_accepted_sql(accepted),
                                lambda c: cs.reason_not_accepted(c["not_enrolled_reason"], accepted)),
        "reason flagged": (cs.reason_flagged_sql(accepted),
                           lambda c: cs.reason_flagged(c["not_enrolled_reason"], accepted)),
        "undecided": (cs.undecided_sql(as_of, accepted), lambda c: cs.undecided(
            c["status"], c["enrolled_on"], c["not_enrolled_reason"], as_of, accepted)),
        "selective candidate": (cs.selective_candidate_sql(as_of, accepted), lambda c: cs.selective_candidate(
            c["status"], c["enrolled_on"], c["not_enrolled_reason"], as_of, accepted)),
        "pending_past_window": (flags["pending_past_window"], lambda c: cs.pending_past_window(
            c["status"], c["enrolled_on"], c["eligible_on"], as_of, decision)),
        "reason_not_accepted": (flags["reason_not_accepted"], lambda c: cs.not_enrolled_unexplained(
            c["status"], c["not_enrolled_reason"], accepted)),
        "missing_dosimetry": (flags["missing_dosimetry"], lambda c: cs.missing_dosimetry(
            c["project"], c["enrolled_on"], submissions.get(c["case_id"], []), as_of)),
    }


def test_sql_and_python_agree_on_random_cases(db: Database) -> None:
    rng = random.Random(20261207)
    policy = load_policy(None, dt.date(2025, 6, 30))
    accepted = policy.accepted_reasons
    cases = random_cases(rng, 400)
    submissions = {c["case_id"]: [c["eligible_on"] + dt.timedelta(days=rng.randrange(1, 200))]
                   for c in cases if c["enrolled_on"] and rng.random() < 0.5}
    with db.transaction(None) as session:
        session.execute(delete(Case))
        session.execute(insert(Staff), [{"staff_id": "P1", "name": "Phys", "profession": "physicist"}])
        session.execute(insert(Case), cases)
        session.execute(insert(DosimetrySubmission), [
            {"case_id": cid, "submitted_on": day, "staff_id": "P1", "technique": "IMRT", "total_dose_gy": 40.0,
             "fractions": 15} for cid, days in submissions.items() for day in days])
    by_id = {c["case_id"]: c for c in cases}
    for as_of in [START + dt.timedelta(days=rng.randrange(700)) for _ in range(12)]:
        decision = rng.choice((30, 45, 90))
        predicates = pairs(as_of, decision, accepted, submissions)
        with db.reader() as session:
            for name, (sql, python) in predicates.items():
                stored = dict(session.execute(select(Case.case_id, sql)).all())
                for case_id, value in stored.items():
                    expected = python(by_id[case_id])
                    assert (value if name == "status" else bool(value)) == expected, (name, as_of, by_id[case_id])


def test_the_python_halves_agree_with_the_rules() -> None:
    rng = random.Random(7)
    policy = load_policy(None, dt.date(2025, 6, 30))
    narrow = dataclasses.replace(policy, accepted_reasons=("declined", "other"))
    for case in random_cases(rng, 2000):
        for p in (policy, narrow):
            as_of = START + dt.timedelta(days=rng.randrange(700))
            state = status_at(case["status"], case["enrolled_on"], as_of)
            reason = case["not_enrolled_reason"]
            assert cs.reason_flagged(reason, p.accepted_reasons) == selective_reason_flagged(reason, p)
            assert (cs.undecided(case["status"], case["enrolled_on"], reason, as_of, p.accepted_reasons)
                    == undecided_at(state, reason, p))
            assert cs.selective_candidate(case["status"], case["enrolled_on"], reason, as_of, p.accepted_reasons) == (
                state == "pending" or (state == "not_enrolled" and selective_reason_flagged(reason, p)))
