"""QIP-ENR-ZERO, QIP-ENR-DECLINE, QIP-ENR-SELECTIVE, ENR-REASON-OTHER, PART-VOLUME: both sides of each edge."""

from __future__ import annotations

import datetime as dt

import pytest

from app.rules import enrollment
from app.rules.snapshot import CaseRecord, FacilityInfo, case_fields
from tests.unit.rules_builders import AS_OF, JOINED, POLICY, D, pause, snapshot

ALL = {"breast": AS_OF, "prostate": AS_OF, "bone_mets": AS_OF}


def rules(findings, rule: str):
    return [f for f in findings if f.rule == rule]


def with_cases(cases, as_of: dt.date = AS_OF, **changes):
    """A snapshot whose case figures come from these rows, as the SQL loader would compute them."""
    fields = case_fields(cases, as_of, POLICY)
    fields.update(changes)
    return snapshot(**fields)


@pytest.mark.parametrize(("last_lung", "fires", "days"), [
    (AS_OF - dt.timedelta(days=29), False, 29),
    (AS_OF - dt.timedelta(days=30), True, 30),
    (None, True, (AS_OF - D(2025, 1, 1)).days),  # never: the period start bounds the window
])
def test_zero_enrollment_threshold(last_lung, fires, days) -> None:
    last = dict(ALL) | ({"lung": last_lung} if last_lung else {})
    found = rules(enrollment.enrollment_zero(snapshot(last_enrollment=last), POLICY, AS_OF), "QIP-ENR-ZERO")
    assert bool(found) is fires
    if fires:
        assert found[0].subject == {"project": "lung"}
        assert found[0].evidence["days_without_enrollment"] == days
        assert "No eligible cases were seen" in found[0].message


def test_period_start_grace_resets_the_window() -> None:
    """Last lung enrollment in October; the new period starts January 1: 29 days on the 30th, 30 on the 31st."""
    def run(as_of: dt.date):
        last = {"lung": D(2024, 10, 1), "breast": as_of, "prostate": as_of, "bone_mets": as_of}
        return enrollment.enrollment_zero(snapshot(last_enrollment=last), POLICY, as_of)

    assert run(D(2025, 1, 30)) == []
    [found] = run(D(2025, 1, 31))
    assert found.evidence["window_start"] == D(2025, 1, 1) and found.evidence["days_without_enrollment"] == 30


def test_join_date_is_the_earliest_window() -> None:
    joined = snapshot().facility.__class__("New RO", D(2025, 6, 10), 2025, 2, ("lung",))
    assert not enrollment.enrollment_zero(snapshot(facility=joined, last_enrollment={}), POLICY, AS_OF)


@pytest.mark.parametrize(("absence", "fires"), [
    (pause(D(2025, 6, 1), D(2025, 6, 10)), False),                   # approved, every project: 39 - 10 = 29
    (pause(D(2025, 6, 1), D(2025, 6, 10), approved=False), True),
    (pause(D(2025, 6, 1), D(2025, 6, 10), project="breast"), True),  # another project's pause does not count
    (pause(D(2025, 6, 1), D(2025, 6, 10), project="lung"), False),
])
def test_approved_pause_covering_the_project_is_not_counted(absence, fires) -> None:
    last = dict(ALL) | {"lung": AS_OF - dt.timedelta(days=39)}   # 39 days, 10 paused → 29
    found = enrollment.enrollment_zero(snapshot(last_enrollment=last, absences=(absence,)), POLICY, AS_OF)
    assert bool(found) is fires


