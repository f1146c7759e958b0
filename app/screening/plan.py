"""What importing a list would do, decided before anything is written: the plan.

Each row's eligible projects become candidate cases. Within the file, rows of one MRN and
project whose eligible dates lie within ``same_case_days`` (policy file) of the earliest are one
case: it takes the earliest date, and from the latest row that has them the payer, name and
birth date. Against the register, that case is an existing one of the same MRN and project
whose eligible date is within ``same_case_days`` (the nearest, each existing case claimed once):
``unchanged`` when the file adds nothing, ``updated`` when it brings a payer, name or birth date
that differs or an earlier eligible date (blanks never erase); otherwise ``new``, a pending case.
Names are never used to match: two patients share names, one patient's name is spelt two ways.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from app.domain.vocabulary import PROJECTS
from app.screening.case_ids import CaseIdPattern
from app.screening.rows import ParsedList, ScreenRow
from app.services.quality import brought_in_words, problem_json

OUTCOMES: tuple[str, ...] = ("new", "updated", "unchanged", "not_eligible")
#: The case columns an import writes or compares.
CASE_FIELDS: tuple[str, ...] = ("case_id", "project", "primary_site", "eligible_on", "status", "payer", "mrn",
                                "name", "birth_date")
UPDATABLE: tuple[str, ...] = ("eligible_on", "payer", "name", "birth_date")
CHANGE_WORDS = {"eligible_on": "an earlier eligible date", "payer": "payer", "name": "name",
                "birth_date": "birth date"}


@dataclass(frozen=True)
class Existing:
    """A register case as matching needs it (PHI included: it never leaves memory)."""

    case_id: str
    project: str
    eligible_on: dt.date
    mrn: str
    payer: str | None = None
    name: str | None = None
    birth_date: dt.date | None = None


@dataclass(frozen=True)
class Entry:
    """One line of the outcome: a row, for one project (or none when not eligible)."""

    row: int
    outcome: str
    project: str | None
    case_id: str | None
    reason: str
    #: For the wizard's masked identifier columns; never in --json.
    mrn: str = ""
    name: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "outcome": self.outcome, "project": self.project, "case_id": self.case_id,
                "reason": self.reason}


@dataclass(frozen=True)
class CaseUpdate:
    """One existing case's changed columns, before and after (before kept for undo)."""

    case_id: str
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass
class Plan:
    """Everything an import would write, and the outcome of every row."""

    source: str
    entries: list[Entry] = field(default_factory=list)
    new_cases: list[dict[str, Any]] = field(default_factory=list)
    updates: list[CaseUpdate] = field(default_factory=list)
    #: The matched existing cases as seen when planning: apply checks they are still so.
    seen: dict[str, Existing] = field(default_factory=dict)
    #: The data-quality problems its new and updated cases bring in (``app.services.quality``,
    #: filled by the service that knows the as-of date): written all the same, said apart
    quality: list[Any] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        found = Counter(e.outcome for e in self.entries)
        return {outcome: found.get(outcome, 0) for outcome in OUTCOMES}

    def to_json(self) -> dict[str, Any]:
        return {**self.counts(), "rows": [e.to_json() for e in self.entries],
                "quality": [problem_json(p) for p in self.quality]}

    def summary(self, written: bool) -> str:
        c = self.counts()
        verb = "Imported" if written else "Would import (dry run, nothing written)"
        text = (f"{verb} {self.source}: {c['new']:,} new, {c['updated']:,} updated, {c['unchanged']:,} unchanged, "
                f"{c['not_eligible']:,} not eligible.")
        words = brought_in_words(self.quality)
        if words and not written:
            words = words.replace("It brought in", "It would bring in")
        return f"{text} {words}" if words else text

    def same_writes(self, other: Plan) -> bool:
        """Whether both plans write the same (new case IDs aside: another new case elsewhere in
        the register moves the next free number without changing what this list means)."""
        def unnumbered(plan: Plan) -> list[dict[str, Any]]:
            return [{k: v for k, v in c.items() if k != "case_id"} for c in plan.new_cases]

        return unnumbered(self) == unnumbered(other) and self.updates == other.updates


def same_name(a: str | None, b: str | None) -> bool:
    return " ".join((a or "").split()).casefold() == " ".join((b or "").split()).casefold()


def mrn_key(mrn: str, strip_zeros: bool) -> str:
    mrn = mrn.strip()
    return (mrn.lstrip("0") or "0") if strip_zeros and mrn else mrn


@dataclass
class _Group:
    """Rows of one MRN and project that are one case (earliest first)."""

    mrn: str
    project: str
    primary_site: str
    rows: list[ScreenRow]

    @property
    def first(self) -> ScreenRow:
        return self.rows[0]

    def latest(self, name: str) -> Any:
        for row in sorted(self.rows, key=lambda r: (r.eligible_on, r.row), reverse=True):
            if getattr(row, name) is not None:
                return getattr(row, name)
        return None


