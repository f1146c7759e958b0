"""Data-quality rules judged on one record at a time: pure functions, the as-of date passed in.

The same conditions are judged over the whole register in SQL (``app.services.quality``); these
are what a form shows as the user types, what an import reports for the rows it brings in, and the
reference the SQL is tested against. Each failing record is a ``Problem``: the rule, the record
(its subject, as a finding's), its project and submission period, and a sentence that names the
record and the values at fault — never a patient identifier (no MRN, name or birth date: an age
is said as "younger than 18", not the date).

A record is a plain dict of its values (``case``: ``case_id``, ``project``, ``primary_site``,
``eligible_on``, ``status``, ``enrolled_on``, ``payer``, ``mrn``, ``birth_date`` (or ``age_years``, the
age at eligibility the server gives a role that reads no birth dates), and for
``dosimetry_missing`` ``has_submission``; ``dosimetry``: ``case_id``, ``project``,
``case_eligible_on``, ``submitted_on``, ``technique``, ``total_dose_gy``, ``fractions``;
``attendance``: ``meeting_id``, ``meeting_date``, ``role``, ``staff_id``; ``letter``:
``letter_id``, ``subject``, ``received_on``, ``due_on``, ``replied_on``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from app.domain.vocabulary import label
from app.rules.quality_file import (
    Age,
    DateOrder,
    DaysAfter,
    DoseRange,
    DosimetryMissing,
    Duplicate,
    NotAfterAsOf,
    OneOf,
    QualityRules,
    Required,
    Rule,
)
from app.rules.snapshot import status_at

Readiness = Literal["green", "yellow", "red"]
READINESS_WORDS: dict[str, str] = {"green": "Ready", "yellow": "Warnings to look at", "red": "Not ready"}
SEVERITY_WORDS: dict[str, str] = {"error": "Error", "warning": "Warning", "info": "Note"}
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}
#: What a problem of no project is counted under (meetings, letters): the facility's own.
FACILITY = "facility"

FIELD_WORDS: dict[str, str] = {
    "payer": "payer", "primary_site": "primary site", "mrn": "MRN", "eligible_on": "eligible date",
    "enrolled_on": "enrollment date", "birth_date": "birth date", "submitted_on": "submission date",
    "meeting_date": "meeting date", "received_on": "received date", "due_on": "due date", "replied_on": "reply date",
}


@dataclass(frozen=True, order=True)
class Period:
    """A submission period: a project's annual enrollment period (POLICY.md), from ``start`` to ``end``."""

    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        """"2026" for a calendar year; "2026–27" for a period starting on another day."""
        if (self.start.month, self.start.day) == (1, 1):
            return str(self.start.year)
        return f"{self.start.year}–{str(self.end.year)[2:]}"


def _on(year: int, month_day: str) -> dt.date:
    month, day = (int(x) for x in month_day.split("-"))
    if (month, day) == (2, 29) and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        day = 28  # a 02-29 start falls on 02-28 in other years, as the policy reads it
    return dt.date(year, month, day)


@lru_cache(maxsize=8192)
def period_of(day: dt.date, month_day: str) -> Period:
    """The submission period holding ``day`` for periods starting on ``month_day`` ("01-01");
    remembered, since thousands of problems share a few hundred days."""
    start = _on(day.year, month_day)
    if start > day:
        start = _on(day.year - 1, month_day)
    return Period(start, _on(start.year + 1, month_day) - dt.timedelta(days=1))


def periods_between(first: dt.date, last: dt.date, month_day: str) -> list[Period]:
    """Every period from the one holding ``first`` to the one holding ``last``, newest first."""
    out, period = [], period_of(last, month_day)
    floor = period_of(min(first, last), month_day)
    while period >= floor:
        out.append(period)
        period = period_of(period.start - dt.timedelta(days=1), month_day)
    return out