def test_eligible_cases_seen_are_evidence() -> None:
    cases = [CaseRecord(p, p, AS_OF, "enrolled", AS_OF) for p in ("breast", "prostate", "bone_mets")]
    cases += [CaseRecord("L0", "lung", AS_OF - dt.timedelta(days=50), "enrolled", AS_OF - dt.timedelta(days=45)),
              CaseRecord("L1", "lung", AS_OF - dt.timedelta(days=3)),
              CaseRecord("L2", "lung", AS_OF - dt.timedelta(days=20), "not_enrolled", reason="declined"),
              CaseRecord("L9", "lung", AS_OF - dt.timedelta(days=46)),  # before W: not evidence
              CaseRecord("L3", "lung", AS_OF - dt.timedelta(days=10), "enrolled", AS_OF + dt.timedelta(days=1))]
    [found] = enrollment.enrollment_zero(with_cases(cases), POLICY, AS_OF)
    assert found.subject == {"project": "lung"} and found.evidence["days_without_enrollment"] == 45
    # eligible after the last enrollment (W = D - 45): L1, L2, and L3 whose enrollment is after D
    assert found.evidence["eligible_case_ids"] == ["L1", "L2", "L3"] and found.evidence["eligible_cases_seen"] == 3
    assert "3 eligible case(s)" in found.message


def test_enrollment_after_the_as_of_date_does_not_count() -> None:
    cases = [CaseRecord(p, p, AS_OF, "enrolled", AS_OF) for p in ("breast", "prostate", "bone_mets")]
    cases += [CaseRecord("L1", "lung", D(2025, 5, 1), "enrolled", D(2025, 7, 1))]
    [found] = enrollment.enrollment_zero(with_cases(cases), POLICY, AS_OF)
    assert found.evidence["last_enrollment"] is None and found.evidence["window_start"] == D(2025, 1, 1)
    assert enrollment.enrollment_zero(with_cases(cases, as_of=D(2025, 7, 1)), POLICY, D(2025, 7, 1)) == []


@pytest.mark.parametrize(("facility_start", "policy_start", "window_start"), [
    (None, "01-01", D(2025, 1, 1)),        # the policy's month-day when the facility sets none
    (None, "07-01", D(2024, 7, 1)),        # the latest start on or before D (July 1 2025 is after D)
    ("06-15", "01-01", D(2025, 6, 15)),    # the facility's own period start wins: 15 days, no trigger
    ("02-29", "01-01", D(2025, 2, 28)),    # a leap-day start falls on February 28 in other years
])
def test_period_start_param(facility_start, policy_start, window_start) -> None:
    from dataclasses import replace
    facility = FacilityInfo("Test RO", JOINED, 2018, 4, ("lung",), facility_start)
    found = enrollment.enrollment_zero(snapshot(facility=facility, last_enrollment={}),
                                       replace(POLICY, period_start=policy_start), AS_OF)
    assert enrollment.period_start(facility_start or policy_start, AS_OF) == window_start
    assert bool(found) is ((AS_OF - window_start).days >= 30)


def monthly(this_year: int, last_year: int, months: int = 6) -> dict[tuple[int, int], int]:
    counts = {}
    for m in range(1, months + 1):
        counts[(2025, m)] = this_year // months + (1 if m <= this_year % months else 0)
        counts[(2024, m)] = last_year // months + (1 if m <= last_year % months else 0)
    return counts


@pytest.mark.parametrize(("current", "previous", "fires"), [
    (80, 100, True),    # exactly 20%
    (81, 100, False),   # 19%
    (0, 0, False),      # nothing last year: no comparison
    (5, 0, False),
    (799, 1000, True),
    (801, 1000, False),
])
def test_decline_boundary_in_exact_arithmetic(current, previous, fires) -> None:
    found = enrollment.enrollment_decline(snapshot(monthly_enrollments=monthly(current, previous)), POLICY, AS_OF)
    assert bool(found) is fires
    if fires:
        assert found[0].evidence["enrollments"] == current and len(found[0].evidence["months"]) == 6


def test_decline_uses_the_last_complete_month() -> None:
    counts = monthly(80, 100) | {(2025, 6): 0, (2024, 6): 50}
    assert enrollment.last_complete_month(D(2025, 6, 29)) == (2025, 5)
    assert enrollment.last_complete_month(D(2025, 6, 30)) == (2025, 6)
    assert enrollment.last_complete_month(D(2025, 1, 15)) == (2024, 12)
    found = enrollment.enrollment_decline(snapshot(monthly_enrollments=counts), POLICY, D(2025, 6, 29))
    assert found[0].evidence["through_month"] == "2025-05"


