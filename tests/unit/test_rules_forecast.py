"""Forecasts: the distance to each threshold and the day the rule fires if nothing changes.

Every ``fires_on`` is checked against the rule itself, evaluated on the records as they stood at
D: it does not fire the day before, it fires on the day and the day after. Past as-of dates are
judged only by what was on record then (a later reply, attendance or enrollment is ignored).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from app.rules import correspondence, data_lag, engine, enrollment, forecast, meetings, roles
from app.rules.snapshot import AttendanceInfo, CaseRecord, Letter, RoleSpan, case_fields
from tests.unit.rules_builders import (
    AS_OF,
    JOINED,
    POLICY,
    D,
    full_attendance,
    leave,
    meeting,
    pause,
    snapshot,
)

PAST = D(2023, 3, 14)
ONE = dt.timedelta(days=1)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def one(forecasts, rule: str, **subject):
    [found] = [f for f in forecasts if f.rule == rule and f.subject == subject]
    return found


def fires(rule_fn, snap, rule: str, day: dt.date, **subject) -> bool:
    """The rule's finding for ``subject`` at ``day`` (a trigger; PART-* rules are warnings)."""
    severity = ("warning",) if rule in (enrollment.RULE_VOLUME, roles.RULE_OPTIONAL) else ("trigger", "violation")
    return any(f.rule == rule and f.subject == subject and f.severity in severity for f in rule_fn(snap, POLICY, day))


def assert_boundary(rule_fn, snap, rule: str, fires_on: dt.date, **subject) -> None:
    """The rule is quiet the day before ``fires_on`` and fires on it and the day after."""
    assert not fires(rule_fn, snap, rule, fires_on - ONE, **subject)
    assert fires(rule_fn, snap, rule, fires_on, **subject)
    assert fires(rule_fn, snap, rule, fires_on + ONE, **subject)


@pytest.mark.parametrize("as_of", [AS_OF, PAST])
@pytest.mark.parametrize("since", [29, 24, 1])
def test_zero_enrollment_fires_when_the_count_reaches_the_limit(as_of, since) -> None:
    last = {p: as_of for p in ("breast", "prostate", "bone_mets")} | {"lung": as_of - days(since)}
    snap = snapshot(last_enrollment=last)
    f = one(enrollment.zero_forecasts(snap, POLICY, as_of), "QIP-ENR-ZERO", project="lung")
    assert (f.value, f.distance, f.fires_on) == (since, 30 - since, as_of + days(30 - since))
    assert f.text.startswith(f"Lung: day {since} of 30 — fires on {f.fires_on.isoformat()} without an enrollment")
    assert_boundary(enrollment.enrollment_zero, snap, "QIP-ENR-ZERO", f.fires_on, project="lung")


def test_zero_enrollment_on_the_day_it_fires_has_distance_zero() -> None:
    last = {p: AS_OF for p in ("breast", "prostate", "bone_mets")} | {"lung": AS_OF - days(30)}
    f = one(enrollment.zero_forecasts(snapshot(last_enrollment=last), POLICY, AS_OF), "QIP-ENR-ZERO", project="lung")
    assert (f.distance, f.fires_on, f.firing) == (0, AS_OF, True)


def test_a_known_pause_ahead_moves_the_date() -> None:
    last = {p: AS_OF for p in ("breast", "prostate", "bone_mets")} | {"lung": AS_OF - days(24)}
    snap = snapshot(last_enrollment=last, absences=(pause(AS_OF - days(1), AS_OF + days(3), project="lung"),))
    # 24 days, of which D − 1 and D paused: 22; the 3 paused days ahead do not count, then 8 more
    f = one(enrollment.zero_forecasts(snap, POLICY, AS_OF), "QIP-ENR-ZERO", project="lung")
    assert (f.value, f.distance) == (22, 8) and f.fires_on == AS_OF + days(3 + 8)
    assert_boundary(enrollment.enrollment_zero, snap, "QIP-ENR-ZERO", f.fires_on, project="lung")