@dataclass(frozen=True)
class Problem:
    """One rule failed by one record."""

    rule: str
    severity: str
    record: str
    #: the record, as a finding's subject: ``{"case": ID}``, ``{"case": ID, "submitted_on": DATE}``,
    #: ``{"meeting": ID, "role": R, "staff": ID}``, ``{"letter": ID}`` (what a review is kept under)
    subject: dict[str, Any]
    project: str | None
    period: Period
    message: str
    #: the record's own date (eligible, submitted, meeting, received): where a screen takes the user
    day: dt.date | None = None

    @property
    def case_id(self) -> str | None:
        return self.subject.get("case")


def subject_of(record: str, v: dict[str, Any]) -> dict[str, Any]:
    if record == "case":
        return {"case": v["case_id"]}
    if record == "dosimetry":
        return {"case": v["case_id"], "submitted_on": _iso(v.get("submitted_on"))}
    if record == "attendance":
        return {"meeting": v["meeting_id"], "role": v["role"], "staff": v["staff_id"]}
    return {"letter": v["letter_id"]}


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def record_words(record: str, v: dict[str, Any]) -> str:
    """The record in people's words: "Case MRQ-0000123 (Breast)", "Dosimetry of case … submitted …"."""
    if record == "case":
        return f"Case {v['case_id']} ({label(v.get('project'))})"
    if record == "dosimetry":
        return f"Dosimetry of case {v['case_id']} ({label(v.get('project'))}) submitted {_iso(v.get('submitted_on'))}"
    if record == "attendance":
        who = v.get("staff_name") or v["staff_id"]
        return f"Attendance of {who} for {label(v['role']).lower()} at meeting {v['meeting_id']}"
    subject = (v.get("subject") or "").strip()
    subject = subject if len(subject) <= 60 else subject[:57] + "…"
    return f"Letter {v['letter_id']}" + (f" “{subject}”" if subject else "")


def project_of(record: str, v: dict[str, Any]) -> str | None:
    return v.get("project") if record in ("case", "dosimetry") else None


def record_date(record: str, v: dict[str, Any]) -> dt.date | None:
    return {"case": v.get("eligible_on"), "dosimetry": v.get("submitted_on"), "attendance": v.get("meeting_date"),
            "letter": v.get("received_on")}[record]


def period_date(record: str, v: dict[str, Any]) -> dt.date | None:
    """The date that files a record under a submission period (module docstring of the rule file)."""
    return {"case": v.get("eligible_on"), "dosimetry": v.get("case_eligible_on") or v.get("submitted_on"),
            "attendance": v.get("meeting_date"), "letter": v.get("received_on")}[record]


