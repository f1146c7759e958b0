"""The enrollment register and the work it causes: cases, data-entry log, dosimetry submissions.

Cases are produced in eligible-date order, one at a time, each with the data-entry rows and the
dosimetry submission that belong to it, so the caller can write them in chunks and a run of
200,000 cases never holds more than a chunk in memory. Dates are handled as day offsets from
the join date against precomputed per-day tables, because this loop runs once per case.
"""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect
from collections.abc import Iterator, Sequence
from itertools import accumulate
from typing import Generic, TypeVar

from app.demo.staff import Assignment
from app.demo.timeline import QUIET_PROJECT, Timeline
from app.storage.bulk import CHUNK

#: Relative referral volume per month: a summer dip and a December dip.
MONTH_WEIGHTS = (1.05, 1.0, 1.1, 1.05, 1.0, 0.92, 0.8, 0.85, 1.0, 1.08, 1.0, 0.76)
YEARLY_GROWTH = 0.03
CLOSED_DAYS = ((1, 1), (7, 4), (12, 24), (12, 25), (12, 31))
DEFAULT_CASES_PER_YEAR = (400, 600)
ENROLL_WITHIN_DAYS = 20
T = TypeVar("T")


def between(rng: random.Random, low: int, high: int) -> int:
    """``rng.randint(low, high)`` at a fraction of the cost, for the per-case loop."""
    return low + int(rng.random() * (high - low + 1))


def one_of(rng: random.Random, items: Sequence[T]) -> T:
    """``rng.choice`` at a fraction of the cost, for the per-case loop."""
    return items[int(rng.random() * len(items))]


class Mix(Generic[T]):
    """A weighted choice that costs one ``random()`` call (this runs hundreds of thousands of times)."""

    def __init__(self, weighted: Sequence[tuple[T, float]]) -> None:
        self.items = [item for item, _ in weighted]
        total = sum(w for _, w in weighted)
        self.cumulative = list(accumulate(w / total for _, w in weighted))

    def pick(self, rng: random.Random) -> T:
        return self.items[min(bisect(self.cumulative, rng.random()), len(self.items) - 1)]


PROJECTS = Mix((("breast", 0.40), ("prostate", 0.22), ("lung", 0.23), ("bone_mets", 0.15)))
NOT_QUIET = Mix((("breast", 0.40), ("prostate", 0.22), ("bone_mets", 0.15)))
BONE_METS_PRIMARIES = Mix((("breast", 0.3), ("lung", 0.3), ("prostate", 0.25), ("melanoma", 0.08),
                           ("renal_cell", 0.07)))
#: Payers by age: Medicare from 65 (some with a BCBSM plan), commercial and Medicaid below;
#: about 16% BCBSM/BCN overall, as the FTE estimate's 84% non-BCBSM projection assumes.
PAYERS_65_PLUS = Mix((("medicare", 0.80), ("bcbsm", 0.06), ("bcn", 0.02), ("other", 0.08), ("medicaid", 0.03),
                      ("uninsured", 0.01)))
PAYERS_UNDER_65 = Mix((("bcbsm", 0.19), ("bcn", 0.07), ("other", 0.38), ("medicaid", 0.22), ("medicare", 0.06),
                       ("uninsured", 0.08)))
MEAN_AGE = {"breast": 61, "lung": 68, "prostate": 67, "bone_mets": 66}
NOT_ENROLLED_REASONS = Mix((
    ("declined", 0.38), ("unable_to_consent", 0.12), ("not_treated", 0.18), ("transferred", 0.10),
    ("deceased", 0.07), ("ineligible_on_review", 0.11), ("other", 0.03), ("measure_criteria", 0.01),
))
OTHER_NOTES = (
    "Moved out of state before treatment began",
    "Enrolled in a competing clinical trial",
    "Chose treatment closer to home",
    "Treatment plan changed to surgery only",
)
P_ENROLLED = 0.85
P_UNDECIDED = 0.003  # left pending and forgotten: what QIP-ENR-SELECTIVE looks for

#: (kind, earliest, latest) days after enrollment for each registry entry of an enrolled case.
ENTRY_PLAN = (("abstraction", 1, 10), ("pro", 7, 35), ("followup", 80, 120))
P_OTHER_ENTRY = 0.08

#: (technique, total dose Gy, fractions, weight) per project with dosimetry.
PLANS = {
    "breast": Mix(((("3D-CRT", 40.05, 15), 0.42), (("3D-CRT", 42.56, 16), 0.12), (("3D-CRT", 50.0, 25), 0.16),
                   (("IMRT", 40.05, 15), 0.12), (("VMAT", 50.0, 25), 0.08), (("3D-CRT", 26.0, 5), 0.10))),
    "lung": Mix(((("VMAT", 60.0, 30), 0.34), (("IMRT", 60.0, 30), 0.18), (("3D-CRT", 60.0, 30), 0.06),
                 (("SBRT", 54.0, 3), 0.18), (("SBRT", 50.0, 5), 0.16), (("SBRT", 48.0, 4), 0.08))),
}
P_DOSIMETRY = 0.93
DOSIMETRY_STAFF = Mix((("DOS-01", 0.4), ("DOS-02", 0.4), ("PHY-01", 0.1), ("PHY-02", 0.1)))

