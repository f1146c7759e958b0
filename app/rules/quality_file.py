"""The data-quality rule files (``resources/quality/<year>.toml``): typed, checked, and which one is
in force at a date.

A rule is data: an ID, a plain title, the record it applies to, a severity, its condition (one of
the checks below, with its numbers) and what to do, each number with its source. The file is read
into typed structures (``msgspec``, by ``app.typed_toml``), so a misspelt key or a wrong type is
refused with its key path and line (``$.rules[3].check.more_than`` (line 80)) rather than silently
changing what is checked. The file in force at
an as-of date is chosen as the policy's is (``app.rules.policy_file.resolve_policy``): the newest
whose ``effective_from`` is on or before the date, or the oldest, said so, for an earlier date.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Literal

import msgspec

from app.domain.vocabulary import (
    BONE_METS_PRIMARY_SITES,
    CASE_STATUSES,
    DOSIMETRY_TECHNIQUES,
    PAYERS,
    PROJECTS,
)
from app.paths import resource
from app.typed_toml import key_lines, line_of, read_text


class QualityFileError(ValueError):
    """A data-quality rule file that cannot be used; says which file and which key."""


class _Strict(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    pass


#: days or years a check counts: never negative
Count = Annotated[int, msgspec.Meta(ge=0)]
Project = Literal[PROJECTS]  # type: ignore[valid-type]
Status = Literal[CASE_STATUSES]  # type: ignore[valid-type]
Technique = Literal[DOSIMETRY_TECHNIQUES]  # type: ignore[valid-type]
#: some text (a title, an action, a source)
Words = Annotated[str, msgspec.Meta(pattern=r"\S")]
RULE_ID = re.compile(r"^DQ-[A-Z0-9]+(-[A-Z0-9]+)*$")
#: DQ- and capitals, digits and dashes, such as DQ-CASE-PAYER
RuleId = Annotated[str, msgspec.Meta(pattern=RULE_ID.pattern)]


# ---- the checks: each is a condition a record fails, with its numbers (app/rules/quality.py judges them)

class Required(_Strict, tag="required", tag_field="kind"):
    """The field is empty, for cases of these projects and statuses (empty lists: any)."""

    field: str
    projects: tuple[Project, ...] = ()
    statuses: tuple[Status, ...] = ()


class OneOf(_Strict, tag="one_of", tag_field="kind"):
    """The field is empty or not one of ``values``, for cases of these projects."""

    field: str
    values: Annotated[tuple[str, ...], msgspec.Meta(min_length=1)]
    projects: tuple[Project, ...] = ()


class DaysAfter(_Strict, tag="days_after", tag_field="kind"):
    """More than ``more_than`` days (and at most ``at_most``, if given) from ``start`` to ``end``."""

    start: str
    end: str
    more_than: Count
    at_most: Count | None = None
    statuses: tuple[Status, ...] = ()


class Age(_Strict, tag="age", tag_field="kind"):
    """The patient's age in whole years at eligibility is under ``min_years`` or over ``max_years``."""

    min_years: Count
    max_years: Count


class NotAfterAsOf(_Strict, tag="not_after_as_of", tag_field="kind"):
    """One of these dates lies after the as-of date."""

    fields: Annotated[tuple[str, ...], msgspec.Meta(min_length=1)]


class DateOrder(_Strict, tag="date_order", tag_field="kind"):
    """``then`` is dated before ``first``."""

    first: str
    then: str


class DoseRange(_Strict, tag="dose_range", tag_field="kind"):
    """The dose per fraction (or the total dose) is outside the file's range for the case's project
    and the plan's technique."""

    measure: Literal["per_fraction", "total"]


class DosimetryMissing(_Strict, tag="dosimetry_missing", tag_field="kind"):
    """An enrolled case of these projects has no dosimetry submission more than this many days
    after its enrollment."""

    projects: tuple[Project, ...]
    days_after_enrollment: Count


class Duplicate(_Strict, tag="duplicate", tag_field="kind"):
    """Another case of the same project has the same value (the MRN), eligible within this many days."""

    field: Literal["mrn"]
    within_days: Count


Check = Required | OneOf | DaysAfter | Age | NotAfterAsOf | DateOrder | DoseRange | DosimetryMissing | Duplicate
Severity = Literal["error", "warning", "info"]
RecordKind = Literal["case", "dosimetry", "attendance", "letter"]


