"""Attendance policy, QIP-MTG-MISSED and CE rules: substitutes for each role, limits, double roles."""

from __future__ import annotations

import pytest

from app.rules import meetings
from app.rules.snapshot import AttendanceInfo, FacilityInfo, RoleSpan
from tests.unit.rules_builders import AS_OF, JOINED, POLICY, D, full_attendance, meeting, snapshot

M1 = meeting("M1", D(2025, 3, 5))


def run(rows, meeting_list=(M1,), **changes):
    return meetings.attendance_findings(snapshot(meetings=tuple(meeting_list), attendance=tuple(rows), **changes),
                                        POLICY, AS_OF)


def ids(findings) -> list[str]:
    return [f.rule for f in findings]


def with_sub(role: str, staff: str) -> list[AttendanceInfo]:
    return [a for a in full_attendance("M1") if a.role != role] + [AttendanceInfo("M1", role, staff)]


def test_holders_attending_is_clean() -> None:
    assert run(full_attendance("M1")) == []


@pytest.mark.parametrize(("role", "rule"), [("clinical_champion", "ATT-CC-ABSENT"), ("physics_lead", "ATT-PL-ABSENT"),
                                            ("cda", "ATT-CDA-ABSENT")])
def test_nobody_for_a_role(role, rule) -> None:
    found = run([a for a in full_attendance("M1") if a.role != role])
    assert ids(found) == [rule]
    assert found[0].subject == {"role": role, "meeting": D(2025, 3, 5)} and found[0].severity == "violation"


@pytest.mark.parametrize(("role", "staff", "acceptable", "why"), [
    ("clinical_champion", "RO2", True, ""),
    ("clinical_champion", "CMO", False, "at most 2 radiation oncologists"),   # facility has 4
    ("clinical_champion", "DOC", False, "only a radiation oncologist"),
    ("clinical_champion", "RES", False, "a resident may never substitute"),
    ("clinical_champion", "PA", False, "physician assistant may never"),
    ("clinical_champion", "RN", False, "a nurse may never"),
    ("physics_lead", "PH2", True, ""),
    ("physics_lead", "DOS", True, ""),
    ("physics_lead", "PH3", False, "does not work on MROQC"),
    ("physics_lead", "RN", False, "cannot substitute for the physics lead"),
    ("cda", "CDA2", True, ""),
    ("cda", "RN", True, ""),                    # works on MROQC
    ("cda", "ADM", False, "does not work on MROQC"),
])
def test_substitutes_by_role(role, staff, acceptable, why) -> None:
    found = [f for f in run(with_sub(role, staff)) if f.rule != "ATT-CC-SUB-LIMIT"]
    if acceptable:
        assert found == []
    else:
        assert len(found) == 1 and found[0].rule.endswith("SUB-INELIGIBLE") and why in found[0].message


@pytest.mark.parametrize(("oncologists", "acceptable"), [(2, True), (3, False)])
def test_titled_physician_for_champion_only_at_small_facilities(oncologists, acceptable) -> None:
    facility = FacilityInfo("Small RO", JOINED, 2018, oncologists, ("breast",))
    found = run(with_sub("clinical_champion", "CMO"), facility=facility)
    assert ("ATT-CC-SUB-INELIGIBLE" in ids(found)) is not acceptable


def test_oncologist_not_treating_mroqc_patients_is_acceptable_with_a_note() -> None:
    snap = snapshot(meetings=(M1,), attendance=tuple(with_sub("clinical_champion", "RO3")))
    [verdict] = meetings.attendance_verdicts(snap, POLICY, 2025, AS_OF)
    attendee = verdict.roles["clinical_champion"].attendees[0]
    assert attendee.acceptable and "ideally" in attendee.notes[0]


def test_cda_substitute_covering_another_role_is_not_acceptable_and_double_role_fires() -> None:
    rows = [AttendanceInfo("M1", "clinical_champion", "CC"), AttendanceInfo("M1", "physics_lead", "PL"),
            AttendanceInfo("M1", "cda", "PL")]
    found = run(rows)
    assert sorted(ids(found)) == ["ATT-CDA-SUB-INELIGIBLE", "ATT-DOUBLE-ROLE"]
    double = next(f for f in found if f.rule == "ATT-DOUBLE-ROLE")
    assert double.subject == {"staff": "PL", "meeting": D(2025, 3, 5)}


def test_holder_of_two_roles_covering_both_is_a_double_role() -> None:
    roles = (*snapshot().roles, RoleSpan("CC", "cda", JOINED))
    rows = [AttendanceInfo("M1", "clinical_champion", "CC"), AttendanceInfo("M1", "physics_lead", "PL"),
            AttendanceInfo("M1", "cda", "CC")]
    assert ids(run(rows, roles=roles)) == ["ATT-DOUBLE-ROLE"]


def year_of_meetings(n: int):
    return [meeting(f"M{i}", D(2025, 1 + i, 10)) for i in range(n)]


@pytest.mark.parametrize(("substitutions", "limit_findings"), [(1, 0), (2, 1), (3, 2)])
def test_champion_substitution_limit_counts_acceptable_and_not(substitutions, limit_findings) -> None:
    ms = year_of_meetings(4)
    rows = []
    for i, m in enumerate(ms):
        rows += [AttendanceInfo(m.meeting_id, "physics_lead", "PL"), AttendanceInfo(m.meeting_id, "cda", "CDA")]
        champion = ("RO2" if i % 2 == 0 else "RES") if i < substitutions else "CC"
        rows.append(AttendanceInfo(m.meeting_id, "clinical_champion", champion))
    found = [f for f in run(rows, ms) if f.rule == "ATT-CC-SUB-LIMIT"]
    assert len(found) == limit_findings
    if found:
        assert found[0].subject["meeting"] == ms[1].date


