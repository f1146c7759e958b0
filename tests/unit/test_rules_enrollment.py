"""QIP-ENR-ZERO, QIP-ENR-DECLINE, QIP-ENR-SELECTIVE, ENR-REASON-OTHER, PART-VOLUME: both sides of each edge."""

from __future__ import annotations

import datetime as dt

import pytest

from app.rules import enrollment
from app.rules.snapshot import RecentCase
from tests.unit.rules_builders import AS_OF, POLICY, D, pause, snapshot

ALL = {"breast": AS_OF, "prostate": AS_OF, "bone_mets": AS_OF}


def rules(findings, rule: str):
    return [f for f in findings if f.rule == rule]


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
    cases = (RecentCase("L1", "lung", AS_OF - dt.timedelta(days=3), "pending"),)
    last = dict(ALL) | {"lung": AS_OF - dt.timedelta(days=45)}
    [found] = enrollment.enrollment_zero(snapshot(last_enrollment=last, recent_cases=cases), POLICY, AS_OF)
    assert found.evidence["eligible_case_ids"] == ["L1"] and "1 eligible case(s)" in found.message


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


def case(cid: str, days_ago: int, status: str = "pending", reason: str | None = None, note: str | None = None):
    return RecentCase(cid, "breast", AS_OF - dt.timedelta(days=days_ago), status, reason, note)


@pytest.mark.parametrize(("c", "fires"), [
    (case("A", 29), False),                       # inside the decision window
    (case("A", 30), True),                        # eligible exactly D - 30: decided by now
    (case("A", 364), True),
    (case("A", 365), False),                      # eligible exactly D - 365: outside (D - 365, ...]
    (case("A", 100, "enrolled"), False),
    (case("A", 100, "not_enrolled", "declined"), False),
    (case("A", 100, "not_enrolled", None), True),
    (case("A", 100, "not_enrolled", "measure_criteria"), True),
    (case("A", 100, "not_enrolled", "other", "moved"), False),
])
def test_selective_enrollment_window_and_reasons(c, fires) -> None:
    found = rules(enrollment.selective_enrollment(snapshot(recent_cases=(c,)), POLICY, AS_OF), "QIP-ENR-SELECTIVE")
    assert bool(found) is fires


def test_reason_other_is_a_warning_per_case() -> None:
    found = enrollment.selective_enrollment(snapshot(recent_cases=(case("O1", 50, "not_enrolled", "other", "moved"),)),
                                            POLICY, AS_OF)
    assert [(f.rule, f.kind, f.severity, f.subject) for f in found] == [("ENR-REASON-OTHER", "qip", "warning", {"case": "O1"})]


@pytest.mark.parametrize(("counted", "bone", "fires"), [(149, 40, True), (150, 0, False)])
def test_volume_counts_breast_lung_prostate_only(counted, bone, fires) -> None:
    cases = tuple(RecentCase(f"C{i}", ("breast", "lung", "prostate")[i % 3], AS_OF - dt.timedelta(days=i % 300), "enrolled")
                  for i in range(counted))
    cases += tuple(RecentCase(f"B{i}", "bone_mets", AS_OF - dt.timedelta(days=5), "enrolled") for i in range(bone))
    cases += (RecentCase("OLD", "breast", AS_OF - dt.timedelta(days=365), "enrolled"),)  # outside (D - 365, D]
    found = enrollment.participation_volume(snapshot(recent_cases=cases), POLICY, AS_OF)
    assert bool(found) is fires
    if fires:
        assert found[0].evidence["by_project"]["bone_mets"] == bone