def test_a_new_enrollment_period_resets_the_count_before_it_fires() -> None:
    as_of = D(2024, 12, 20)
    last = {p: as_of for p in ("breast", "prostate", "bone_mets")} | {"lung": D(2024, 12, 10)}
    snap = snapshot(last_enrollment=last)
    f = one(enrollment.zero_forecasts(snap, POLICY, as_of), "QIP-ENR-ZERO", project="lung")
    assert f.value == 10 and f.fires_on == D(2025, 1, 31)  # 21 on Dec 31; Jan 1 restarts it: 30 on Jan 31
    assert_boundary(enrollment.enrollment_zero, snap, "QIP-ENR-ZERO", f.fires_on, project="lung")


@pytest.mark.parametrize("as_of", [AS_OF, PAST])
def test_data_lag_counts_only_days_that_are_not_excused(as_of) -> None:
    snap = snapshot(last_activity=as_of - days(26), absences=(leave("CDA", as_of - days(2), as_of + days(2)),),
                    roles=tuple(r for r in snapshot().roles))
    f = one(data_lag.lag_forecasts(snap, POLICY, as_of), "QIP-DATA-LAG")
    # 26 days, D − 2 to D excused (the only CDA on leave): 23 of 30; 2 leave days ahead, then 8 to exceed 30
    assert (f.value, f.distance) == (23, 8) and f.fires_on == as_of + days(2 + 8)
    assert f.text.startswith("Data entry: 23 of 30 days — fires on")
    assert_boundary(data_lag.data_lag, snap, "QIP-DATA-LAG", f.fires_on)


def champion_missed(mids: list[str]) -> list[AttendanceInfo]:
    return [a for mid in mids for a in full_attendance(mid) if a.role != "clinical_champion"]


@pytest.mark.parametrize("year", [2025, 2023])
def test_the_meeting_that_takes_a_role_over_the_limit_fires(year) -> None:
    held = [meeting(f"M{i}", D(year, i * 2, 10)) for i in range(1, 4)]          # Feb, Apr, Jun
    ahead = [meeting("M4", D(year, 9, 19)), meeting("M5", D(year, 11, 14)), meeting("N1", D(year + 1, 2, 1))]
    attendance = champion_missed(["M1", "M2"]) + full_attendance("M3") + full_attendance("M4")  # M4: not yet held
    snap = snapshot(meetings=tuple(held + ahead), attendance=tuple(attendance))
    as_of = D(year, 6, 30)
    found = meetings.missed_forecasts(snap, POLICY, as_of)
    f = one(found, "QIP-MTG-MISSED", role="clinical_champion")
    assert (f.value, f.distance, f.fires_on) == (2, 1, D(year, 9, 19))
    assert f.text == f"Clinical champion: 2 of 2 meetings missed — the next uncovered meeting ({year}-09-19) fire(s) the trigger."
    assert f.close(POLICY, as_of)  # one step away: amber even though the date is months ahead
    frozen = forecast.as_it_stood(snap, as_of)
    assert_boundary(meetings.attendance_findings, frozen, "QIP-MTG-MISSED", f.fires_on, role="clinical_champion")
    # the physics lead needs three more misses; only two meetings are left this year: no date
    physics = one(found, "QIP-MTG-MISSED", role="physics_lead")
    assert (physics.distance, physics.fires_on, physics.close(POLICY, as_of)) == (3, None, False)


def test_the_champion_substitution_limit_is_counted_but_not_dated() -> None:
    held = [meeting("M1", D(2025, 2, 10))]
    attendance = [AttendanceInfo("M1", "clinical_champion", "RO2"), *champion_missed(["M1"])]
    snap = snapshot(meetings=tuple(held), attendance=tuple(attendance))
    f = one(meetings.substitution_forecasts(snap, POLICY, AS_OF), "ATT-CC-SUB-LIMIT", role="clinical_champion")
    assert (f.value, f.distance, f.fires_on) == (1, 1, None) and f.close(POLICY, AS_OF)