@pytest.mark.parametrize(("uncovered", "fires"), [(2, False), (3, True)])
def test_meetings_missed_more_than_twice(uncovered, fires) -> None:
    ms = year_of_meetings(4)
    rows = []
    for i, m in enumerate(ms):
        rows += [AttendanceInfo(m.meeting_id, "clinical_champion", "CC"), AttendanceInfo(m.meeting_id, "cda", "CDA")]
        if i >= uncovered:
            rows.append(AttendanceInfo(m.meeting_id, "physics_lead", "PL"))
        elif i == 0:
            rows.append(AttendanceInfo(m.meeting_id, "physics_lead", "RN"))  # unacceptable: not coverage
    missed = [f for f in run(rows, ms) if f.rule == "QIP-MTG-MISSED"]
    assert bool(missed) is fires
    if fires:
        assert missed[0].subject == {"role": "physics_lead"} and missed[0].evidence["meetings_missed"] == 3


def test_later_meetings_and_other_years_do_not_count() -> None:
    ms = [meeting("OLD", D(2024, 12, 1)), meeting("LATER", D(2025, 9, 1))]
    assert run([], ms) == []


def test_holder_on_the_meeting_date_is_who_counts() -> None:
    roles = (RoleSpan("CC", "clinical_champion", JOINED, D(2025, 2, 28)), RoleSpan("RO2", "clinical_champion", D(2025, 3, 1)),
             *[r for r in snapshot().roles if r.role != "clinical_champion"])
    rows = with_sub("clinical_champion", "RO2")
    assert run(rows, roles=roles) == []  # RO2 is the holder on March 5


@pytest.mark.parametrize(("fmt", "credit", "staff", "rules"), [
    ("virtual", "arrt", "RN", ["CE-VIRTUAL"]),
    ("in_person", "mdcb", "PH2", ["CE-MDCB-NO-ID"]),
    ("in_person", "mdcb", "DOS", []),
    ("virtual", "mdcb", "PH2", ["CE-MDCB-NO-ID", "CE-VIRTUAL"]),
    ("in_person", None, "PH2", []),
])
def test_ce_rules(fmt, credit, staff, rules) -> None:
    snap = snapshot(meetings=(meeting("M1", D(2025, 3, 5), fmt),),
                    attendance=(AttendanceInfo("M1", "attendee", staff, credit),))
    found = meetings.ce_findings(snap, POLICY, AS_OF)
    assert sorted(f.rule for f in found) == rules
    assert all(f.kind == "ce" and f.severity == "warning" for f in found)


def test_an_attendee_covering_no_role_is_not_coverage() -> None:
    rows = [a for a in full_attendance("M1") if a.role != "physics_lead"] + [AttendanceInfo("M1", "attendee", "PL")]
    assert ids(run(rows)) == ["ATT-PL-ABSENT"]


def test_a_meeting_on_the_as_of_date_counts() -> None:
    assert ids(run([], [meeting("TODAY", AS_OF)])) == ["ATT-CC-ABSENT", "ATT-PL-ABSENT", "ATT-CDA-ABSENT"]


def test_verdicts_for_the_meetings_screen() -> None:
    rows = [AttendanceInfo("M1", "clinical_champion", "RES"), AttendanceInfo("M1", "physics_lead", "PL")]
    [mv] = meetings.attendance_verdicts(snapshot(meetings=(M1,), attendance=tuple(rows)), POLICY, 2025, AS_OF)
    cc, pl, cda = mv.roles["clinical_champion"], mv.roles["physics_lead"], mv.roles["cda"]
    assert (cc.coverage, cc.verdict, cc.covered, cc.substituted) == ("substitute", "substitute not acceptable", False, True)
    assert cc.holders == ("CC",) and not cc.attendees[0].acceptable and "resident" in cc.attendees[0].reason
    assert (pl.coverage, pl.verdict, pl.covered) == ("holder", "covered", True)
    assert (cda.coverage, cda.verdict, cda.attendees) == ("absent", "absent", ())


def test_substitute_for_a_vacant_champion_role_counts_toward_the_limit() -> None:
    ms = year_of_meetings(2)
    no_champion = tuple(r for r in snapshot().roles if r.role != "clinical_champion")
    rows = [AttendanceInfo(m.meeting_id, r, s) for m in ms for r, s in
            (("clinical_champion", "RO2"), ("physics_lead", "PL"), ("cda", "CDA"))]
    assert ids(run(rows, ms, roles=no_champion)) == ["ATT-CC-SUB-LIMIT"]


def test_unacceptable_substitutes_count_as_missed_meetings() -> None:
    ms = year_of_meetings(3)
    rows = [AttendanceInfo(m.meeting_id, r, s) for m in ms for r, s in
            (("clinical_champion", "CC"), ("physics_lead", "PL"), ("cda", "ADM"))]
    found = run(rows, ms)
    assert ids(found).count("ATT-CDA-SUB-INELIGIBLE") == 3
    [missed] = [f for f in found if f.rule == "QIP-MTG-MISSED"]
    assert missed.subject == {"role": "cda"} and missed.evidence["meeting_dates"] == [m.date for m in ms]
