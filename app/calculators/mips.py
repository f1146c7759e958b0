"""MIPS final-score estimate for a practice's radiation oncologists, for any performance year with
a program file (``resources/programs/mips/<year>.toml``; a new year is a new file).

Input fields are documented in docs/calculators.md. The year's file decides everything that
changes by year — weights, the reweighting table, bonuses, the threshold, how improvement
activities count, the radiation-oncology measures and their benchmark deciles — so the same
practice can be estimated under each year's rules. Quality is either typed as the percent of
the category achieved, or scored measure by measure from performance rates against the year's
benchmarks (deciles with partial points, the topped-out cap, measures without a benchmark as CMS
scores them). The estimate says the year, whether its rules are final or provisional, where the
final score lands against the threshold and which way the payment adjustment goes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.calculators.mips_years import (
    CATEGORIES,
    MipsYear,
    MipsYearError,
    available_years,
    decimal,
    mips_year,
)
from app.calculators.mvc import CalculatorInputError


@dataclass(frozen=True)
class MeasureScore:
    """One quality measure as scored: its points and why."""

    measure: str
    collection_type: str
    performance_rate: Decimal | None
    points: Decimal
    how: str


@dataclass(frozen=True)
class MipsEstimate:
    year: MipsYear
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
    measure_scores: list[MeasureScore] = field(default_factory=list)
    #: what the estimate could not know or assumed, in words (a provisional year, a reweighting rule)
    notes: list[str] = field(default_factory=list)

    @property
    def threshold(self) -> int | None:
        return self.year.final.performance_threshold


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


def _either(data: dict[str, Any], key: str, alias: str) -> str:
    """The Promoting Interoperability fields keep 2018's names (``aci_score``) as aliases, so one
    practice file runs under every year; giving both is refused rather than one silently winning."""
    if key in data and alias in data:
        raise CalculatorInputError(f"give '{key}' or '{alias}' (its 2018 name), not both", field=key, kind="choice")
    return alias if alias in data else key


def year_of(data: dict[str, Any], default_year: int | None) -> MipsYear:
    """The program file of the input's ``performance_year`` (else ``default_year``: the CLI and the
    window pass the current year, never an old one silently)."""
    value = data.get("performance_year", default_year)
    years = available_years()
    if isinstance(value, bool) or not isinstance(value, int) or value not in years:
        raise CalculatorInputError(
            f"'performance_year' must be one of {', '.join(map(str, years))} (the years with a MIPS program file)"
            + (f"; {value!r} has none" if value is not None else ""), field="performance_year", kind="choice")
    try:
        return mips_year(value)
    except MipsYearError as exc:  # a damaged bundled file: said as one line, never a traceback
        raise CalculatorInputError(str(exc)) from None


def weights_for(year: MipsYear, not_scored: set[str], small: bool) -> dict[str, int]:
    """The year's weights, or its reweighting row for the categories not scored (a small practice's
    own row first, where the year has one)."""
    base = {c: year.categories[c].weight for c in CATEGORIES}
    if not not_scored:
        return base
    rows = [r for r in year.reweighting if set(r.without) == not_scored]
    row = next((r for r in rows if r.small_practice and small), None) or next((r for r in rows if not r.small_practice), None)
    if row is None:
        names = " and ".join(year.name(c) for c in CATEGORIES if c in not_scored)
        raise CalculatorInputError(f"the {year.performance_year} rules have no weights for {names} not scored together")
    return dict(row.weights)


def decile_points(rate: Decimal, lows: list[Decimal]) -> Decimal:
    """1–10 points from a performance rate and the lower bounds of deciles 1–10: the decile the rate
    falls in, plus the fraction of the way through it (partial points); decile 10 is 10 points and a
    rate below decile 1 earns 1 (CMS's quality scoring: 1 to 10 points for a measure with a benchmark)."""
    decile = max((i + 1 for i, low in enumerate(lows) if rate >= low), default=0)
    if decile == 0:
        return Decimal(1)
    if decile == 10:
        return Decimal(10)
    low, high = lows[decile - 1], lows[decile]
    return Decimal(decile) + (rate - low) / (high - low)   # high > low: an empty decile is skipped by max()


def score_measure(year: MipsYear, item: Any, index: int, small: bool) -> MeasureScore:
    """One measure, as CMS scores it in the year: benchmark deciles, the topped-out cap, no benchmark,
    data completeness and the case minimum, the floor of a new measure."""
    where = f"quality_measures[{index}]"
    if not isinstance(item, dict):
        raise CalculatorInputError(f"{where} must be an object with 'measure' and 'performance_rate'")
    mid = str(item.get("measure", ""))
    info = year.measures.get(mid)
    if info is None:
        raise CalculatorInputError(f"{where}: measure {mid or '(none)'} is not in the {year.performance_year} "
                                   f"radiation-oncology set ({', '.join(year.measures)})", field="quality_measures",
                                   kind="choice")
    collection = item.get("collection_type", "registry")
    rate = _number(item, "performance_rate", None, high=100)
    completeness = _number(item, "data_completeness_pct", None, high=100)
    cases = _number(item, "cases", None)
    q = year.quality
    if rate is None:
        raise CalculatorInputError(f"{where}: 'performance_rate' (0–100) is missing", field="quality_measures",
                                   kind="missing")
    if completeness is not None and completeness < q.data_completeness_pct:
        points = q.incomplete_points_small_practice if small else q.incomplete_points
        return MeasureScore(mid, collection, rate, Decimal(points),
                            f"data completeness below {q.data_completeness_pct}%: {points} points")
    bench = info.benchmark(collection)
    if cases is not None and cases < q.minimum_cases or bench is None:
        points = q.no_benchmark_points_small_practice if small else q.no_benchmark_points
        why = (f"fewer than {q.minimum_cases} cases" if bench is not None
               else f"no {year.performance_year} benchmark for {collection}")
        return MeasureScore(mid, collection, rate, Decimal(points), f"{why}: {points} points")
    lows = [decimal(bench.decile_1_from), *(decimal(x) for x in bench.deciles_2_to_10_from)]
    if info.inverse:  # lower is better: the same deciles read from the other end
        lows, rate_read = [-x for x in reversed(lows)], -rate
    else:
        rate_read = rate
    points = decile_points(rate_read, lows)
    how = f"decile score {points:.2f} against the {bench.benchmark_year} benchmark ({collection})"
    if bench.topped_out_by_program and collection not in info.seven_point_cap_removed and points > q.topped_out_cap:
        points = Decimal(q.topped_out_cap)
        how += f", capped at {q.topped_out_cap} (topped out)"
    if q.benchmark_floor_points is not None and points < q.benchmark_floor_points:
        points = Decimal(q.benchmark_floor_points)
        how += f", raised to the {year.performance_year} floor of {q.benchmark_floor_points}"
    age = year.performance_year - info.first_performance_year
    floor = {0: q.new_measure_floor_first_year, 1: q.new_measure_floor_second_year}.get(age)
    if floor is not None and points < floor:
        points = Decimal(floor)
        how += f", raised to the new-measure floor of {floor}"
    return MeasureScore(mid, collection, rate, points, how)


def quality_percent(year: MipsYear, data: dict[str, Any], small: bool) -> tuple[Decimal | None, list[MeasureScore], list[str]]:
    """The Quality category's percent: typed (``quality_score``), or from the measures scored; the
    small-practice bonus points added to the numerator where the year has them."""
    q, notes = year.quality, []
    items = data.get("quality_measures")
    denominator = Decimal(q.measures_required * q.points_per_measure)
    bonus = Decimal(q.small_practice_bonus_points) if small else Decimal(0)
    if items is None:
        typed = _number(data, "quality_score", 0, high=100)
        if typed is None:
            return None, [], notes
        if bonus:
            notes.append(f"small-practice bonus: {bonus:g} quality points of {denominator:g} added to the Quality percent")
        return min(typed + bonus * 100 / denominator, Decimal(100)), [], notes
    if not isinstance(items, list):
        raise CalculatorInputError("'quality_measures' must be a list", field="quality_measures")
    scores = [score_measure(year, item, i, small) for i, item in enumerate(items)]
    if len({s.measure for s in scores}) != len(scores):
        raise CalculatorInputError("each quality measure may be listed only once", field="quality_measures")
    if data.get("full_measure_set") and len(year.measures) < q.measures_required:
        denominator = Decimal(len(year.measures) * q.points_per_measure)
        notes.append(f"the whole radiation-oncology set reported: {len(year.measures)} measures of 10 points")
    best = sorted((s.points for s in scores), reverse=True)[:q.measures_required]
    achieved = sum(best, Decimal(0)) + (bonus if scores else Decimal(0))
    if bonus and scores:
        notes.append(f"small-practice bonus: {bonus:g} points added to the quality numerator")
    return min(achieved / denominator * 100, Decimal(100)), scores, notes


def ia_points(year: MipsYear, activities: Any, small: bool) -> int:
    if not isinstance(activities, list):
        raise CalculatorInputError("'improvement_activities' must be a list")
    rules, total = year.ia, 0
    for i, activity in enumerate(activities):
        if not isinstance(activity, dict):
            raise CalculatorInputError(f"improvement_activities[{i}] must be an object")
        ident = activity.get("id")
        if ident is not None and rules.activities and ident not in rules.activities:
            raise CalculatorInputError(f"improvement_activities[{i}]: {ident} is not an improvement activity of "
                                       f"{year.performance_year} (CMS's list)")
        if rules.scoring == "weights":
            weight = activity.get("weight") or (rules.activities.get(ident) if ident else None)
            if weight not in ("medium", "high"):
                raise CalculatorInputError(f"improvement_activities[{i}]: 'weight' must be medium or high")
            points = rules.medium_points if weight == "medium" else rules.high_points
        else:  # since 2025: no weights, every activity counts the same
            points = rules.activity_points
        assert points is not None  # _check in mips_years guarantees it for the scoring
        total += points * rules.small_practice_multiplier if small else points
    return total


def complex_bonus(year: MipsYear, data: dict[str, Any]) -> tuple[Decimal, list[str]]:
    b = year.bonus
    if b.complex_patient == "hcc_dual":
        hcc = _number(data, "average_hcc_score", 0)
        dual = _number(data, "dual_eligible_ratio", 0, high=1)
        assert b.complex_patient_hcc_cap is not None and b.complex_patient_dual_multiplier is not None
        return min(min(hcc, Decimal(b.complex_patient_hcc_cap)) + dual * b.complex_patient_dual_multiplier,
                   Decimal(b.complex_patient_bonus_cap)), []
    reported = _number(data, "complex_patient_bonus", 0, high=b.complex_patient_bonus_cap)
    notes = []
    if "complex_patient_bonus" not in data and ("average_hcc_score" in data or "dual_eligible_ratio" in data):
        notes.append(f"the {year.performance_year} complex-patient bonus is computed by CMS against national averages: "
                     f"enter the points CMS reports (complex_patient_bonus, up to {b.complex_patient_bonus_cap})")
    return reported, notes


def outcome_of(year: MipsYear, final: Decimal, exempt: bool) -> str:
    f = year.final
    if exempt:
        return "exempt: no MIPS payment adjustment"
    if f.performance_threshold is None:
        return (f"no performance threshold is set for {year.performance_year} yet: the direction of the payment "
                "adjustment cannot be estimated")
    if final < f.performance_threshold:
        if f.negative_adjustment == "full":
            return f"negative payment adjustment (-{f.max_adjustment_pct}%)"
        quarter = Decimal(f.performance_threshold) / 4
        return (f"negative payment adjustment, between 0 and -{f.max_adjustment_pct}% on a sliding scale "
                f"(-{f.max_adjustment_pct}% at {quarter:g} points or below)")
    if f.exceptional_performance_threshold is not None:
        if final >= f.exceptional_performance_threshold:
            return "neutral or positive adjustment, and eligible for the exceptional-performance bonus"
        return "neutral or positive payment adjustment"
    if final == f.performance_threshold:
        return "neutral payment adjustment (0%)"
    return (f"positive payment adjustment, up to +{f.max_adjustment_pct}% times CMS's scaling factor (budget "
            "neutral: the real percentage is not known until CMS has scored every clinician)")


def estimate(data: dict[str, Any], default_year: int | None = None) -> MipsEstimate:
    """The estimate for ``data`` under its ``performance_year``'s rules (else ``default_year``'s)."""
    if not isinstance(data, dict):
        raise CalculatorInputError("the input must be a JSON object")
    year = year_of(data, default_year)
    e = year.eligibility
    charges = _number(data, "part_b_allowed_charges", 0)
    beneficiaries = _number(data, "part_b_beneficiaries", 0)
    services = _number(data, "part_b_services", None)
    clinicians = _number(data, "clinicians", 1, low=1)
    exemptions = []
    if not (charges > e.low_volume_allowed_charges and beneficiaries > e.low_volume_beneficiaries
            and (e.low_volume_services is None or services is None or services > e.low_volume_services)):
        exemptions.append(
            f"low-volume threshold: needs Part B allowed charges above ${e.low_volume_allowed_charges:,} "
            f"and more than {e.low_volume_beneficiaries} Part B beneficiaries"
            + (f" and more than {e.low_volume_services} covered services" if e.low_volume_services else ""))
    if _flag(data, "qualifying_apm_participant"):
        exemptions.append("qualifying APM participant")
    if _flag(data, "newly_enrolled_medicare"):
        exemptions.append("newly enrolled in Medicare")
    small = clinicians <= e.small_practice_max_clinicians
    notes: list[str] = []
    if year.status == "provisional":
        notes.append(f"{year.performance_year} is provisional: {year.status_source}")

    quality, measures, quality_notes_ = quality_percent(year, data, small)
    notes += quality_notes_
    pi_key, pi_exempt_key = _either(data, "pi_score", "aci_score"), _either(data, "pi_exempt", "aci_exempt")
    pi = _number(data, pi_key, None, high=100)
    not_scored = {c for c, key in (("quality", "quality_exempt"), ("ia", "ia_exempt")) if _flag(data, key)}
    if _flag(data, pi_exempt_key):
        not_scored.add("pi")
    elif pi is None and small and year.pi.small_practice_reweighted_automatically:
        not_scored.add("pi")
        notes.append(f"no {year.name('pi')} data from a small practice: reweighted automatically")
    cost = _number(data, "cost_score", None, high=100)
    if cost is None:
        not_scored.add("cost")
    weights = weights_for(year, not_scored, small) if len(not_scored) < 3 else {c: 0 for c in CATEGORIES}
    activity_points = ia_points(year, data.get("improvement_activities", []), small)
    ia_pct = Decimal(min(activity_points, year.ia.category_full) * 100) / year.ia.category_full
    percents = {"quality": quality or Decimal(0), "pi": pi or Decimal(0), "ia": ia_pct, "cost": cost or Decimal(0)}
    category_points = {c: percents[c] * weights[c] / 100 for c in CATEGORIES}
    small_bonus = Decimal(year.bonus.small_practice_final_score_bonus) if small else Decimal(0)
    complex_points, bonus_notes = complex_bonus(year, data)
    notes += bonus_notes
    final = min(sum(category_points.values(), Decimal(0)) + small_bonus + complex_points, Decimal(year.final.cap))
    scored = len(CATEGORIES) - len(not_scored)
    if scored < 2 and year.final.fewer_than_two_scored == "threshold" and year.final.performance_threshold is not None:
        final = Decimal(year.final.performance_threshold)
        notes.append("scored on fewer than 2 categories: the final score is the performance threshold (neutral)")
    return MipsEstimate(
        year=year, eligible=not exemptions, exemptions=exemptions, small_practice=small, weights=weights,
        category_points=category_points, ia_activity_points=activity_points, small_practice_bonus=small_bonus,
        complex_patient_bonus=complex_points, final_score=final, outcome=outcome_of(year, final, bool(exemptions)),
        quality_reporting_notes=quality_notes(year, data), measure_scores=measures, notes=notes)


def quality_notes(year: MipsYear, data: dict[str, Any]) -> list[str]:
    """Where the planned quality reporting falls short of the year's requirements."""
    q, notes = year.quality, []
    measures = _number(data, "quality_measures_reported", None)
    if measures is not None and measures < q.measures_required and not data.get("full_measure_set"):
        notes.append(f"report {q.measures_required} quality measures (or the whole radiation-oncology set)")
    completeness = _number(data, "data_completeness_pct", None, high=100)
    if completeness is not None and completeness < q.data_completeness_pct:
        notes.append(f"data completeness must reach {q.data_completeness_pct}% of denominator-eligible patients")
    cases = _number(data, "quality_cases", None)
    if cases is not None and cases < q.minimum_cases:
        notes.append(f"each measure needs at least {q.minimum_cases} cases")
    return notes


def to_json(result: MipsEstimate) -> dict[str, Any]:
    """``mips-estimate --json`` (docs/calculators.md): every earlier key, and the year's."""
    def num(value: Decimal) -> float:
        return float(round(value, 2))

    year = result.year
    return {
        "performance_year": year.performance_year,
        "payment_year": year.payment_year,
        "status": year.status,
        "status_source": year.status_source,
        "eligible": result.eligible,
        "exemptions": result.exemptions,
        "small_practice": result.small_practice,
        "weights": {year.out_key(c): result.weights[c] for c in CATEGORIES},
        "category_names": {year.out_key(c): year.name(c) for c in CATEGORIES},
        "category_points": {year.out_key(c): num(v) for c, v in result.category_points.items()},
        "improvement_activity_points": result.ia_activity_points,
        "small_practice_bonus": num(result.small_practice_bonus),
        "complex_patient_bonus": num(result.complex_patient_bonus),
        "final_score": num(result.final_score),
        "threshold": result.threshold,
        "outcome": result.outcome,
        "quality_measures": [{"measure": m.measure, "collection_type": m.collection_type,
                              "performance_rate": float(m.performance_rate) if m.performance_rate is not None else None,
                              "points": num(m.points), "how": m.how} for m in result.measure_scores],
        "quality_reporting_notes": result.quality_reporting_notes,
        "notes": result.notes,
        "source": {"cms_repository": year.cms.repository, "cms_commit": year.cms.commit},
    }