def test_a_champion_substitution_over_the_limit_is_fired_and_the_rule_fires() -> None:
    """Fired (distance 0, ``fires_on`` the as-of date) only when the rule itself fires that day: for
    the champion, at the meeting that went over the limit."""
    held = [meeting("M1", D(2025, 2, 10)), meeting("M2", D(2025, 4, 10))]
    attendance = [a for mid in ("M1", "M2")
                  for a in (AttendanceInfo(mid, "clinical_champion", "RO2"), *champion_missed([mid]))]
    snap = snapshot(meetings=tuple(held), attendance=tuple(attendance))
    f = one(meetings.substitution_forecasts(snap, POLICY, AS_OF), "ATT-CC-SUB-LIMIT", role="clinical_champion")
    assert (f.value, f.distance, f.fires_on) == (2, 0, AS_OF) and f.firing
    [found] = [x for x in engine.evaluate(snap, POLICY, AS_OF) if x.rule == "ATT-CC-SUB-LIMIT"]
    assert found.subject == {"role": "clinical_champion", "meeting": D(2025, 4, 10)} and found.severity == "violation"


@pytest.mark.parametrize("as_of", [AS_OF, PAST])
def test_a_second_late_letter_fires_the_day_after_it_is_due(as_of) -> None:
    letters = (
        Letter(as_of - days(40), "late one", True, replied_on=None),                      # due D − 26: late
        Letter(as_of - days(11), "waiting", True, replied_on=as_of + days(1)),            # due D + 3; replied later
        Letter(as_of - days(5), "no reply needed", False),
    )
    snap = snapshot(letters=letters)
    f = one(correspondence.reply_forecasts(snap, POLICY, as_of), "QIP-CORR-NORESPONSE")
    # the reply dated after D is not on record at D: if nothing changes, the letter is late on D + 4
    assert (f.value, f.distance, f.fires_on) == (1, 1, as_of + days(4))
    assert f"first due {(as_of + days(3)).isoformat()}" in f.text and "a second late letter fires" in f.text
    assert_boundary(correspondence.correspondence, forecast.as_it_stood(snap, as_of), "QIP-CORR-NORESPONSE", f.fires_on)


@pytest.mark.parametrize("as_of", [AS_OF, PAST])
def test_a_role_falls_vacant_the_day_after_its_assignment_ends(as_of) -> None:
    spans = tuple(r if r.role != "physics_lead" else replace(r, end=as_of + days(10)) for r in snapshot().roles)
    snap = snapshot(roles=spans)
    found = roles.vacancy_forecasts(snap, POLICY, as_of)
    f = one(found, "QIP-ROLE-VACANT", role="physics_lead")
    assert (f.value, f.distance, f.fires_on) == (1, 1, as_of + days(11))
    assert_boundary(roles.vacancies, snap, "QIP-ROLE-VACANT", f.fires_on, role="physics_lead")
    assert one(found, "QIP-ROLE-VACANT", role="cda").fires_on is None  # no end date
    # a second holder whose assignment runs on keeps it held
    two = snapshot(roles=(*spans, RoleSpan("PH2", "physics_lead", JOINED, as_of + days(40))))
    assert one(roles.vacancy_forecasts(two, POLICY, as_of), "QIP-ROLE-VACANT", role="physics_lead").fires_on \
        == as_of + days(41)


@pytest.mark.parametrize("as_of", [AS_OF, PAST])
def test_a_case_undecided_inside_the_window_fires_when_it_leaves_it(as_of) -> None:
    done = [CaseRecord(f"E{i}", "breast", as_of - days(100 + i), "enrolled", as_of - days(90)) for i in range(3)]
    cases = [*done,
             CaseRecord("P1", "lung", as_of - days(25)),                                          # pending at D
             CaseRecord("P2", "lung", as_of - days(27), "enrolled", as_of + days(1)),              # enrolled after D
             CaseRecord("OK", "lung", as_of - days(29), "not_enrolled", reason="declined"),
             CaseRecord("OT", "lung", as_of - days(29), "not_enrolled", reason="other", note="n")]
    fields = case_fields(cases, as_of, POLICY)
    assert [c.case_id for c in fields["undecided_soon"]] == ["P2", "P1"]      # oldest first; OK and OT decided
    assert snapshot(**fields).next_undecided_eligible_on == as_of - days(27)
    f = one(enrollment.selective_forecasts(snapshot(**fields), POLICY, as_of), "QIP-ENR-SELECTIVE")
    assert [c["case_id"] for c in f.evidence["cases"]] == ["P2", "P1"]
    assert f.evidence["cases"][0]["leaves_window_on"] == as_of + days(3)
    assert (f.value, f.distance, f.fires_on) == (0, 1, as_of + days(3))

    def at(day):  # the records as they stood at D, judged later: P2's later enrollment unknown
        frozen = [c if c.case_id != "P2" else replace(c, status="pending", enrolled_on=None) for c in cases]
        return snapshot(**case_fields(frozen, day, POLICY))

    for day, expected in ((f.fires_on - ONE, False), (f.fires_on, True), (f.fires_on + ONE, True)):
        assert fires(enrollment.selective_enrollment, at(day), "QIP-ENR-SELECTIVE", day) is expected