class Rule(_Strict):
    id: RuleId
    title: Words
    record: RecordKind
    severity: Severity
    action: Words
    source: Words
    check: Check


class DoseRangeEntry(_Strict):
    project: Project
    techniques: Annotated[tuple[Technique, ...], msgspec.Meta(min_length=1)]
    per_fraction_gy: tuple[float, float]
    total_gy: tuple[float, float]
    source: Words


class Readiness(_Strict):
    period: Literal["enrollment_period"]


class QualityRules(_Strict):
    """One data-quality rule file."""

    year: int
    name: str
    effective_from: dt.date
    supersedes: str
    readiness: Readiness
    rules: tuple[Rule, ...]
    dose_ranges: tuple[DoseRangeEntry, ...] = ()

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)

    def ranges_for(self, project: str | None, technique: str | None) -> DoseRangeEntry | None:
        """The dose range of a project's plans of one technique (None: that plan is not judged)."""
        return next((r for r in self.dose_ranges if r.project == project and technique in r.techniques), None)


#: The fields each record offers to a check, by kind of value.
DATE_FIELDS: dict[str, tuple[str, ...]] = {
    "case": ("eligible_on", "enrolled_on", "birth_date"),
    "dosimetry": ("submitted_on",),
    "attendance": ("meeting_date",),
    "letter": ("received_on", "due_on", "replied_on"),
}
TEXT_FIELDS: dict[str, tuple[str, ...]] = {"case": ("payer", "primary_site", "mrn", "not_enrolled_reason", "note")}
#: The values a text field may be checked against (its vocabulary).
FIELD_VALUES: dict[str, tuple[str, ...]] = {"payer": PAYERS, "primary_site": PROJECTS + BONE_METS_PRIMARY_SITES}
#: The records each check can judge.
CHECK_RECORDS: dict[type, tuple[str, ...]] = {
    Required: ("case",), OneOf: ("case",), DaysAfter: ("case",), Age: ("case",), Duplicate: ("case",),
    DosimetryMissing: ("case",), NotAfterAsOf: tuple(DATE_FIELDS), DateOrder: tuple(DATE_FIELDS),
    DoseRange: ("dosimetry",),
}


def _problems(rules: QualityRules) -> list[str]:
    """What the types cannot say: IDs unique, each check on a record it can judge, fields and codes
    that exist, ranges that are ranges."""
    problems = []
    seen: set[str] = set()
    for i, rule in enumerate(rules.rules):
        where = f"rules[{i}] ({rule.id})"
        if rule.id in seen:
            problems.append(f"{where}: the ID is used twice")
        seen.add(rule.id)
        check = rule.check
        if rule.record not in CHECK_RECORDS[type(check)]:
            problems.append(f"{where}: a {type(check).__name__} check cannot judge a {rule.record} record")
            continue
        dates, texts = DATE_FIELDS[rule.record], TEXT_FIELDS.get(rule.record, ())
        fields = {"Required": ("field",), "OneOf": ("field",)}.get(type(check).__name__, ())
        for name in fields:
            if getattr(check, name) not in texts:
                problems.append(f"{where}: check.{name} must be one of {', '.join(texts)}")
        for name in {"DaysAfter": ("start", "end"), "DateOrder": ("first", "then")}.get(type(check).__name__, ()):
            if getattr(check, name) not in dates:
                problems.append(f"{where}: check.{name} must be a date of the {rule.record}: {', '.join(dates)}")
        if isinstance(check, NotAfterAsOf):
            problems += [f"{where}: check.fields: {f} is not a date of the {rule.record} ({', '.join(dates)})"
                         for f in check.fields if f not in dates]
        if isinstance(check, OneOf):
            bad = [v for v in check.values if v not in FIELD_VALUES.get(check.field, ())]
            if bad:
                problems.append(f"{where}: check.values must be codes of {check.field}: {', '.join(bad)}")
        if isinstance(check, DaysAfter) and check.at_most is not None and check.at_most <= check.more_than:
            problems.append(f"{where}: check.at_most must be more than check.more_than")
        if isinstance(check, Age) and check.min_years > check.max_years:
            problems.append(f"{where}: check.min_years is above check.max_years")
    for i, entry in enumerate(rules.dose_ranges):
        where = f"dose_ranges[{i}] ({entry.project})"
        for name in ("per_fraction_gy", "total_gy"):
            low, high = getattr(entry, name)
            if not 0 < low <= high:
                problems.append(f"{where}: {name} must be [lowest, highest] with 0 < lowest ≤ highest")
    pairs = [(e.project, t) for e in rules.dose_ranges for t in e.techniques]
    twice = sorted({f"{p} {t}" for p, t in pairs if pairs.count((p, t)) > 1})
    if twice:
        problems.append(f"dose_ranges: one range per project and technique ({', '.join(twice)} given twice)")
    return problems


