"""The register's flag column, judged in SQL at the as-of date: pending past the decision
window, not enrolled without an accepted reason, enrolled breast/lung case with no dosimetry."""

from __future__ import annotations

import datetime as dt

import pytest

from app.domain.permissions import Permission
from app.services.register import FlagPolicy, RegisterQuery, count_cases, fetch_page, flag_policy
from app.storage.models import Case, DosimetrySubmission, Staff

D = dt.date
AS_OF = D(2025, 6, 30)


@pytest.fixture
def flagged(db):
    return add_flagged_cases(db)


def add_flagged_cases(db):  # type: ignore[no-untyped-def]
    with db.transaction(Permission.IMPORT) as s:
        s.add(Staff(staff_id="PH", name="P H", profession="physicist"))
        s.add_all([
            Case(case_id="P-OLD", project="lung", eligible_on=D(2025, 5, 31), status="pending"),        # D − 30: flagged
            Case(case_id="P-NEW", project="lung", eligible_on=D(2025, 6, 1), status="pending"),         # D − 29: not yet
            Case(case_id="P-LATE", project="lung", eligible_on=D(2025, 3, 1), status="enrolled",
                 enrolled_on=D(2025, 7, 10)),                                                           # pending at D
            Case(case_id="N-BAD", project="breast", eligible_on=D(2025, 1, 5), status="not_enrolled",
                 not_enrolled_reason="measure_criteria"),
            Case(case_id="N-NONE", project="breast", eligible_on=D(2025, 1, 6), status="not_enrolled"),
            Case(case_id="N-OK", project="breast", eligible_on=D(2025, 1, 7), status="not_enrolled",
                 not_enrolled_reason="declined"),
            Case(case_id="E-NODOSE", project="breast", eligible_on=D(2025, 2, 1), status="enrolled",
                 enrolled_on=D(2025, 2, 3)),
            Case(case_id="E-DOSE", project="lung", eligible_on=D(2025, 2, 1), status="enrolled", enrolled_on=D(2025, 2, 3)),
            Case(case_id="E-LATEDOSE", project="lung", eligible_on=D(2025, 2, 2), status="enrolled",
                 enrolled_on=D(2025, 2, 3)),
            Case(case_id="E-PROSTATE", project="prostate", eligible_on=D(2025, 2, 1), status="enrolled",
                 enrolled_on=D(2025, 2, 3)),                                                            # no dosimetry needed
        ])
        s.flush()
        s.add_all([DosimetrySubmission(case_id="E-DOSE", submitted_on=D(2025, 3, 1), staff_id="PH", technique="vmat",
                                       total_dose_gy=60, fractions=30),
                   DosimetrySubmission(case_id="E-LATEDOSE", submitted_on=D(2025, 7, 1), staff_id="PH",
                                       technique="vmat", total_dose_gy=60, fractions=30)])
    return db


def flags_of(db, policy: FlagPolicy, **query) -> dict[str, str | None]:
    q = RegisterQuery(flag_policy=policy, sort_column="case_id", descending=False, **query)
    return {row[0]: row[-1] for row in fetch_page(db, q, 0, 100)}


def test_each_flag_at_the_as_of_date(flagged) -> None:
    policy = flag_policy(flagged, AS_OF)
    assert policy == FlagPolicy(AS_OF, 30, policy.accepted_reasons) and "declined" in policy.accepted_reasons
    assert flags_of(flagged, policy) == {
        "P-OLD": "pending_past_window", "P-NEW": None, "P-LATE": "pending_past_window",
        "N-BAD": "reason_not_accepted", "N-NONE": "reason_not_accepted", "N-OK": None,
        "E-NODOSE": "missing_dosimetry", "E-DOSE": None, "E-LATEDOSE": "missing_dosimetry", "E-PROSTATE": None}


def test_a_later_date_judges_again(flagged) -> None:
    later = flag_policy(flagged, D(2025, 7, 15))
    found = flags_of(flagged, later)
    assert found["P-NEW"] == "pending_past_window" and found["P-LATE"] == "missing_dosimetry"   # enrolled July 10
    assert found["E-LATEDOSE"] is None                                                           # submitted July 1


@pytest.mark.parametrize(("flags", "expected"), [
    (("pending_past_window",), {"P-OLD", "P-LATE"}),
    (("reason_not_accepted",), {"N-BAD", "N-NONE"}),
    (("missing_dosimetry",), {"E-NODOSE", "E-LATEDOSE"}),
    (("pending_past_window", "reason_not_accepted", "missing_dosimetry"), {"P-OLD", "P-LATE", "N-BAD", "N-NONE",
                                                                           "E-NODOSE", "E-LATEDOSE"}),
])
def test_filtered_by_flag_in_sql(flagged, flags, expected) -> None:
    policy = flag_policy(flagged, AS_OF)
    query = RegisterQuery(flag_policy=policy, flags=flags)
    assert count_cases(flagged, query) == len(expected)
    assert set(flags_of(flagged, policy, flags=flags)) == expected


def test_without_a_policy_no_flag_and_no_filter(flagged) -> None:
    assert set(flags_of(flagged, None).values()) == {None}
    assert count_cases(flagged, RegisterQuery(flags=("missing_dosimetry",))) == 10
