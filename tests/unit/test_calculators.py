"""MVC P4P and MIPS 2018 calculators: the seed documents' worked examples and the band edges."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.calculators import mips, mvc

SEED_CONDITION = {"condition": "chf", "cohort_baseline": 19654, "hospital_baseline": 19405,
                  "hospital_performance": 18524, "sd": 4812}


def test_mvc_seed_example_scores_five() -> None:
    result = mvc.to_json(mvc.score_measure({"conditions": [SEED_CONDITION]}))
    row = result["conditions"][0]
    assert (row["achievement_z"], row["achievement_points"]) == (0.23, 5)
    assert (row["improvement_z"], row["improvement_points"]) == (0.18, 4)
    assert row["points"] == 5 and result["total"] == 5


@pytest.mark.parametrize(
    ("z", "points"),
    [("-0.0001", 0), ("0", 1), ("0.0499", 1), ("0.05", 2), ("0.0999", 2), ("0.10", 3),
     ("0.15", 4), ("0.1999", 4), ("0.20", 5), ("3", 5)],
)
def test_mvc_point_bands_on_both_sides_of_each_edge(z: str, points: int) -> None:
    assert mvc.points_for(Decimal(z)) == points


def test_mvc_exact_edge_from_money_figures_is_not_lost_to_floats() -> None:
    # (1000 - 950) / 1000 = 0.05 exactly: 2 points, although 0.05 is not exact in binary.
    item = {"condition": "copd", "hospital_baseline": 1000, "hospital_performance": 950,
            "cohort_baseline": 900, "sd": 1000}
    assert mvc.score_condition(item).improvement_points == 2


def test_mvc_total_sums_two_conditions() -> None:
    other = {"condition": "copd", "hospital_baseline": 10000, "hospital_performance": 10100,
             "cohort_baseline": 9000, "sd": 1000}
    assert mvc.to_json(mvc.score_measure({"conditions": [SEED_CONDITION, other]}))["total"] == 5


@pytest.mark.parametrize(
    ("data", "message"),
    [({"conditions": []}, "1 to 2"),
     ({"conditions": [dict(SEED_CONDITION, condition="knee")]}, "must be one of"),
     ({"conditions": [dict(SEED_CONDITION, sd=0)]}, "greater than zero"),
     ({"conditions": [dict(SEED_CONDITION, sd=1e-99)]}, "greater than zero"),
     ({"conditions": [dict(SEED_CONDITION, hospital_baseline=1e99)]}, "at most 1,000,000,000"),
     ({"conditions": [dict(SEED_CONDITION, sd="abc")]}, "must be a number"),
     ({"conditions": [SEED_CONDITION, SEED_CONDITION]}, "only once")],
)
def test_mvc_bad_input_says_what_is_wrong(data: dict, message: str) -> None:
    with pytest.raises(mvc.CalculatorInputError, match=message):
        mvc.score_measure(data)


# The seed's examples are 2018's: the estimate runs each year's rules, so the input names the year.
ELIGIBLE = {"performance_year": 2018, "part_b_allowed_charges": 150000, "part_b_beneficiaries": 400}


def test_mips_small_practice_two_medium_activities_plus_bonus_is_20() -> None:
    result = mips.estimate({**ELIGIBLE, "clinicians": 5,
                            "improvement_activities": [{"id": "IA_PSPA_1", "weight": "medium"},
                                                       {"id": "IA_PSPA_2", "weight": "medium"}]})
    assert result.final_score == 20
    assert "neutral or positive" in result.outcome


def test_mips_small_practice_aci_base_only_plus_bonus_is_17_5() -> None:
    assert mips.estimate({**ELIGIBLE, "clinicians": 5, "aci_score": 50}).final_score == Decimal("17.5")


@pytest.mark.parametrize(
    "activities",
    [["medium"] * 4, ["high"] * 2, ["medium", "medium", "high"], ["high"] * 5],
)
def test_mips_large_practice_full_ia_category_is_15(activities: list[str]) -> None:
    result = mips.estimate({**ELIGIBLE, "clinicians": 40,
                            "improvement_activities": [{"weight": w} for w in activities]})
    assert result.final_score == 15


def test_mips_large_practice_below_threshold_is_negative() -> None:
    result = mips.estimate({**ELIGIBLE, "clinicians": 40, "improvement_activities": [{"weight": "high"}]})
    assert result.final_score == Decimal("7.5")
    assert result.outcome.startswith("negative")


def test_mips_complex_patient_bonus_seed_example() -> None:
    result = mips.estimate({**ELIGIBLE, "clinicians": 40, "average_hcc_score": 1.79, "dual_eligible_ratio": 0.22})
    assert result.complex_patient_bonus == Decimal("2.89")


def test_mips_complex_patient_bonus_is_capped_at_5() -> None:
    result = mips.estimate({**ELIGIBLE, "clinicians": 40, "average_hcc_score": 4, "dual_eligible_ratio": 0.9})
    assert result.complex_patient_bonus == 5


@pytest.mark.parametrize(
    ("aci_exempt", "cost", "quality_weight"),
    [(False, 50, 50), (True, 50, 75), (False, None, 60), (True, None, 85)],
)
def test_mips_reweighting(aci_exempt: bool, cost: int | None, quality_weight: int) -> None:
    result = mips.estimate({**ELIGIBLE, "clinicians": 40, "aci_exempt": aci_exempt, "cost_score": cost,
                            "quality_score": 100})
    assert result.weights["quality"] == quality_weight
    assert sum(result.weights.values()) == 100


@pytest.mark.parametrize(
    ("charges", "beneficiaries", "eligible"),
    [(90000, 400, False), (90001, 400, True), (150000, 200, False), (150000, 201, True)],
)
def test_mips_low_volume_threshold_edges(charges: int, beneficiaries: int, eligible: bool) -> None:
    result = mips.estimate({"performance_year": 2018, "part_b_allowed_charges": charges,
                            "part_b_beneficiaries": beneficiaries})
    assert result.eligible is eligible


def test_mips_exceptional_performance_and_cap() -> None:
    result = mips.estimate({**ELIGIBLE, "clinicians": 5, "quality_score": 100, "aci_score": 100,
                            "cost_score": 100, "improvement_activities": [{"weight": "high"}] * 2,
                            "average_hcc_score": 3, "dual_eligible_ratio": 0.5})
    assert result.final_score == 100
    assert "exceptional" in result.outcome


def test_mips_quality_reporting_notes() -> None:
    result = mips.estimate({**ELIGIBLE, "quality_measures_reported": 4, "data_completeness_pct": 59,
                            "quality_cases": 19})
    assert len(result.quality_reporting_notes) == 3


@pytest.mark.parametrize("charges", [float("inf"), float("nan")])
def test_mips_refuses_a_number_that_is_not_finite(charges: float) -> None:
    with pytest.raises(mips.CalculatorInputError, match="finite"):
        mips.estimate({**ELIGIBLE, "part_b_allowed_charges": charges})
