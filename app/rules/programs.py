"""Program figures (not findings): data history, CQI VBR per oncologist, FTE estimate, P4P dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from app.domain.vocabulary import BCBSM_PAYERS
from app.rules.policy_file import Policy
from app.rules.snapshot import FacilitySnapshot
from app.rules.years import calendar_year_state, year_label


@dataclass(frozen=True)
class DataHistory:
    baseline_year: int
    contribution_years: tuple[int, ...]
    met: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class VbrStatus:
    staff_id: str
    name: str
    eligible: bool
    unmet: tuple[str, ...]


@dataclass(frozen=True)
class FteEstimate:
    year: int
    cases: int
    fte: Decimal
    cases_per_fte: int
    payment: Decimal | None
    staffing: str
    non_bcbsm_cases: int
    #: Non-BCBSM cases over the cases with a known payer (BCBSM and BCN count as BCBSM); None when
    #: no enrolled case of the year has a payer recorded.
    non_bcbsm_share: Decimal | None
    projected_non_bcbsm_share: Decimal
    unknown_payer_cases: int = 0


@dataclass(frozen=True)
class ProgramFigures:
    as_of: dt.date
    data_history: DataHistory
    vbr: tuple[VbrStatus, ...]
    fte: FteEstimate
    p4p_payment: dt.date
    mvc_questionnaire_due: dt.date
    notes: tuple[str, ...] = field(default_factory=tuple)


def data_history(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date) -> DataHistory:
    """Gold Card and VBR prerequisite: ≥ N complete years of data from the baseline year on."""
    baseline = snapshot.facility.baseline_year
    years = tuple(sorted(y for y in snapshot.activity_years if baseline <= y < as_of.year))
    reasons = []
    if len(years) < policy.data_history_min_years:
        reasons.append(f"{len(years)} complete year(s) of data contributed since {baseline}; "
                       f"{policy.data_history_min_years} are needed")
    if baseline not in years:
        reasons.append(f"the baseline year {baseline} has no data contributed" if baseline < as_of.year
                       else f"the baseline year {baseline} is not complete yet")
    return DataHistory(baseline, years, not reasons, tuple(reasons))


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def vbr(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date, history: DataHistory) -> tuple[VbrStatus, ...]:
    targets = snapshot.targets_met.get(as_of.year)
    result = []
    for person in sorted(snapshot.staff.values(), key=lambda p: p.name):
        if person.profession != "radiation_oncologist":
            continue
        unmet = []
        if not history.met:
            unmet.append("the facility's data history is not met: " + "; ".join(history.reasons))
        if targets is None:
            running = (f" ({year_label(as_of.year, as_of)}: decided after the year)"
                       if calendar_year_state(as_of.year, as_of) == "in progress" else "")
            unmet.append(f"the consortium's performance targets for {as_of.year} are not entered yet{running}")
        elif not targets:
            unmet.append(f"the facility did not meet the consortium's performance targets for {as_of.year}")
        needed = years_before(as_of, policy.pgip_min_years)
        if person.pgip_member_since is None:
            unmet.append("not a PGIP member")
        elif person.pgip_member_since > needed:
            unmet.append(f"PGIP member since {person.pgip_member_since.isoformat()}: "
                         f"less than {policy.pgip_min_years} year(s) on {as_of.isoformat()}")
        result.append(VbrStatus(person.staff_id, person.name, not unmet, tuple(unmet)))
    return tuple(result)


def default_fte_year(as_of: dt.date) -> int:
    """The last complete calendar year at D: D's own year when D is December 31, else the year before.

    The payment is made on a whole year's volume, so a partial year would understate it.
    """
    return as_of.year if (as_of.month, as_of.day) == (12, 31) else as_of.year - 1


def fte_estimate(snapshot: FacilitySnapshot, policy: Policy, year: int, rate_per_fte: Decimal | None = None) -> FteEstimate:
    """FTE = enrolled cases of ``year`` / cases per FTE (2 decimals, half up), the payment at a rate
    per FTE when one is given, and the non-BCBSM share against the program's projection."""
    by_payer = {payer: n for (y, payer), n in snapshot.enrolled_by_year_payer.items() if y == year}
    cases = sum(by_payer.values())
    fte = (Decimal(cases) / Decimal(policy.cases_per_fte)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    unknown = by_payer.get(None, 0)
    non_bcbsm = sum(n for payer, n in by_payer.items() if payer is not None and payer not in BCBSM_PAYERS)
    known = cases - unknown
    share = (Decimal(non_bcbsm) / known).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP) if known else None
    payment = (fte * rate_per_fte).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if rate_per_fte is not None else None
    staffing = ("staffed by a clinical data abstractor (clinical data and patient-reported outcomes) and a "
                "physicist or dosimetrist (treatment planning and delivery details)")
    return FteEstimate(year, cases, fte, policy.cases_per_fte, payment, staffing,
                       non_bcbsm, share, policy.non_bcbsm_share, unknown)


def program_figures(snapshot: FacilitySnapshot, policy: Policy, as_of: dt.date, fte_year: int | None = None,
                    rate_per_fte: Decimal | None = None) -> ProgramFigures:
    """Every program figure at D. ``fte_year`` defaults to ``default_fte_year(D)``; the snapshot must
    hold that year's payer counts (``load_snapshot`` loads them for the same ``fte_year``)."""
    history = data_history(snapshot, policy, as_of)
    month, day = (int(x) for x in policy.mvc_questionnaire_due.split("-"))
    return ProgramFigures(
        as_of=as_of,
        data_history=history,
        vbr=vbr(snapshot, policy, as_of, history),
        fte=fte_estimate(snapshot, policy, fte_year or default_fte_year(as_of), rate_per_fte),
        p4p_payment=dt.date(as_of.year + 1, policy.p4p_payment_month, 1),
        mvc_questionnaire_due=dt.date(as_of.year, month, day),
    )