PATIENT_FIRST = (
    "Alex", "Blair", "Cameron", "Devon", "Elliot", "Frankie", "Gray", "Hayden", "Indigo", "Jules", "Kai",
    "Lane", "Marlow", "Noel", "Oakley", "Parker", "Quincy", "Remy", "Sage", "Tatum", "Umber", "Vale",
    "Wynn", "Yael", "Zephyr", "Arden", "Briar", "Cove",
)
PATIENT_LAST = (
    "Ashdown", "Birchwood", "Calloway", "Dunmore", "Everly", "Fairbanks", "Glenrock", "Holloway",
    "Ivesdale", "Juniper", "Kestrel", "Larkspur", "Merriweather", "Northcott", "Oakhurst", "Pembrook",
    "Quillfeather", "Rosethorne", "Silverbirch", "Tumbledown", "Underhill", "Vexley", "Willowmere",
    "Yarrowby",
)


def default_total(rng: random.Random, timeline: Timeline) -> int:
    """A mid-size facility: 400–600 cases a year over the facility's history."""
    per_year = rng.randint(*DEFAULT_CASES_PER_YEAR)
    return round(per_year * (timeline.span_days + 1) / 365.25)


def _day_weight(day: dt.date, joined: dt.date) -> float:
    if day.weekday() >= 5 or (day.month, day.day) in CLOSED_DAYS:
        return 0.0
    return MONTH_WEIGHTS[day.month - 1] * (1 + YEARLY_GROWTH * (day - joined).days / 365.25)


def daily_counts(rng: random.Random, timeline: Timeline, total: int) -> list[int]:
    """How many cases became eligible on each day (index: days since joining); sums to ``total``."""
    n = timeline.span_days + 1
    weights = [_day_weight(timeline.joined + dt.timedelta(days=i), timeline.joined) for i in range(n)]
    counts = [0] * n
    if total <= 0 or not any(weights):
        return counts
    cumulative = list(accumulate(weights))
    offsets = range(n)
    for done in range(0, total, CHUNK):
        for i in rng.choices(offsets, cum_weights=cumulative, k=min(CHUNK, total - done)):
            counts[i] += 1
    return counts


class WorkCalendar:
    """Which days registry work happened and which CDAs could do it.

    A day is open when it is a weekday outside the data-entry gap and some CDA holds the role and
    is not away. Work that falls on a closed day is done on the next open day, which is how a
    backlog builds up during the gap and a leave.
    """

    def __init__(self, timeline: Timeline, roles: list[Assignment], away: set[tuple[str, dt.date]]) -> None:
        self.timeline = timeline
        n = timeline.span_days + 1
        self.dates = [timeline.joined + dt.timedelta(days=i) for i in range(n)]
        cda_terms = [a for a in roles if a.role == "cda"]
        gap = timeline.lag_gap
        self.cdas: list[tuple[str, ...]] = []
        for day in self.dates:
            if day.weekday() >= 5 or (gap is not None and day in gap):
                self.cdas.append(())
                continue
            self.cdas.append(tuple(a.staff_id for a in cda_terms
                                   if a.holds("cda", day) and (a.staff_id, day) not in away))
        self.next_open: list[int] = [-1] * (n + 1)
        for i in range(n - 1, -1, -1):
            self.next_open[i] = i if self.cdas[i] else self.next_open[i + 1]

    def open_from(self, offset: int) -> int:
        """The first open day at or after ``offset``; -1 when that is after the as-of date."""
        return self.next_open[offset] if 0 <= offset < len(self.dates) else -1