def age_years(birth: dt.date, on: dt.date) -> int:
    """Whole years of age on a day (the birthday itself counts: 18 on the 18th birthday)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _in(values: tuple[str, ...], value: Any) -> bool:
    return not values or value in values


def _status_ok(statuses: tuple[str, ...], v: dict[str, Any], as_of: dt.date) -> bool:
    return not statuses or status_at(v.get("status") or "pending", v.get("enrolled_on"), as_of) in statuses


def _per_fraction(v: dict[str, Any]) -> float | None:
    total, fractions = v.get("total_dose_gy"), v.get("fractions")
    return total / fractions if total is not None and fractions else None


def detail(rule: Rule, v: dict[str, Any], as_of: dt.date, rules: QualityRules) -> str | None:
    """Why ``v`` fails ``rule`` at ``as_of``, in words; None when it passes (or the check needs the
    whole register, as ``duplicate`` does: see ``duplicates``)."""
    check = rule.check
    if isinstance(check, Required):
        if not _in(check.projects, v.get("project")) or not _status_ok(check.statuses, v, as_of):
            return None
        if v.get(check.field) not in (None, ""):
            return None
        enrolled = f", enrolled {_iso(v['enrolled_on'])}" if "enrolled" in check.statuses and v.get("enrolled_on") else ""
        return f"no {FIELD_WORDS.get(check.field, check.field)}{enrolled}"
    if isinstance(check, OneOf):
        if not _in(check.projects, v.get("project")):
            return None
        value = v.get(check.field)
        if value in check.values:
            return None
        allowed = ", ".join(label(x).lower() for x in check.values)
        if value in (None, ""):
            return f"no {FIELD_WORDS.get(check.field, check.field)} (one of {allowed})"
        return f"{FIELD_WORDS.get(check.field, check.field)} {label(value).lower()} is not one of {allowed}"
    if isinstance(check, DaysAfter):
        start, end = v.get(check.start), v.get(check.end)
        if start is None or end is None or not _status_ok(check.statuses, v, as_of):
            return None
        days = (end - start).days
        if days <= check.more_than or (check.at_most is not None and days > check.at_most):
            return None
        return (f"{FIELD_WORDS.get(check.end, check.end)} {end.isoformat()} is {days} days after the "
                f"{FIELD_WORDS.get(check.start, check.start)} {start.isoformat()} (more than {check.more_than})")
    if isinstance(check, Age):  # the age itself when the server worked it out (a role reading no birth dates)
        birth, eligible = v.get("birth_date"), v.get("eligible_on")
        if v.get("age_years") is not None:
            years = int(v["age_years"])
        elif birth is None or eligible is None:
            return None
        else:
            years = age_years(birth, eligible)
        if years < check.min_years:
            return f"the birth date makes the patient younger than {check.min_years} at eligibility"
        if years > check.max_years:
            return f"the birth date makes the patient older than {check.max_years} at eligibility"
        return None
    if isinstance(check, NotAfterAsOf):
        late = [(f, v[f]) for f in check.fields if v.get(f) is not None and v[f] > as_of]
        if not late:
            return None
        return "; ".join(f"{FIELD_WORDS.get(f, f)} {d.isoformat()} is after the as-of date {as_of.isoformat()}"
                         for f, d in late)
    if isinstance(check, DateOrder):
        first, then = v.get(check.first), v.get(check.then)
        if first is None or then is None or then >= first:
            return None
        return (f"{FIELD_WORDS.get(check.then, check.then)} {then.isoformat()} is before the "
                f"{FIELD_WORDS.get(check.first, check.first)} {first.isoformat()}")
    if isinstance(check, DoseRange):
        entry = rules.ranges_for(v.get("project"), v.get("technique"))
        per_fraction = _per_fraction(v)
        if entry is None or per_fraction is None:
            return None
        what = f"{label(v.get('project'))} {v.get('technique')} plans"
        if check.measure == "per_fraction":
            low, high = entry.per_fraction_gy
            if low <= per_fraction <= high:
                return None
            return (f"{v['total_dose_gy']:g} Gy in {v['fractions']} fractions is {per_fraction:.2f} Gy per fraction; "
                    f"{what} are expected at {low:g} to {high:g} Gy per fraction")
        low, high = entry.total_gy
        if low <= v["total_dose_gy"] <= high:
            return None
        return f"a total dose of {v['total_dose_gy']:g} Gy; {what} are expected at {low:g} to {high:g} Gy"
    if isinstance(check, DosimetryMissing):
        enrolled = v.get("enrolled_on")
        if v.get("project") not in check.projects or enrolled is None or enrolled > as_of or v.get("has_submission"):
            return None
        days = (as_of - enrolled).days
        if days <= check.days_after_enrollment:
            return None
        return (f"enrolled {enrolled.isoformat()}, {days} days before the as-of date, and no dosimetry submission "
                f"(expected within {check.days_after_enrollment} days)")
    return None  # Duplicate: judged over several records


def problem(rule: Rule, v: dict[str, Any], text: str, as_of: dt.date, month_day: str) -> Problem:
    """The ``Problem`` of a record failing ``rule``: filed under its period (a record dated after the
    as-of date under the as-of date's own)."""
    day = period_date(rule.record, v) or as_of
    return Problem(rule.id, rule.severity, rule.record, subject_of(rule.record, v), project_of(rule.record, v),
                   period_of(min(day, as_of), month_day), f"{record_words(rule.record, v)}: {text}.",
                   record_date(rule.record, v))


def record_problems(rules: QualityRules, record: str, v: dict[str, Any], as_of: dt.date,
                    month_day: str = "01-01") -> list[Problem]:
    """Every rule of ``record`` that ``v`` fails at ``as_of`` (``duplicate`` aside), errors first."""
    found = []
    for rule in rules.rules:
        if rule.record != record:
            continue
        text = detail(rule, v, as_of, rules)
        if text is not None:
            found.append(problem(rule, v, text, as_of, month_day))
    return sorted(found, key=lambda p: (SEVERITY_ORDER[p.severity], p.rule))


def duplicates(check: Duplicate, cases: Iterable[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any], int]]:
    """(case, the earlier case it repeats, days apart) for every case whose MRN and project match an
    earlier case's (by eligible date, then case ID) within ``within_days``: each later case once,
    against the one just before it."""
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for c in cases:
        value = c.get(check.field)
        if value not in (None, "") and c.get("eligible_on") is not None:
            by_key.setdefault((value, c["project"]), []).append(c)
    found = []
    for group in by_key.values():
        group.sort(key=lambda c: (c["eligible_on"], c["case_id"]))
        for before, after in zip(group, group[1:], strict=False):
            days = (after["eligible_on"] - before["eligible_on"]).days
            if days <= check.within_days:
                found.append((after, before, days))
    return found


