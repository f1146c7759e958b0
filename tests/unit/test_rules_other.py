"""QIP-DATA-LAG, QIP-CORR-NORESPONSE, role vacancies, program figures and the policy file."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from app.rules import correspondence, data_lag, programs, roles
from app.rules.policy_file import PolicyFileError, load_policy, parse_policy
from app.rules.snapshot import AbsenceInfo, FacilityInfo, Letter, RoleSpan
from tests.unit.rules_builders import AS_OF, JOINED, POLICY, D, leave, pause, snapshot


def ago(days: int) -> dt.date:
    return AS_OF - dt.timedelta(days=days)


@pytest.mark.parametrize(("days", "fires"), [(30, False), (31, True)])
def test_data_lag_threshold(days, fires) -> None:
    assert bool(data_lag.data_lag(snapshot(last_activity=ago(days)), POLICY, AS_OF)) is fires


@pytest.mark.parametrize(("absences", "fires"), [
    ((pause(ago(10), ago(5)),), False),                       # 36 days, 6 excused by a facility-wide pause: 30
    ((pause(ago(10), ago(5), approved=False),), True),
    ((leave("CDA", ago(20), ago(11)),), False),               # the only CDA on approved leave for 10 days
    ((leave("CDA", ago(20), ago(11), approved=False),), True),
])
def test_excused_days(absences, fires) -> None:
    last = ago(36) if absences[0].kind == "enrollment_pause" else ago(40)
    found = data_lag.data_lag(snapshot(last_activity=last, absences=absences), POLICY, AS_OF)
    assert bool(found) is fires


def test_with_several_cdas_every_one_must_be_away() -> None:
    roles_ = (*snapshot().roles, RoleSpan("CDA2", "cda", JOINED))
    one_away = (leave("CDA", ago(30), ago(1)),)
    both_away = one_away + (AbsenceInfo("vacation", ago(30), ago(1), True, "CDA2"),)
    assert data_lag.data_lag(snapshot(roles=roles_, last_activity=ago(40), absences=one_away), POLICY, AS_OF)
    assert not data_lag.data_lag(snapshot(roles=roles_, last_activity=ago(40), absences=both_away), POLICY, AS_OF)


def test_no_activity_uses_the_join_date() -> None:
    [found] = data_lag.data_lag(snapshot(last_activity=None), POLICY, AS_OF)
    assert found.evidence["last_activity"] == JOINED and found.evidence["no_activity_on_record"]


def letter(received_days_ago: int, replied_days_ago: int | None = None, due_days_ago: int | None = None) -> Letter:
    return Letter(ago(received_days_ago), f"Letter {received_days_ago}", True,
                  ago(due_days_ago) if due_days_ago is not None else None,
                  ago(replied_days_ago) if replied_days_ago is not None else None)


@pytest.mark.parametrize(("letters", "severity"), [
    ((letter(14),), None),                    # due today (received + 14): not yet late
    ((letter(15),), "warning"),               # due yesterday, no reply
    ((letter(15), letter(40, replied_days_ago=20)), "trigger"),   # one unanswered, one answered 6 days late
    ((letter(40, replied_days_ago=26),), None),                   # answered on the due date
    ((letter(40, replied_days_ago=30, due_days_ago=35),), "warning"),  # explicit due date, answered late
    ((letter(400),), None),                   # outside the year
    ((letter(20, replied_days_ago=-5),), "warning"),  # reply dated after D does not count at D
])
def test_correspondence(letters, severity) -> None:
    found = correspondence.correspondence(snapshot(letters=letters), POLICY, AS_OF)
    assert (found[0].severity if found else None) == severity


def test_letters_not_needing_a_reply_are_ignored() -> None:
    assert correspondence.correspondence(snapshot(letters=(Letter(ago(60), "FYI", False),)), POLICY, AS_OF) == []


def test_role_vacancies() -> None:
    ended = tuple(r if r.role != "physics_lead" else RoleSpan("PL", "physics_lead", JOINED, ago(10))
                  for r in snapshot().roles if r.role != "dosimetry_representative")
    found = roles.vacancies(snapshot(roles=ended), POLICY, AS_OF)
    assert [(f.rule, f.severity, f.subject) for f in found] == [
        ("QIP-ROLE-VACANT", "trigger", {"role": "physics_lead"}),
        ("PART-ROLE-VACANT", "warning", {"role": "dosimetry_representative"})]
    assert found[0].evidence["vacant_since"] == ago(9)
    assert roles.vacancies(snapshot(), POLICY, AS_OF) == []


@pytest.mark.parametrize(("years", "baseline", "met"), [
    ({2018, 2019}, 2018, True), ({2019}, 2018, False), ({2019, 2020}, 2018, False), ({2018, 2025}, 2018, False)])
def test_data_history(years, baseline, met) -> None:
    assert programs.data_history(snapshot(activity_years=frozenset(years)), POLICY, AS_OF).met is met


def test_vbr_lists_each_unmet_condition() -> None:
    from dataclasses import replace

    from tests.unit.rules_builders import PEOPLE
    staff = dict(PEOPLE) | {"CC": replace(PEOPLE["CC"], pgip_member_since=D(2024, 6, 30)),
                            "RO2": replace(PEOPLE["RO2"], pgip_member_since=D(2024, 7, 1))}
    snap = snapshot(staff=staff, activity_years=frozenset({2018, 2019}), targets_met={2025: True})
    figures = programs.program_figures(snap, POLICY, AS_OF)
    by_id = {v.staff_id: v for v in figures.vbr}
    assert by_id["CC"].eligible                       # exactly one year on D
    assert "less than 1 year" in by_id["RO2"].unmet[0]
    assert by_id["RO3"].unmet == ("not a PGIP member",)
    snap = snapshot(staff=staff, activity_years=frozenset({2019}), targets_met={})
    unmet = {v.staff_id: v for v in programs.program_figures(snap, POLICY, AS_OF).vbr}["CC"].unmet
    assert len(unmet) == 2 and "data history" in unmet[0] and "not entered" in unmet[1]


def test_fte_estimate_and_dates() -> None:
    snap = snapshot(enrolled_by_year_payer={(2024, "bcbsm"): 50, (2024, "bcn"): 11, (2024, "medicare"): 321,
                                            (2024, None): 0, (2025, "medicare"): 99})
    figures = programs.program_figures(snap, POLICY, AS_OF, rate_per_fte=Decimal("80000"))
    assert figures.fte.cases == 382 and figures.fte.fte == Decimal("2.00")
    assert figures.fte.payment == Decimal("160000.00")
    assert figures.fte.non_bcbsm_share == Decimal("0.840")
    assert figures.p4p_payment == D(2026, 7, 1) and figures.mvc_questionnaire_due == D(2025, 11, 1)
    assert programs.fte_estimate(snap, POLICY, 2024).fte == Decimal("2.00")


def test_policy_file_selection_and_validation() -> None:
    assert load_policy(None, AS_OF).year == 2025
    assert load_policy(None, D(2019, 1, 1)).year == 2025  # no older file: the oldest there is
    with pytest.raises(PolicyFileError, match="no policy file for 1999"):
        load_policy(1999, AS_OF)
    with pytest.raises(PolicyFileError, match="^2030.toml: 'name' is missing; .*'enrollment.period_start' is missing; .*"
                                              "'forecast.horizon_days' is missing$"):
        parse_policy({"year": 2030}, "2030.toml")


def test_data_lag_project_pause_excuses_only_when_every_active_project_is_paused() -> None:
    last = ago(36)   # 36 days; 6 of them paused: 30 counted (no trigger) only if the pause counts
    one_project = (pause(ago(10), ago(5), project="lung"),)
    assert data_lag.data_lag(snapshot(last_activity=last, absences=one_project), POLICY, AS_OF)
    every_project = tuple(pause(ago(10), ago(5), project=p) for p in ("breast", "lung", "prostate", "bone_mets"))
    assert not data_lag.data_lag(snapshot(last_activity=last, absences=every_project), POLICY, AS_OF)


def test_data_lag_day_without_any_cda_is_not_excused() -> None:
    no_cda = tuple(r for r in snapshot().roles if r.role != "cda")
    [found] = data_lag.data_lag(snapshot(roles=no_cda, last_activity=ago(31)), POLICY, AS_OF)
    assert found.evidence["days_counted"] == 31 and found.evidence["days_excused_cda_absence"] == 0


def test_data_lag_counts_from_the_join_date_at_the_earliest() -> None:
    joined = FacilityInfo("New RO", ago(20), 2025, 2, ("lung",))
    assert data_lag.data_lag(snapshot(facility=joined, last_activity=ago(400)), POLICY, AS_OF) == []
    assert data_lag.data_lag(snapshot(facility=FacilityInfo("Later RO", ago(-5), 2025, 2, ("lung",)),
                                      last_activity=None), POLICY, AS_OF) == []


@pytest.mark.parametrize(("as_of", "year"), [(D(2025, 12, 30), 2024), (D(2025, 12, 31), 2025), (D(2025, 1, 1), 2024)])
def test_fte_defaults_to_the_last_complete_year(as_of, year) -> None:
    assert programs.default_fte_year(as_of) == year
    assert programs.program_figures(snapshot(), POLICY, as_of).fte.year == year


def test_fte_share_leaves_unknown_payers_out() -> None:
    snap = snapshot(enrolled_by_year_payer={(2024, "bcbsm"): 16, (2024, "medicare"): 84, (2024, None): 91})
    fte = programs.fte_estimate(snap, POLICY, 2024)
    assert fte.cases == 191 and fte.fte == Decimal("1.00") and fte.unknown_payer_cases == 91
    assert fte.non_bcbsm_share == Decimal("0.840") and fte.payment is None
    assert programs.fte_estimate(snapshot(), POLICY, 2024).non_bcbsm_share is None


def test_fte_rounds_to_two_decimals_half_up() -> None:
    snap = snapshot(enrolled_by_year_payer={(2024, "medicare"): 1})   # 1 / 191 = 0.00523...
    assert programs.fte_estimate(snap, POLICY, 2024, Decimal("1000")).fte == Decimal("0.01")


def _toml() -> str:
    from app.paths import resource
    return resource("policy", "2025.toml").read_text(encoding="utf-8")


def test_a_new_policy_year_needs_no_code_change(tmp_path, monkeypatch) -> None:
    """Drop a 2027.toml beside 2025.toml: it is listed, chosen for 2027 and later, and read."""
    import app.rules.policy_file as pf

    folder = tmp_path / "policy"
    folder.mkdir()
    (folder / "2025.toml").write_text(_toml(), encoding="utf-8")
    (folder / "2027.toml").write_text(_toml().replace("year = 2025", "year = 2027")
                                      .replace("effective_from = 2025-01-01", "effective_from = 2027-01-01")
                                      .replace("zero_enrollment_days = 30", "zero_enrollment_days = 45"), encoding="utf-8")
    monkeypatch.setattr(pf, "resource", lambda *parts: tmp_path.joinpath(*parts))
    assert pf.available_years() == [2025, 2027]
    assert pf.load_policy(None, D(2026, 6, 30)).year == 2025
    assert pf.load_policy(None, D(2028, 1, 1)).zero_enrollment_days == 45
    assert pf.load_policy(2025, D(2028, 1, 1)).year == 2025      # the facility's chosen year wins


@pytest.mark.parametrize(("edit", "message"), [
    (("zero_enrollment_days = 30", 'zero_enrollment_days = "30"'), "'enrollment.zero_enrollment_days' must be a whole number"),
    (("zero_enrollment_days = 30", "zero_enrollment_days = -1"), "must be a whole number ≥ 0"),
    (("lag_days = 30", "lag_days = 30.5"), "'data_entry.lag_days' must be a whole number"),
    (('decline_fraction = "1/5"', "decline_fraction = 0.2"), "'enrollment.decline_fraction' must be text"),
    (('decline_fraction = "1/5"', 'decline_fraction = "a fifth"'), "must be a number written as text"),
    (('decline_fraction = "1/5"', 'decline_fraction = "6/5"'), "between 0 and 1"),
    (('period_start = "01-01"', 'period_start = "13-01"'), "must be a month-day"),
    (("p4p_payment_month = 7", "p4p_payment_month = 13"), "a month number 1 to 12"),
    (("cases_per_fte = 191", "cases_per_fte = 0"), "a whole number > 0"),
    (('"deceased",', '"deceased", "moved",'), "unknown value(s) moved"),
    (('"ro_involved"]', '"ro_involved", "dean"]'), "unknown value(s) dean"),
    (("lag_days = 30", "lag_dayz = 30"), "unknown key(s) 'data_entry.lag_dayz'"),
    (("[data_entry]\nlag_days = 30", ""), "'data_entry.lag_days' is missing"),
    (("year = 2025", "year = 2026"), "the file name and the year must agree"),
    (("year = 2025", "year = = 2025"), "not valid TOML"),
])
def test_policy_file_errors_name_the_file_and_key(tmp_path, monkeypatch, edit, message) -> None:
    import re

    import app.rules.policy_file as pf

    (tmp_path / "policy").mkdir()
    text = re.sub(r"\s+#[^\n]*", "", _toml())          # drop comments so the edits match exactly
    assert edit[0] in text
    (tmp_path / "policy" / "2025.toml").write_text(text.replace(edit[0], edit[1]), encoding="utf-8")
    monkeypatch.setattr(pf, "resource", lambda *parts: tmp_path.joinpath(*parts))
    with pytest.raises(PolicyFileError, match=re.escape(message)) as info:
        pf.load_policy_file(2025)
    assert str(info.value).startswith("2025.toml")


def test_the_bundled_policy_holds_every_param_of_policy_md() -> None:
    assert (POLICY.zero_enrollment_days, POLICY.decline_fraction, POLICY.selective_decision_days,
            POLICY.selective_lookback_days, POLICY.missed_meetings_limit, POLICY.lag_days, POLICY.reply_days,
            POLICY.correspondence_lookback_days, POLICY.champion_physician_max_oncologists,
            POLICY.champion_substitutions_per_year, POLICY.min_cases, POLICY.cases_per_fte, POLICY.non_bcbsm_share,
            POLICY.period_start) == (30, Fraction(1, 5), 30, 365, 2, 30, 14, 365, 2, 1, 150, 191, Decimal("0.84"), "01-01")
    assert POLICY.accepted_reasons == ("declined", "unable_to_consent", "not_treated", "transferred", "deceased",
                                       "ineligible_on_review", "other")
    assert POLICY.champion_physician_titles == ("cmo", "chief_of_quality", "ro_involved")
