"""MIPS by performance year (issue 26): worked examples for 2025 and 2026 built from CMS's own files,
a provisional 2027, every reweighting row, and one practice under 2018, 2025, 2026 and 2027.

Each expected number is worked out by hand in the comment beside it from the year file's deciles,
which ``test_the_files_hold_cms_data`` ties to CMSgov/qpp-measures-data."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.calculators import mips
from app.calculators.mips_years import CATEGORIES, MipsYearError, changes_since, mips_year

LARGE = {"part_b_allowed_charges": 250000, "part_b_beneficiaries": 420, "clinicians": 40}
SMALL = {**LARGE, "clinicians": 6}


def measure(year: int, mid: str, rate: float, *, small: bool = False, **extra) -> mips.MeasureScore:
    item = {"measure": mid, "performance_rate": rate, "collection_type": "registry", **extra}
    return mips.score_measure(mips_year(year), item, 0, small)


def test_the_files_hold_cms_data() -> None:
    """Spot checks against CMSgov/qpp-measures-data@100b25f9 (benchmarks/2025.json, 2026.json)."""
    y25, y26 = mips_year(2025), mips_year(2026)
    assert y25.cms.commit == "100b25f9ac65615fcd7b75b11d16dc5a02b3e92f"
    b144 = y25.measures["144"].benchmark("registry")
    assert b144 is not None and b144.topped_out_by_program
    assert b144.deciles_2_to_10_from == [64.19, 84.075, 91.73, 97.315, 98.97, 99.76, 100, 100, 100]
    flat = y26.measures["143"].benchmark("registry")
    assert flat is not None and (flat.decile_1_from, flat.deciles_2_to_10_from) == (84, [86, 88, 90, 92, 94, 96, 98, 99, 100])
    assert y25.measures["102"].benchmarks == [] and y26.measures["102"].benchmarks == []   # "102 none"
    assert list(y25.measures) == ["102", "143", "144", "226", "508"] and list(y26.measures) == ["102", "143", "144", "226"]
    assert list(mips_year(2027).measures) == ["102", "143", "144", "226"]
    assert len(y26.ia.activities) == 95 and set(y26.ia.activities.values()) == {"none"}
    assert mips_year(2018).ia.activities["IA_PSPA_1"] == "medium"


@pytest.mark.parametrize(("year", "mid", "rate", "points"), [
    (2025, "143", 95, "6.5"),      # flat table: decile 6 starts at 94, decile 7 at 96 → 6 + 1/2
    (2025, "143", 83, "1"),        # below decile 1 (84): 1 point
    (2025, "143", 100, "10"),      # decile 10; topped out but the 7-point cap is removed for registry
    (2025, "144", 92, "4.048343777976723366159355416"),   # decile 4 [91.73, 97.315): 4 + 0.27/5.585
    (2025, "144", 100, "7"),       # decile 10, topped out by program: capped at 7
    (2026, "144", 100, "10"),      # 2026: flat table, cap removed
    (2026, "144", 87, "2.5"),      # flat: decile 2 [86, 88)
    (2025, "508", 0.05, "7"),      # new in 2025 (first performance year 2025): the 7-point floor
])
def test_measure_points_from_the_years_benchmark(year: int, mid: str, rate: float, points: str) -> None:
    assert measure(year, mid, rate).points == Decimal(points)


def test_measures_without_benchmark_or_completeness_score_as_cms_does() -> None:
    assert measure(2025, "102", 100).points == 0 and measure(2025, "102", 100, small=True).points == 3
    assert measure(2025, "143", 99, data_completeness_pct=74).points == 0          # 75% needed in 2025
    assert measure(2025, "143", 99, small=True, data_completeness_pct=74).points == 3
    assert measure(2025, "143", 99, cases=19).points == 0                            # 20-case minimum
    assert measure(2027, "143", 99).how.startswith("no 2027 benchmark")             # none published yet
    assert measure(2018, "144", 50).points == 3                                     # 2018's 3-point floor
    with pytest.raises(mips.CalculatorInputError, match="measure 999 is not in the 2026 radiation-oncology set"):
        measure(2026, "999", 50)


def test_2025_worked_example_small_practice() -> None:
    """Quality: 102 → 3 (no benchmark, small), 143 @95 → 6.5, 144 @92 → 4.048; + 6 small-practice points:
    19.548 / 60 = 32.58% × 30 = 9.77. Cost 60% × 30 = 18; PI 80% × 25 = 20; IA 2 activities × 20 × 2
    (small) → full → 15; complex-patient bonus 3. Final 65.77 < 75: negative adjustment."""
    data = {**SMALL, "performance_year": 2025, "pi_score": 80, "cost_score": 60, "complex_patient_bonus": 3,
            "improvement_activities": [{"id": "IA_PSPA_1"}, {"id": "IA_PSPA_2"}],
            "quality_measures": [{"measure": "102", "performance_rate": 100}, {"measure": "143", "performance_rate": 95},
                                 {"measure": "144", "performance_rate": 92}]}
    out = mips.to_json(mips.estimate(data))
    assert out["category_points"] == {"quality": 9.77, "cost": 18.0, "ia": 15.0, "pi": 20.0}
    assert (out["final_score"], out["threshold"], out["status"]) == (65.77, 75, "final")
    assert out["outcome"].startswith("negative payment adjustment, between 0 and -9%")
    assert out["category_names"]["pi"] == "Promoting Interoperability" and out["payment_year"] == 2027


def test_2026_worked_example_large_practice_above_threshold() -> None:
    """143 @99 → decile 9 [99,100) → 9; 144 @100 → 10 (flat, cap removed); 226 @100 registry → decile 10,
    topped out by program → 7; 102 → 0 (no benchmark, large). (9 + 10 + 7 + 0) / 60 = 43.33% × 30 = 13;
    cost 90% × 30 = 27; PI 100% × 25 = 25; IA 2 × 20 = 40 → 15; final 80 > 75: positive."""
    data = {**LARGE, "performance_year": 2026, "pi_score": 100, "cost_score": 90,
            "improvement_activities": [{"id": "IA_PSPA_1"}, {"id": "IA_PSPA_2"}],
            "quality_measures": [{"measure": m, "performance_rate": r} for m, r in
                                 (("143", 99), ("144", 100), ("226", 100), ("102", 100))]}
    result = mips.estimate(data)
    assert [m.points for m in result.measure_scores] == [9, 10, 7, 0]
    assert result.final_score == Decimal(80)
    assert result.outcome.startswith("positive payment adjustment, up to +9% times CMS's scaling factor")


def test_2027_is_provisional_and_says_it_cannot_place_the_score() -> None:
    out = mips.to_json(mips.estimate({**LARGE, "performance_year": 2027, "quality_score": 80, "pi_score": 80,
                                      "cost_score": 80}))
    assert out["status"] == "provisional" and out["threshold"] is None
    assert "in progress" in out["status_source"]
    assert out["outcome"].startswith("no performance threshold is set for 2027 yet")
    assert any(n.startswith("2027 is provisional") for n in out["notes"])


def rows(year: int) -> list:
    return mips_year(year).reweighting


@pytest.mark.parametrize("row", rows(2025) + rows(2026) + rows(2027),
                         ids=lambda r: ("small:" if r.small_practice else "") + "+".join(r.without))
def test_every_reweighting_row_is_applied(row) -> None:
    data = {**(SMALL if row.small_practice else LARGE), "performance_year": 2026, "quality_score": 50,
            "pi_score": 50, "cost_score": 50}
    for category in row.without:
        if category == "cost":
            data["cost_score"] = None
        elif category == "pi":
            data["pi_exempt"] = True
        else:
            data[f"{category}_exempt"] = True
    result = mips.estimate(data)
    assert result.weights == row.weights and sum(result.weights.values()) == 100


@pytest.mark.parametrize(("small", "exempt", "cost", "expected"), [
    (False, False, 50, {"quality": 30, "cost": 30, "ia": 15, "pi": 25}),
    (False, False, None, {"quality": 55, "cost": 0, "ia": 15, "pi": 30}),    # Cost not scored
    (True, True, 50, {"quality": 40, "cost": 30, "ia": 30, "pi": 0}),        # small practice without PI
    (True, True, None, {"quality": 50, "cost": 0, "ia": 50, "pi": 0}),
    (False, True, None, {"quality": 85, "cost": 0, "ia": 15, "pi": 0}),
])
def test_the_reweighting_rows_the_issue_names(small, exempt, cost, expected) -> None:
    data = {**(SMALL if small else LARGE), "performance_year": 2025, "pi_exempt": exempt, "cost_score": cost}
    assert mips.estimate(data).weights == expected


def test_a_small_practice_without_pi_data_is_reweighted_automatically_since_2022() -> None:
    assert mips.estimate({**SMALL, "performance_year": 2025, "cost_score": 50}).weights["pi"] == 0
    assert mips.estimate({**SMALL, "performance_year": 2018, "cost_score": 50}).weights["pi"] == 25   # not in 2018


def test_scored_on_fewer_than_two_categories_is_the_threshold() -> None:
    result = mips.estimate({**LARGE, "performance_year": 2025, "cost_score": None, "pi_exempt": True,
                            "ia_exempt": True, "quality_score": 10})
    assert result.final_score == 75 and result.outcome == "neutral payment adjustment (0%)"


def test_improvement_activities_by_year() -> None:
    two = [{"id": "IA_PSPA_1"}, {"id": "IA_PSPA_2"}]
    assert mips.estimate({**LARGE, "performance_year": 2018, "improvement_activities": two}).ia_activity_points == 20
    assert mips.estimate({**LARGE, "performance_year": 2025, "improvement_activities": two}).ia_activity_points == 40
    with pytest.raises(mips.CalculatorInputError, match="IA_NOPE_1 is not an improvement activity of 2026"):
        mips.estimate({**LARGE, "performance_year": 2026, "improvement_activities": [{"id": "IA_NOPE_1"}]})


def test_the_year_must_have_a_file_and_is_never_silently_old() -> None:
    with pytest.raises(mips.CalculatorInputError, match="'performance_year' must be one of 2018, 2025, 2026, 2027"):
        mips.estimate(LARGE)                                  # no year and no default: refused, not 2018
    with pytest.raises(mips.CalculatorInputError, match="2019 has none"):
        mips.estimate({**LARGE, "performance_year": 2019})
    assert mips.estimate(LARGE, default_year=2026).year.performance_year == 2026
    with pytest.raises(mips.CalculatorInputError, match="not both"):
        mips.estimate({**LARGE, "performance_year": 2026, "pi_score": 1, "aci_score": 2})


def test_the_same_practice_under_each_years_rules() -> None:
    """The closing note's practice: 6 clinicians, measures 102/143/144, PI 80, cost 60, two activities."""
    practice = {**SMALL, "pi_score": 80, "cost_score": 60, "average_hcc_score": 1.79, "dual_eligible_ratio": 0.22,
                "complex_patient_bonus": 3, "improvement_activities": [{"id": "IA_PSPA_1"}, {"id": "IA_PSPA_2"}],
                "quality_measures": [{"measure": m, "performance_rate": r, "data_completeness_pct": 80, "cases": 40}
                                     for m, r in (("102", 100), ("143", 95), ("144", 92))]}
    finals = {y: mips.to_json(mips.estimate({**practice, "performance_year": y}))["final_score"]
              for y in (2018, 2025, 2026, 2027)}
    # 2018: (10 + 4.91 + 3.05) / 60 × 50 = 14.97 + cost 6 + IA 15 + ACI 20 + small 5 + complex 2.89
    assert finals == {2018: 63.86, 2025: 65.77, 2026: 66.25, 2027: 63.5}