def read_quality_text(text: str, source: str) -> QualityRules:
    """A checked rule file from its text; ``QualityFileError`` names the file and every problem,
    each with the line of the rule or range it is about."""
    rules = read_text(text, source, QualityRules, QualityFileError)
    problems = _problems(rules)
    if problems:
        lines = key_lines(text)

        def placed(problem: str) -> str:
            entry = re.match(r"^\w+\[\d+\]", problem)
            line = line_of(entry.group(0), lines) if entry else None
            return f"line {line}: {problem}" if line else problem
        raise QualityFileError(f"{source}: " + "; ".join(placed(p) for p in problems))
    return rules


def available_years() -> list[int]:
    """The years with a bundled rule file: adding ``2027.toml`` adds 2027, no code change."""
    return sorted(int(p.stem) for p in resource("quality").glob("*.toml") if p.stem.isdigit())


@cache
def load_quality_file(year: int) -> QualityRules:
    path = resource("quality", f"{year}.toml")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QualityFileError(f"There is no data-quality rule file for {year} ({path}).") from None
    rules = read_quality_text(text, path.name)
    if rules.year != year:
        raise QualityFileError(f"{path.name}: says year = {rules.year}; the file name and the year must agree")
    return rules


def bundled_quality_files() -> list[QualityRules]:
    return [load_quality_file(year) for year in available_years()]


@dataclass(frozen=True)
class QualityInForce:
    """The rule file an as-of date is judged by, and what to say about it (as ``PolicyInForce``)."""

    rules: QualityRules
    as_of: dt.date
    reason: Literal["in_force", "before_first"]
    newer: QualityRules | None = None

    @property
    def statement(self) -> str:
        """"MROQC data-quality rules in force since 2025-01-01 (no newer ones known)"."""
        r = self.rules
        if self.reason == "before_first":
            return (f"{r.name} in force from {r.effective_from.isoformat()}, applied to this earlier date "
                    "(no earlier rules known)")
        after = (f"newer ones take effect on {self.newer.effective_from.isoformat()}" if self.newer is not None
                 else "no newer ones known")
        return f"{r.name} in force since {r.effective_from.isoformat()} ({after})"

    def to_json(self) -> dict[str, object]:
        return {"name": self.rules.name, "year": self.rules.year, "effective_from": self.rules.effective_from.isoformat(),
                "supersedes": self.rules.supersedes or None,
                "newer_from": self.newer.effective_from.isoformat() if self.newer else None, "statement": self.statement}


def resolve_quality(files: list[QualityRules], as_of: dt.date) -> QualityInForce:
    """The rule file that judges ``as_of``: the newest in force on that date; a date older than
    every file gets the oldest (said so). Pure: the caller passes the files and the date."""
    by_date = {f.effective_from: f for f in files}  # a later file of the same date replaces an earlier one
    ordered = [by_date[d] for d in sorted(by_date)]
    if not ordered:
        raise QualityFileError("No data-quality rule file is bundled.")
    in_force = [f for f in ordered if f.effective_from <= as_of]
    later = [f for f in ordered if f.effective_from > as_of]
    if not in_force:
        return QualityInForce(ordered[0], as_of, "before_first", later[1] if len(later) > 1 else None)
    return QualityInForce(in_force[-1], as_of, "in_force", later[0] if later else None)


def quality_in_force(as_of: dt.date) -> QualityInForce:
    """The bundled rule file in force at ``as_of`` (read once per file)."""
    return resolve_quality(bundled_quality_files(), as_of)