class CaseFactory:
    """Builds each case with its outcome, registry entries and dosimetry, in eligible-date order."""

    def __init__(self, rng: random.Random, timeline: Timeline, calendar: WorkCalendar) -> None:
        self.rng = rng
        self.timeline = timeline
        self.calendar = calendar

    def stream(self, total: int) -> Iterator[tuple[dict, list[dict], dict | None]]:
        number = 0
        for offset, count in enumerate(daily_counts(self.rng, self.timeline, total)):
            for _ in range(count):
                number += 1
                yield self._case(number, offset)

    def _project(self, day: dt.date) -> str:
        project = PROJECTS.pick(self.rng)
        quiet = self.timeline.quiet
        if project == QUIET_PROJECT and quiet is not None and day in quiet:
            return NOT_QUIET.pick(self.rng)  # the lung clinic's referrals dried up lately
        return project

    def _patient(self, number: int, project: str, eligible: dt.date) -> dict:
        """Synthetic identifiers (clearly fake) and the payer, which follows age."""
        rng = self.rng
        age = min(94, max(28, int(rng.gauss(MEAN_AGE[project], 10))))
        payers = PAYERS_65_PLUS if age >= 65 else PAYERS_UNDER_65
        return {
            "payer": payers.pick(rng),
            "mrn": f"DEMO-{number:07d}",
            "name": f"{one_of(rng, PATIENT_FIRST)} {one_of(rng, PATIENT_LAST)}",
            "birth_date": eligible - dt.timedelta(days=int(age * 365.25) + between(rng, 0, 364)),
        }

    def _case(self, number: int, offset: int) -> tuple[dict, list[dict], dict | None]:
        rng, calendar = self.rng, self.calendar
        eligible = calendar.dates[offset]
        project = self._project(eligible)
        case = {
            "case_id": f"MRQ-{number:07d}", "project": project,
            "primary_site": BONE_METS_PRIMARIES.pick(rng) if project == "bone_mets" else project,
            "eligible_on": eligible, "status": "pending", "enrolled_on": None, "not_enrolled_reason": None,
            "note": None, **self._patient(number, project, eligible),
        }
        entries: list[dict] = []
        if self.timeline.paused(project, eligible):
            self._not_enrolled(case, offset, "transferred", entries)  # treated at a partner site meanwhile
            return case, entries, None
        roll = rng.random()
        if roll < P_ENROLLED:
            enrolled = self._enrollment_day(offset)
            if enrolled >= 0:
                case["status"], case["enrolled_on"] = "enrolled", calendar.dates[enrolled]
                entries = self._entries(case["case_id"], enrolled)
                return case, entries, self._dosimetry(case, enrolled)
        elif roll < 1 - P_UNDECIDED:
            self._not_enrolled(case, offset, NOT_ENROLLED_REASONS.pick(rng), entries)
        return case, entries, None

    def _enrollment_day(self, offset: int) -> int:
        """Usually within 20 days of eligibility; after a closed spell the backlog is worked off
        over the following weeks rather than all on one day."""
        delay = min(int(self.rng.expovariate(0.2)), ENROLL_WITHIN_DAYS - 2)
        day = self.calendar.open_from(offset + delay)
        if day - offset > ENROLL_WITHIN_DAYS:
            day = self.calendar.open_from(day + between(self.rng, 0, 15))
        return day

    def _not_enrolled(self, case: dict, offset: int, reason: str, entries: list[dict]) -> None:
        """Decided 2–25 days after eligibility; until then (and if that is after D) still pending."""
        decided = self.calendar.open_from(offset + between(self.rng, 2, 25))
        if decided < 0:
            return
        case["status"], case["not_enrolled_reason"] = "not_enrolled", reason
        if reason == "other":
            case["note"] = self.rng.choice(OTHER_NOTES)
        entries.append(self._entry(case["case_id"], "abstraction", decided))

    def _entry(self, case_id: str, kind: str, offset: int) -> dict:
        calendar = self.calendar
        return {"date": calendar.dates[offset], "case_id": case_id, "kind": kind,
                "staff_id": one_of(self.rng, calendar.cdas[offset])}

    def _entries(self, case_id: str, enrolled: int) -> list[dict]:
        rng, calendar = self.rng, self.calendar
        plan = ENTRY_PLAN + ((("other", 20, 60),) if rng.random() < P_OTHER_ENTRY else ())
        rows = []
        for kind, earliest, latest in plan:
            day = calendar.open_from(enrolled + between(rng, earliest, latest))
            if day >= 0:
                rows.append(self._entry(case_id, kind, day))
        return rows

    def _dosimetry(self, case: dict, enrolled: int) -> dict | None:
        """About one submission per enrolled breast or lung case, a few weeks after enrollment."""
        rng = self.rng
        plans = PLANS.get(case["project"])
        if plans is None or rng.random() > P_DOSIMETRY:
            return None
        day = self.calendar.open_from(enrolled + between(rng, 5, 30))
        if day < 0:
            return None
        technique, dose, fractions = plans.pick(rng)
        return {"case_id": case["case_id"], "submitted_on": self.calendar.dates[day],
                "staff_id": DOSIMETRY_STAFF.pick(rng), "technique": technique, "total_dose_gy": dose,
                "fractions": fractions, "metrics": _metrics(rng, case["project"], technique)}


def _metrics(rng: random.Random, project: str, technique: str) -> dict[str, float]:
    """Plausible plan metrics: heart dose by laterality for breast, lung dose by technique for lung."""
    if project == "breast":
        left = rng.random() < 0.5
        heart = rng.uniform(0.8, 3.8) if left else rng.uniform(0.2, 1.0)
        return {"mean_heart_dose_gy": round(heart, 2), "lung_v20_pct": round(rng.uniform(5, 22), 1)}
    if technique == "SBRT":
        return {"lung_v20_pct": round(rng.uniform(2, 9), 1), "mean_lung_dose_gy": round(rng.uniform(2, 6), 1)}
    return {"lung_v20_pct": round(rng.uniform(12, 34), 1), "mean_lung_dose_gy": round(rng.uniform(6, 19), 1),
            "mean_heart_dose_gy": round(rng.uniform(2, 15), 1)}