def case(cid: str, days_ago: int, status: str = "pending", reason: str | None = None, note: str | None = None,
         enrolled_days_ago: int | None = None) -> CaseRecord:
    enrolled = AS_OF - dt.timedelta(days=enrolled_days_ago) if enrolled_days_ago is not None else None
    return CaseRecord(cid, "breast", AS_OF - dt.timedelta(days=days_ago), status, enrolled, reason, note)


@pytest.mark.parametrize(("c", "fires"), [
    (case("A", 29), False),                       # inside the decision window
    (case("A", 30), True),                        # eligible exactly D - 30: decided by now
    (case("A", 364), True),
    (case("A", 365), False),                      # eligible exactly D - 365: outside (D - 365, ...]
    (case("A", 100, "enrolled", enrolled_days_ago=90), False),
    (case("A", 100, "enrolled", enrolled_days_ago=-1), True),   # enrolled the day after D: pending at D
    (case("A", 100, "not_enrolled", "declined"), False),
    (case("A", 100, "not_enrolled", None), True),
    (case("A", 100, "not_enrolled", ""), True),
    (case("A", 100, "not_enrolled", "measure_criteria"), True),
    (case("A", 100, "not_enrolled", "other", "moved"), False),
])
def test_selective_enrollment_window_and_reasons(c, fires) -> None:
    found = rules(enrollment.selective_enrollment(with_cases([c]), POLICY, AS_OF), "QIP-ENR-SELECTIVE")
    assert bool(found) is fires
    if fires:
        assert [x["case_id"] for x in found[0].evidence["cases"]] == ["A"] and found[0].evidence["case_count"] == 1


def test_selective_evidence_says_why_and_lists_each_case() -> None:
    cases = [case("P", 40), case("M", 50, "not_enrolled", "measure_criteria"), case("N", 60, "not_enrolled"),
             case("F", 70, "enrolled", enrolled_days_ago=-3)]
    [found] = enrollment.selective_enrollment(with_cases(cases), POLICY, AS_OF)
    by_id = {c["case_id"]: c for c in found.evidence["cases"]}
    assert list(by_id) == ["F", "N", "M", "P"]                     # oldest eligible first
    assert by_id["F"]["status"] == "pending" and "performance-measure" in by_id["M"]["problem"]
    assert "no reason" in by_id["N"]["problem"] and found.severity == "trigger" and found.subject == {}


def test_reason_other_is_a_warning_per_case() -> None:
    found = enrollment.selective_enrollment(with_cases([case("O1", 50, "not_enrolled", "other", "moved")]), POLICY, AS_OF)
    assert [(f.rule, f.kind, f.severity, f.subject) for f in found] == [("ENR-REASON-OTHER", "qip", "warning", {"case": "O1"})]
    assert "moved" in found[0].message


@pytest.mark.parametrize(("counted", "bone", "fires"), [(149, 40, True), (150, 0, False), (0, 200, True)])
def test_volume_counts_breast_lung_prostate_only(counted, bone, fires) -> None:
    cases = [CaseRecord(f"C{i}", ("breast", "lung", "prostate")[i % 3], AS_OF - dt.timedelta(days=i % 365))
             for i in range(counted)]
    cases += [CaseRecord(f"B{i}", "bone_mets", AS_OF - dt.timedelta(days=5)) for i in range(bone)]
    cases += [CaseRecord("OLD", "breast", AS_OF - dt.timedelta(days=365)),   # outside (D - 365, D]
              CaseRecord("NEXT", "breast", AS_OF + dt.timedelta(days=1))]    # after D
    found = enrollment.participation_volume(with_cases(cases), POLICY, AS_OF)
    assert bool(found) is fires
    if fires:
        assert found[0].evidence["by_project"]["bone_mets"] == bone and found[0].evidence["counted_cases"] == counted
        assert (found[0].rule, found[0].kind, found[0].severity) == ("PART-VOLUME", "participation", "warning")