def duplicate_text(earlier: dict[str, Any], days: int) -> str:
    return f"the same MRN as case {earlier['case_id']} of the same project, eligible {days} days earlier"


@dataclass(frozen=True)
class Cell:
    """Readiness of one submission period and project (``FACILITY``: meetings and letters)."""

    period: Period
    project: str
    errors: int = 0
    warnings: int = 0
    reviewed: int = 0
    info: int = 0

    @property
    def open_warnings(self) -> int:
        return self.warnings - self.reviewed

    @property
    def status(self) -> Readiness:
        """Red with an error, yellow with a warning not reviewed, else green."""
        if self.errors:
            return "red"
        return "yellow" if self.open_warnings else "green"

    @property
    def words(self) -> str:
        if self.errors:
            return f"Not ready: {self.errors} error{'s' * (self.errors != 1)}"
        if self.open_warnings:
            return f"{self.open_warnings} warning{'s' * (self.open_warnings != 1)} to look at"
        return "Ready"


def worst(statuses: Iterable[str]) -> Readiness:
    found = set(statuses)
    return "red" if "red" in found else "yellow" if "yellow" in found else "green"


def readiness_cells(problems: Iterable[Problem], reviewed: set[int], periods: list[Period],
                    projects: tuple[str, ...]) -> list[Cell]:
    """One cell per period (newest first) and project, then ``FACILITY``. ``reviewed``: the indexes
    (in ``problems``' order) of the warnings with a current explanation."""
    counts: dict[tuple[Period, str], list[int]] = {(p, x): [0, 0, 0, 0] for p in periods for x in (*projects, FACILITY)}
    for i, p in enumerate(problems):
        key = (p.period, p.project or FACILITY)
        entry = counts.setdefault(key, [0, 0, 0, 0])
        if p.severity == "error":
            entry[0] += 1
        elif p.severity == "warning":
            entry[1] += 1
            entry[2] += i in reviewed
        else:
            entry[3] += 1
    order = {p: n for n, p in enumerate(sorted({k[0] for k in counts}, reverse=True))}
    columns = {x: n for n, x in enumerate((*projects, FACILITY))}
    return [Cell(period, project, *numbers)
            for (period, project), numbers in sorted(counts.items(), key=lambda kv: (order[kv[0][0]], columns.get(kv[0][1], 99)))]