def _groups(rows: list[ScreenRow], days: int, strip_zeros: bool) -> list[_Group]:
    by_key: dict[tuple[str, str], list[tuple[ScreenRow, str]]] = defaultdict(list)
    for row in rows:
        for case in row.decision.cases:
            by_key[(mrn_key(row.mrn, strip_zeros), case.project)].append((row, case.primary_site))
    groups = []
    for (mrn, project), found in by_key.items():
        found.sort(key=lambda pair: (pair[0].eligible_on, pair[0].row))
        current: _Group | None = None
        for row, site in found:
            if current is None or (row.eligible_on - current.first.eligible_on).days > days:
                current = _Group(mrn, project, site, [])
                groups.append(current)
            current.rows.append(row)
    return groups


def _match(group: _Group, existing: list[Existing], claimed: set[str], days: int) -> Existing | None:
    date = group.first.eligible_on
    near = [c for c in existing if c.case_id not in claimed and abs((c.eligible_on - date).days) <= days]
    return min(near, key=lambda c: (abs((c.eligible_on - date).days), c.case_id)) if near else None


def _changes(group: _Group, case: Existing) -> tuple[dict[str, Any], dict[str, Any]]:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if group.first.eligible_on < case.eligible_on:
        before["eligible_on"], after["eligible_on"] = case.eligible_on, group.first.eligible_on
    for name in ("payer", "name", "birth_date"):
        value = group.latest(name)
        same = same_name(value, case.name) if name == "name" else value == getattr(case, name)
        if value is not None and not same:
            before[name], after[name] = getattr(case, name), value
    return before, after


def _project_label(group: _Group) -> str:
    code = next(c.code for c in group.first.decision.cases if c.project == group.project)
    site = f", primary {group.primary_site.replace('_', ' ')}" if group.project == "bone_mets" else ""
    return f"{code}{site}"


def make_plan(parsed: ParsedList, existing: list[Existing], ids: CaseIdPattern, days: int) -> Plan:
    """The plan for ``parsed`` against the register's cases ``existing`` (those with an MRN)."""
    strip = parsed.mapping.mrn_strip_leading_zeros
    plan = Plan(source=parsed.table.source)
    register: dict[tuple[str, str], list[Existing]] = defaultdict(list)
    for case in existing:
        register[(mrn_key(case.mrn, strip), case.project)].append(case)
    claimed: set[str] = set()
    entries: list[Entry] = []
    for group in sorted(_groups(parsed.rows, days, strip), key=lambda g: (g.first.row, PROJECTS.index(g.project))):
        first = group.first
        match = _match(group, register.get((group.mrn, group.project), []), claimed, days)
        if match is None:
            case_id = ids.next_for(group.mrn)
            plan.new_cases.append({
                "case_id": case_id, "project": group.project, "primary_site": group.primary_site,
                "eligible_on": first.eligible_on, "status": "pending", "payer": group.latest("payer"),
                "mrn": first.mrn, "name": group.latest("name"), "birth_date": group.latest("birth_date")})
            outcome, reason = "new", f"new pending case ({_project_label(group)})"
        else:
            claimed.add(match.case_id)
            plan.seen[match.case_id] = match
            case_id = match.case_id
            before, after = _changes(group, match)
            if after:
                plan.updates.append(CaseUpdate(case_id, before, after))
                outcome = "updated"
                reason = f"case {case_id}: " + ", ".join(CHANGE_WORDS[k] for k in UPDATABLE if k in after)
            else:
                outcome, reason = "unchanged", f"already case {case_id} (eligible {match.eligible_on.isoformat()})"
        entries.append(Entry(first.row, outcome, group.project, case_id, _with_payer(reason, first),
                             first.mrn, group.latest("name")))
        for later in group.rows[1:]:
            entries.append(Entry(later.row, "unchanged", group.project, case_id,
                                 _with_payer(f"same case as row {first.row} (the earliest eligible date is kept)",
                                             later), later.mrn, later.name))
    for row in parsed.rows:
        if not row.decision.eligible:
            entries.append(Entry(row.row, "not_eligible", None, None, row.decision.reason, row.mrn, row.name))
    plan.entries = sorted(entries, key=lambda e: (e.row, PROJECTS.index(e.project) if e.project else -1))
    return plan


def _with_payer(reason: str, row: ScreenRow) -> str:
    if row.unmapped_payer is None:
        return reason
    return f"{reason}; payer '{row.unmapped_payer}' is not mapped (add it to [payer_values])"