def monthly(this: dict[int, int], last: dict[int, int], year: int = 2025) -> dict[tuple[int, int], int]:
    return {(year, m): n for m, n in this.items()} | {(year - 1, m): n for m, n in last.items()}


@pytest.mark.parametrize("year", [2025, 2023])
def test_enrollment_decline_fires_at_the_month_end_last_year_pulls_ahead(year) -> None:
    this = {m: 10 for m in range(1, 7)}
    last = {m: 10 for m in range(1, 9)}
    snap = snapshot(monthly_enrollments=monthly(this, last, year))
    f = one(enrollment.decline_forecasts(snap, POLICY, D(year, 6, 30)), "QIP-ENR-DECLINE")
    # 60 vs 60: fires at 48 or fewer; July end: 60 vs 70 (14%); August end: 60 vs 80 (25%)
    assert (f.distance, f.fires_on) == (12, D(year, 8, 31))
    assert_boundary(enrollment.enrollment_decline, snap, "QIP-ENR-DECLINE", f.fires_on)


@pytest.mark.parametrize("as_of", [AS_OF, PAST])
def test_participation_volume_falls_as_cases_leave_the_year(as_of) -> None:
    counts = {("breast", as_of - days(300)): 2, ("lung", as_of - days(200)): 1, ("prostate", as_of - days(10)): 149,
              ("bone_mets", as_of - days(250)): 40}
    snap = snapshot(eligible_counts=counts)
    f = one(enrollment.volume_forecasts(snap, POLICY, as_of), "PART-VOLUME")
    # 152 counted, 150 expected: fires when 3 have left, the lung case on D − 200 + 365
    assert (f.value, f.distance, f.fires_on) == (152, 3, as_of + days(165))
    assert_boundary(enrollment.participation_volume, snap, "PART-VOLUME", f.fires_on)


def test_close_comes_from_the_policy_file() -> None:
    last = {p: AS_OF for p in ("breast", "prostate", "bone_mets")} | {"lung": AS_OF - days(23)}
    f = one(enrollment.zero_forecasts(snapshot(last_enrollment=last), POLICY, AS_OF), "QIP-ENR-ZERO", project="lung")
    assert POLICY.close_days == 7 and f.fires_on == AS_OF + days(7)
    assert f.close(POLICY, AS_OF)
    assert not f.close(replace(POLICY, close_days=6), AS_OF)


def test_every_forecast_is_in_the_json_contract_and_the_next_five_are_soonest_first() -> None:
    last = {"breast": AS_OF - days(3), "lung": AS_OF - days(20), "prostate": AS_OF - days(25), "bone_mets": AS_OF}
    snap = snapshot(last_enrollment=last, last_activity=AS_OF - days(10))
    every = engine.forecast_all(snap, POLICY, AS_OF)
    assert all(set(f.to_json()) == {"rule", "subject", "distance", "fires_on"} for f in every)
    rules_with_threshold = {r for r, *_ in engine.CATALOGUE} - {
        "ENR-REASON-OTHER", *meetings.ABSENT_RULE.values(), *meetings.INELIGIBLE_RULE.values(), "ATT-DOUBLE-ROLE",
        "CE-VIRTUAL", "CE-MDCB-NO-ID"}
    assert {f.rule for f in every} == rules_with_threshold
    soon = engine.upcoming(every, AS_OF)
    dates = [day for day, _ in soon]
    assert len(soon) == 5 and dates == sorted(set(dates)) and all(day > AS_OF for day in dates)
    assert [(f.rule, f.subject) for f in soon[0][1]] == [("QIP-ENR-ZERO", {"project": "prostate"})]
    assert dates[:3] == [AS_OF + days(5), AS_OF + days(10), AS_OF + days(21)]  # prostate, lung, data entry
    assert all(f.fires_on == day for day, found in soon for f in found)
