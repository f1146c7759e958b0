"""MVC P4P episode-payment measure: improvement and achievement z scores turned into points.

z scores are computed and compared in ``Decimal`` from the numbers as written, so a z that is
exactly on a band edge (0.05, 0.10, ...) lands in the band the program intends.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from app.calculators.program_numbers import program_numbers


class CalculatorInputError(ValueError):
    """Input the calculator cannot use. The message says which field and why, for people;
    ``field`` names the input field (None: the input as a whole) and ``kind`` what is wrong
    (``missing``, ``not_a_number``, ``out_of_range``, ``choice``), for the window to read."""

    def __init__(self, message: str, *, field: str | None = None, kind: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.kind = kind


@dataclass(frozen=True)
class ConditionScore:
    condition: str
    improvement_z: Decimal
    achievement_z: Decimal
    improvement_points: int
    achievement_points: int

    @property
    def points(self) -> int:
        return max(self.improvement_points, self.achievement_points)


def points_for(z: Decimal) -> int:
    """0 below zero, then one point per band, 5 at the top band."""
    bands = [Decimal(edge) for edge in program_numbers()["mvc"]["point_bands"]]
    return sum(1 for edge in bands if z >= edge)


#: Sanity limits on typed dollar amounts (not policy numbers): beyond them the input is a typo,
#: and z-scores would be too large to round to cents.
MAX_AMOUNT = Decimal(1_000_000_000)
MIN_SD = Decimal("0.01")


def _money(item: dict[str, Any], field: str, where: str) -> Decimal:
    if field not in item:
        raise CalculatorInputError(f"{where}: '{field}' is missing", field=field, kind="missing")
    value = item[field]
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise CalculatorInputError(f"{where}: '{field}' must be a number", field=field, kind="not_a_number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise CalculatorInputError(f"{where}: '{field}' must be a number", field=field, kind="not_a_number") from None
    if not number.is_finite() or number < 0:
        raise CalculatorInputError(f"{where}: '{field}' must be a positive amount", field=field, kind="out_of_range")
    if number > MAX_AMOUNT:  # a typo, not an episode payment; z would overflow the rounding
        raise CalculatorInputError(f"{where}: '{field}' must be at most {MAX_AMOUNT:,} dollars", field=field,
                                   kind="out_of_range")
    return number


def score_condition(item: dict[str, Any], where: str = "condition") -> ConditionScore:
    conditions = program_numbers()["mvc"]["conditions"]
    name = item.get("condition")
    if name not in conditions:
        raise CalculatorInputError(f"{where}: 'condition' must be one of {', '.join(conditions)}", field="condition",
                                   kind="choice")
    hospital_baseline = _money(item, "hospital_baseline", where)
    performance = _money(item, "hospital_performance", where)
    cohort_baseline = _money(item, "cohort_baseline", where)
    sd = _money(item, "sd", where)
    if sd < MIN_SD:
        raise CalculatorInputError(f"{where}: 'sd' must be at least {MIN_SD} dollars (greater than zero)", field="sd",
                                   kind="out_of_range")
    improvement = (hospital_baseline - performance) / sd
    achievement = (cohort_baseline - performance) / sd
    return ConditionScore(name, improvement, achievement, points_for(improvement), points_for(achievement))


def score_measure(data: dict[str, Any]) -> list[ConditionScore]:
    items = data.get("conditions") if isinstance(data, dict) else None
    limit = program_numbers()["mvc"]["conditions_per_measure"]
    if not isinstance(items, list) or not 1 <= len(items) <= limit:
        raise CalculatorInputError(f"'conditions' must be a list of 1 to {limit} conditions")
    scores = [score_condition(item if isinstance(item, dict) else {}, f"conditions[{i}]") for i, item in enumerate(items)]
    names = [score.condition for score in scores]
    if len(set(names)) != len(names):
        raise CalculatorInputError("each condition may be chosen only once")
    return scores


def rounded(z: Decimal) -> float:
    return float(z.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def to_json(scores: list[ConditionScore]) -> dict[str, Any]:
    return {
        "conditions": [
            {
                "condition": s.condition,
                "improvement_z": rounded(s.improvement_z),
                "achievement_z": rounded(s.achievement_z),
                "improvement_points": s.improvement_points,
                "achievement_points": s.achievement_points,
                "points": s.points,
            }
            for s in scores
        ],
        "total": sum(s.points for s in scores),
    }