def test_what_changed_since_the_previous_file() -> None:
    lines = changes_since(mips_year(2026), mips_year(2025))
    assert "Radiation-oncology measure set: removed 508." in lines
    assert "Performance threshold: 75 → not set yet." in changes_since(mips_year(2027), mips_year(2026))
    assert "Advancing Care Information is now Promoting Interoperability." in changes_since(mips_year(2025), mips_year(2018))


def test_a_damaged_year_file_is_refused_with_its_key(tmp_path, monkeypatch) -> None:
    import app.calculators.mips_years as my
    from app.paths import resource

    text = resource("programs", "mips", "2026.toml").read_text(encoding="utf-8")
    (tmp_path / "programs" / "mips").mkdir(parents=True)
    (tmp_path / "programs" / "mips" / "2026.toml").write_text(text.replace("cap = 100", 'cap = "100"'), encoding="utf-8")
    monkeypatch.setattr(my, "resource", lambda *parts: tmp_path.joinpath(*parts))
    my.mips_year.cache_clear()
    try:
        with pytest.raises(MipsYearError, match=r"2026.toml: Expected `int`, got `str` - at `\$.final.cap`"):
            my.mips_year(2026)
    finally:
        my.mips_year.cache_clear()
    assert set(CATEGORIES) == {"quality", "cost", "ia", "pi"}
