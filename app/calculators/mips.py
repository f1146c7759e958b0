"""MIPS 2018 final-score estimate for a practice's radiation oncologists.

Input fields are documented in docs/calculators.md. Category scores are entered as the percent
of each category achieved (0–100); the estimate reweights, adds bonuses and caps as CMS did in
2018, and says why a clinician is exempt when the low-volume threshold or another exemption
applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.calculators.mvc import CalculatorInputError
from app.calculators.program_numbers import program_numbers


@dataclass(frozen=True)
class MipsEstimate:
    eligible: bool
    exemptions: list[str]
    small_practice: bool
    weights: dict[str, int]
    category_points: dict[str, Decimal]
    ia_activity_points: int
    small_practice_bonus: Decimal
    complex_patient_bonus: Decimal
    final_score: Decimal
    outcome: str
    quality_reporting_notes: list[str] = field(default_factory=list)


def _number(data: dict[str, Any], key: str, default: Any = None, *, low: float = 0, high: float | None = None) -> Decimal | None:
    value = data.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CalculatorInputError(f"'{key}' must be a number", field=key, kind="not_a_number")
    number = Decimal(str(value))
    if not number.is_finite():
        raise CalculatorInputError(f"'{key}' must be a finite number", field=key, kind="not_a_number")
    if number < low or (high is not None and number > high):
        raise CalculatorInputError(f"'{key}' must be between {low} and {high}" if high is not None
                                   else f"'{key}' must be at least {low}", field=key, kind="out_of_range")
    return number


def _flag(data: dict[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise CalculatorInputError(f"'{key}' must be true or false", field=key, kind="choice")
    return value


def weights_for(aci_exempt: bool, cost_calculable: bool, numbers: dict[str, Any]) -> dict[str, int]:
    """ACI and Cost weights move to Quality when those categories cannot be scored."""
    weights = {
        "quality": numbers["weight_quality"],
        "aci": numbers["weight_aci"],
        "ia": numbers["weight_ia"],
        "cost": numbers["weight_cost"],
    }
    for category, moved in (("aci", aci_exempt), ("cost", not cost_calculable)):
        if moved:
            weights["quality"] += weights[category]
            weights[category] = 0
    return weights


def ia_points(activities: Any, small_practice: bool, numbers: dict[str, Any]) -> int:
    if not isinstance(activities, list):
        raise CalculatorInputError("'improvement_activities' must be a list")
    total = 0
    for i, activity in enumerate(activities):
        weight = activity.get("weight") if isinstance(activity, dict) else None
        if weight not in ("medium", "high"):
            raise CalculatorInputError(f"improvement_activities[{i}]: 'weight' must be medium or high")
        points = numbers[f"ia_points_{weight}"]
        total += points * 2 if small_practice else points
    return total


def estimate(data: dict[str, Any]) -> MipsEstimate:
    if not isinstance(data, dict):
        raise CalculatorInputError("the input must be a JSON object")
    n = program_numbers()["mips_2018"]
    charges = _number(data, "part_b_allowed_charges", 0)
    beneficiaries = _number(data, "part_b_beneficiaries", 0)
    clinicians = _number(data, "clinicians", 1, low=1)
    exemptions = []
    if not (charges > n["low_volume_allowed_charges"] and beneficiaries > n["low_volume_beneficiaries"]):
        exemptions.append(
            f"low-volume threshold: needs Part B allowed charges above ${n['low_volume_allowed_charges']:,} "
            f"and more than {n['low_volume_beneficiaries']} Part B beneficiaries"
        )
    if _flag(data, "qualifying_apm_participant"):
        exemptions.append("qualifying APM participant")
    if _flag(data, "newly_enrolled_medicare"):
        exemptions.append("newly enrolled in Medicare")
    small = clinicians <= n["small_practice_max_clinicians"]
    aci_exempt = _flag(data, "aci_exempt")
    cost = _number(data, "cost_score", None, high=100)
    weights = weights_for(aci_exempt, cost is not None, n)
    quality = _number(data, "quality_score", 0, high=100)
    aci = Decimal(0) if aci_exempt else _number(data, "aci_score", 0, high=100)
    activity_points = ia_points(data.get("improvement_activities", []), small, n)
    ia_pct = Decimal(min(activity_points, n["ia_category_full"]) * 100) / n["ia_category_full"]
    category_points = {
        "quality": quality * weights["quality"] / 100,
        "aci": aci * weights["aci"] / 100,
        "ia": ia_pct * weights["ia"] / 100,
        "cost": (cost or Decimal(0)) * weights["cost"] / 100,
    }
    small_bonus = Decimal(n["small_practice_bonus"]) if small else Decimal(0)
    hcc = _number(data, "average_hcc_score", 0)
    dual = _number(data, "dual_eligible_ratio", 0, high=1)
    complex_bonus = min(
        min(hcc, Decimal(n["complex_patient_hcc_cap"])) + dual * n["complex_patient_dual_multiplier"],
        Decimal(n["complex_patient_bonus_cap"]),
    )
    final = min(sum(category_points.values()) + small_bonus + complex_bonus, Decimal(n["final_score_cap"]))
    if exemptions:
        outcome = "exempt: no MIPS payment adjustment"
    elif final < n["performance_threshold"]:
        outcome = f"negative payment adjustment ({n['negative_adjustment_pct']}%)"
    elif final >= n["exceptional_performance_threshold"]:
        outcome = "neutral or positive adjustment, and eligible for the exceptional-performance bonus"
    else:
        outcome = "neutral or positive payment adjustment"
    return MipsEstimate(
        eligible=not exemptions,
        exemptions=exemptions,
        small_practice=small,
        weights=weights,
        category_points=category_points,
        ia_activity_points=activity_points,
        small_practice_bonus=small_bonus,
        complex_patient_bonus=complex_bonus,
        final_score=final,
        outcome=outcome,
        quality_reporting_notes=quality_notes(data, n),
    )


def quality_notes(data: dict[str, Any], n: dict[str, Any]) -> list[str]:
    """Where the planned quality reporting falls short of the 2018 requirements."""
    notes = []
    measures = _number(data, "quality_measures_reported", None)
    if measures is not None and measures < n["quality_measures_required"] and not data.get("full_measure_set"):
        notes.append(f"report {n['quality_measures_required']} quality measures (or the whole radiation-oncology set)")
    completeness = _number(data, "data_completeness_pct", None, high=100)
    if completeness is not None and completeness < n["quality_data_completeness_pct"]:
        notes.append(f"data completeness must reach {n['quality_data_completeness_pct']}% of denominator-eligible patients")
    cases = _number(data, "quality_cases", None)
    if cases is not None and cases < n["quality_minimum_cases"]:
        notes.append(f"each measure needs at least {n['quality_minimum_cases']} cases")
    return notes


def to_json(result: MipsEstimate) -> dict[str, Any]:
    def num(value: Decimal) -> float:
        return float(round(value, 2))

    return {
        "eligible": result.eligible,
        "exemptions": result.exemptions,
        "small_practice": result.small_practice,
        "weights": result.weights,
        "category_points": {k: num(v) for k, v in result.category_points.items()},
        "improvement_activity_points": result.ia_activity_points,
        "small_practice_bonus": num(result.small_practice_bonus),
        "complex_patient_bonus": num(result.complex_patient_bonus),
        "final_score": num(result.final_score),
        "outcome": result.outcome,
        "quality_reporting_notes": result.quality_reporting_notes,
    }
