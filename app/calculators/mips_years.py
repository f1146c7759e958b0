"""The MIPS program files, one per performance year (``resources/programs/mips/<year>.toml``).

Each file holds the year's rules (weights, thresholds, bonuses, the reweighting table), every
number with its source beside it, and — generated from CMS's own JSON by
``tools/mips_from_cms.py``, the source commit named — the radiation-oncology measure set with its
benchmark deciles and the year's improvement activities. Adding a year is a file, not code.
The files are read into typed structures (``msgspec``, by ``app.typed_toml``): a misspelt key or a
wrong type is refused with its key path and line, so a hand edit cannot silently change an estimate.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Annotated, Literal

import msgspec

from app.paths import resource
from app.typed_toml import read_file

CATEGORIES = ("quality", "cost", "ia", "pi")


class MipsYearError(ValueError):
    """A MIPS program file that cannot be used; says which file and which key."""


class _Strict(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    pass


class Category(_Strict):
    name: str
    weight: int
    #: the key the output uses for it (2018's Promoting Interoperability was "aci")
    key: str | None = None


class Eligibility(_Strict):
    low_volume_allowed_charges: int
    low_volume_beneficiaries: int
    small_practice_max_clinicians: int
    low_volume_services: int | None = None


class QualityRules(_Strict):
    measures_required: int
    data_completeness_pct: int
    minimum_cases: int
    small_practice_bonus_points: int
    points_per_measure: int
    no_benchmark_points: int
    no_benchmark_points_small_practice: int
    incomplete_points: int
    incomplete_points_small_practice: int
    topped_out_cap: int
    #: the least a measure scored against a benchmark earns (2018: 3); None: 1, the lowest decile
    benchmark_floor_points: int | None = None
    new_measure_floor_first_year: int | None = None
    new_measure_floor_second_year: int | None = None


class IaRules(_Strict):
    scoring: Literal["weights", "activities"]
    category_full: int
    small_practice_multiplier: int
    medium_points: int | None = None
    high_points: int | None = None
    activity_points: int | None = None
    #: activity ID -> "medium", "high" or "none" (CMS's data gives no weight since 2025)
    activities: dict[str, str] = {}


class PiRules(_Strict):
    small_practice_reweighted_automatically: bool


class BonusRules(_Strict):
    small_practice_final_score_bonus: int
    complex_patient: Literal["hcc_dual", "reported"]
    complex_patient_bonus_cap: int
    complex_patient_hcc_cap: int | None = None
    complex_patient_dual_multiplier: int | None = None


class FinalRules(_Strict):
    cap: int
    max_adjustment_pct: int
    negative_adjustment: Literal["full", "sliding"]
    fewer_than_two_scored: Literal["score", "threshold"]
    #: None: no rule verified for the year sets it (a provisional year)
    performance_threshold: int | None = None
    exceptional_performance_threshold: int | None = None
    positive_adjustment: str | None = None


class Reweighting(_Strict):
    without: list[str]
    weights: dict[str, int]
    small_practice: bool = False


class Benchmark(_Strict):
    collection_type: str
    benchmark_year: int
    decile_1_from: float
    deciles_2_to_10_from: Annotated[list[float], msgspec.Meta(min_length=9, max_length=9)]
    topped_out: bool
    topped_out_by_program: bool


class MeasureInfo(_Strict):
    title: str
    high_priority: bool
    inverse: bool
    first_performance_year: int
    seven_point_cap_removed: list[str]
    benchmarks: list[Benchmark] = []

    def benchmark(self, collection_type: str) -> Benchmark | None:
        return next((b for b in self.benchmarks if b.collection_type == collection_type), None)


class CmsSource(_Strict):
    repository: str
    commit: str
    measures_file: str
    benchmarks_file: str


class MipsYear(_Strict):
    performance_year: int
    payment_year: int
    status: Literal["final", "provisional"]
    status_source: str
    categories: dict[str, Category]
    eligibility: Eligibility
    quality: QualityRules
    ia: IaRules
    pi: PiRules
    bonus: BonusRules
    final: FinalRules
    reweighting: list[Reweighting]
    cms: CmsSource
    #: the radiation-oncology measure set (CMS's ``measureSets: radiationOncology``), by measure ID
    measures: dict[str, MeasureInfo]

    def name(self, category: str) -> str:
        return self.categories[category].name

    def out_key(self, category: str) -> str:
        return self.categories[category].key or category

    @property
    def label(self) -> str:
        """"2025 (final rules)", "2027 (provisional rules)": how every screen names the year."""
        return f"{self.performance_year} ({self.status} rules)"


def _check(year: MipsYear, source: str) -> MipsYear:
    """What a type cannot say: the categories, weights that add up, deciles that rise."""
    problems = []
    if set(year.categories) != set(CATEGORIES):
        problems.append(f"[categories] must be exactly {', '.join(CATEGORIES)}")
    elif sum(c.weight for c in year.categories.values()) != 100:
        problems.append("[categories] weights must add up to 100")
    for i, row in enumerate(year.reweighting):
        if not set(row.without) <= set(CATEGORIES) or set(row.weights) != set(CATEGORIES):
            problems.append(f"reweighting[{i}]: 'without' and 'weights' must name {', '.join(CATEGORIES)}")
        elif sum(row.weights.values()) != 100 or any(row.weights[c] for c in row.without):
            problems.append(f"reweighting[{i}]: weights must add up to 100, 0 for the categories not scored")
    for mid, m in year.measures.items():
        for b in m.benchmarks:
            lows = [b.decile_1_from, *b.deciles_2_to_10_from]
            if lows != sorted(lows):
                problems.append(f"measures.{mid} ({b.collection_type}): deciles must be 9 rising lower bounds")
    if year.ia.scoring == "weights" and (year.ia.medium_points is None or year.ia.high_points is None):
        problems.append("[ia] scoring 'weights' needs medium_points and high_points")
    if year.ia.scoring == "activities" and year.ia.activity_points is None:
        problems.append("[ia] scoring 'activities' needs activity_points")
    if problems:
        raise MipsYearError(f"{source}: " + "; ".join(problems))
    return year


def available_years() -> list[int]:
    """Performance years with a program file (adding ``2028.toml`` adds 2028)."""
    return sorted(int(p.stem) for p in resource("programs", "mips").glob("*.toml") if p.stem.isdigit())


@cache
def mips_year(year: int) -> MipsYear:
    """The checked program file of one performance year."""
    path = resource("programs", "mips", f"{year}.toml")
    parsed = read_file(path, MipsYear, MipsYearError, missing=f"There is no MIPS program file for {year}.")
    if parsed.performance_year != year:
        raise MipsYearError(f"{path.name}: says performance_year = {parsed.performance_year}")
    return _check(parsed, path.name)


def decimal(value: float | int) -> Decimal:
    return Decimal(str(value))


def changes_since(year: MipsYear, before: MipsYear) -> list[str]:
    """One line per rule that differs from an earlier year's file, for the dialog ("what changed")."""
    lines = []
    for c in CATEGORIES:
        a, b = before.categories[c], year.categories[c]
        if a.name != b.name:
            lines.append(f"{a.name} is now {b.name}.")
        if a.weight != b.weight:
            lines.append(f"{b.name} weight: {a.weight} → {b.weight}.")
    pairs = [
        ("performance threshold", before.final.performance_threshold, year.final.performance_threshold),
        ("exceptional-performance threshold", before.final.exceptional_performance_threshold,
         year.final.exceptional_performance_threshold),
        ("maximum payment adjustment (%)", before.final.max_adjustment_pct, year.final.max_adjustment_pct),
        ("quality data completeness (%)", before.quality.data_completeness_pct, year.quality.data_completeness_pct),
        ("small-practice bonus in Quality (points)", before.quality.small_practice_bonus_points,
         year.quality.small_practice_bonus_points),
        ("small-practice bonus on the final score (points)", before.bonus.small_practice_final_score_bonus,
         year.bonus.small_practice_final_score_bonus),
        ("complex-patient bonus cap (points)", before.bonus.complex_patient_bonus_cap, year.bonus.complex_patient_bonus_cap),
        ("points for a measure without a benchmark", before.quality.no_benchmark_points, year.quality.no_benchmark_points),
        ("improvement activities listed by CMS", len(before.ia.activities), len(year.ia.activities)),
    ]
    for what, a, b in pairs:
        if a != b:
            after = ("not set yet" if what == "performance threshold" else "none") if b is None else b
            lines.append(f"{what[:1].upper() + what[1:]}: {'none' if a is None else a} → {after}.")
    if before.ia.scoring != year.ia.scoring:
        lines.append("Improvement activities are no longer medium or high weight: each counts "
                     f"{year.ia.activity_points} points (full at {year.ia.category_full})." if year.ia.scoring == "activities"
                     else "Improvement activities are weighted medium or high again.")
    gone, new = sorted(set(before.measures) - set(year.measures)), sorted(set(year.measures) - set(before.measures))
    if gone or new:
        lines.append("Radiation-oncology measure set: " + "; ".join(
            ([f"added {', '.join(new)}"] if new else []) + ([f"removed {', '.join(gone)}"] if gone else [])) + ".")
    return lines
